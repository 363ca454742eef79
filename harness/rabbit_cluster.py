"""A RabbitMQ cluster of the test's own on this machine: three nodes beside the system one, each with its own
name, ports and data directory, joined with ``rabbitmqctl join_cluster``, and removed afterwards.

The nodes run as the ``rabbitmq`` user (the server's scripts switch to it), so their directories live under
``BASE`` rather than pytest's private temporary directory. A run that was killed before it could stop its nodes
leaves their directories there; the next run stops those nodes and removes them (``sweep``).
"""

import collections
import os
import shutil
import signal
import subprocess
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from harness.broker import Broker
from harness.smtp import free_port
from harness.waiting import wait_until

BASE = Path("/tmp/shop-test-rabbit-clusters")
OWNER_FILE = "owner.pid"  # the process that started a cluster: while it lives, the cluster is in use
ADMIN = ("guest", "guest")


@dataclass
class Node:
    name: str  # as Erlang names it: c1-<tag>@localhost
    directory: Path
    amqp_port: int
    management_port: int
    distribution_port: int

    @property
    def address(self):
        return f"127.0.0.1:{self.amqp_port}"

    @property
    def management_url(self):
        return f"http://{ADMIN[0]}:{ADMIN[1]}@127.0.0.1:{self.management_port}"

    @property
    def pid_file(self):
        return self.directory / "node.pid"

    @property
    def environment(self):
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_DIST_PORT": str(self.distribution_port),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(self.directory / "feature_flags"),
        }

    def write_configuration(self):
        """Its own listeners (the machine's ``rabbitmq.conf`` pins the system node's) and the management API."""
        for name in ("mnesia", "log"):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            "loopback_users = none\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
        )
        (self.directory / "enabled_plugins").write_text("[rabbitmq_management].\n")

    def start(self):
        subprocess.run(["rabbitmq-server", "-detached"], env=self.environment, check=True, timeout=60)

    def await_startup(self, timeout=120):
        """Until the node has booted (the CLI cannot reach a node that has not yet registered its name)."""

        def booted():
            try:
                self.ctl("await_startup", "--timeout", "10", timeout=30)
            except subprocess.CalledProcessError:
                return False
            return True

        wait_until(booted, timeout, f"{self.name} started", poll_seconds=0.5)

    def ctl(self, *arguments, timeout=120):
        return subprocess.run(
            ["rabbitmqctl", "-q", "-n", self.name, *arguments],  # not in the node's environment: its ports are its
            check=True,
            timeout=timeout,
            capture_output=True,
            text=True,
        ).stdout

    def kill(self):
        """SIGKILL to the node's Erlang VM: a crash, nothing written or said to anyone."""
        os.kill(int(self.pid_file.read_text().strip()), signal.SIGKILL)

    def stop(self):
        """A clean stop: the node closes its clients' connections and hands its queues' leadership over."""
        self.ctl("stop", timeout=120)

    def running(self):
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return False
        return True


class RabbitCluster:
    """Three nodes joined into one cluster."""

    def __init__(self, tag, size=3):
        self.directory = BASE / tag
        self.nodes = [
            Node(f"c{number}-{tag}@localhost", self.directory / f"c{number}", free_port(), free_port(), free_port())
            for number in range(1, size + 1)
        ]

    def start(self):
        sweep()
        self.directory.mkdir(parents=True)
        (self.directory / OWNER_FILE).write_text(str(os.getpid()))
        for node in self.nodes:
            node.write_configuration()
        shutil.chown(BASE, "rabbitmq", "rabbitmq")
        subprocess.run(["chown", "-R", "rabbitmq:rabbitmq", str(self.directory)], check=True)
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.await_startup()
        first, *others = self.nodes
        for node in others:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
        self.wait_until_whole()

    def destroy(self):
        """Every node killed (nothing of theirs is kept, so nothing needs a clean stop) and its data removed."""
        for node in self.nodes:
            if node.running():
                node.kill()
        wait_until(lambda: not any(node.running() for node in self.nodes), 30, "every node of the cluster gone")
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def broker(self):
        """The shop's view: every node's address (kombu's failover list) and a live node's management API."""
        live = next(node for node in self.nodes if node.running())
        return Broker(tuple(node.address for node in self.nodes), live.management_url)

    def api(self, path, **params):
        """A management API answer from the first node that gives one."""
        for node in self.nodes:
            if not node.running():
                continue
            try:
                response = requests.get(f"{node.management_url}/api/{path}", params=params, timeout=10)
            except requests.ConnectionError:
                continue
            if response.ok:
                return response.json()
        raise RuntimeError(f"no node of the cluster answered /api/{path}")

    def running_nodes(self):
        """The names of the nodes the cluster itself counts as running."""
        return {node["name"] for node in self.api("nodes", columns="name,running") if node["running"]}

    def wait_until_whole(self, timeout=120):
        names = {node.name for node in self.nodes}
        wait_until(lambda: self.running_nodes() == names, timeout, "every node of the cluster running")

    def wait_until_rejoined(self, vhost, timeout=120):
        """Every node running again, and every quorum queue of ``vhost`` with a member on each."""
        self.wait_until_whole(timeout)
        wait_until(lambda: not self.quorum_queues_with_fewer_members(vhost), timeout, "every quorum queue whole")

    def load_by_node(self, vhost):
        """``{node name: (client connections, queues it leads)}``."""
        connections = collections.Counter(item["node"] for item in self.api("connections", columns="node"))
        leaders = collections.Counter(
            queue.get("leader") or queue.get("node") for queue in self.api(f"queues/{vhost}", columns="leader,node")
        )
        return {node.name: (connections[node.name], leaders[node.name]) for node in self.nodes}

    def busiest(self, load, excluding=()):
        """The node most clients are connected to, then the one leading the most queues (``load``: ``load_by_node``)."""
        candidates = [node for node in self.nodes if node.name not in excluding]
        return max(candidates, key=lambda node: load[node.name])

    def quorum_queues_with_fewer_members(self, vhost):
        """Quorum queues whose online members are fewer than the cluster's nodes: a queue not yet whole again."""
        queues = self.api(f"queues/{vhost}", columns="name,type,online")
        return [
            queue["name"] for queue in queues if queue["type"] == "quorum" and len(queue["online"]) < len(self.nodes)
        ]


def sweep(base=BASE):
    """Stop the nodes of clusters whose owner process has gone (a run that was killed) and remove them."""
    if not base.exists():
        return
    for directory in base.iterdir():
        try:
            owner = int((directory / OWNER_FILE).read_text())
            os.kill(owner, 0)
            continue  # its run is still going
        except (FileNotFoundError, ValueError, ProcessLookupError):
            pass
        for pid_file in directory.glob("*/node.pid"):
            with suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def running_cluster(tag):
    cluster = RabbitCluster(tag)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
