"""The shop on a three-node RabbitMQ cluster while the cluster loses a node under load.

Every durable queue is a quorum queue, every service runs two instances, and each is given every node's address
(kombu's failover list). The node most clients are connected to is killed (SIGKILL), stays away, is started again
and rejoins; then the busiest of the others is stopped cleanly, and started again.
"""

import os
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest

from harness.audit import FIGURES
from harness.rabbit_cluster import OWNER_FILE, running_cluster, sweep
from harness.stack import running_stack
from tests.faults.conftest import FAULT_TOLERANT_ENV, RPC_TIMEOUT
from tests.faults.test_faults import check, under_load

pytestmark = pytest.mark.faults

ON_THE_CLUSTER = {**FAULT_TOLERANT_ENV, "QUEUE_TYPE": "quorum"}
AWAY_SECONDS = 15  # how long the load runs on two nodes, after each loss
# How long after a node has gone orders may be refused: a call in flight through it waits out its timeout, the
# caller's circuit breaker then refuses for its reset time, and the clients reconnect to another node.
GRACE_SECONDS = 2 * RPC_TIMEOUT + float(FAULT_TOLERANT_ENV["CIRCUIT_BREAKER_RESET_SECONDS"]) + 1


@dataclass
class Loss:
    how: str
    node: str
    connections: int  # the clients' connections to it when it went
    leading: int  # the queues it led
    began: float  # time.monotonic()
    gone: float  # when it was down: at once for a kill, when the stop returned for a clean stop

    def covers(self, moment):
        return self.began <= moment <= self.gone + GRACE_SECONDS


@pytest.fixture(scope="module")
def cluster(run_id):
    with running_cluster(run_id) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def stack(cluster, run_id, smtp, tmp_path_factory):
    broker = cluster.broker
    with running_stack(
        broker.virtual_host("shop"),
        f"shop_test_{run_id}_cluster",
        tmp_path_factory.mktemp("cluster-logs"),
        smtp.port,
        broker=broker,
        instances=2,
        rpc_timeout=RPC_TIMEOUT,
        extra_env=ON_THE_CLUSTER,
    ) as stack:
        yield stack


def test_losing_the_busiest_node_and_then_stopping_another_loses_no_order_and_refuses_only_while_one_is_gone(
    stack, cluster, smtp, catalogue, dead_letter_count
):
    losses = []

    def lose(how, excluding=()):
        """The busiest node (but those ``excluding``) lost, away for ``AWAY_SECONDS``, then back in the cluster."""
        load = cluster.load_by_node(stack.vhost)
        node = cluster.busiest(load, excluding)
        began = time.monotonic()
        node.kill() if how == "SIGKILL" else node.stop()
        losses.append(Loss(how, node.name, *load[node.name], began, time.monotonic()))
        time.sleep(AWAY_SECONDS)
        node.start()
        cluster.wait_until_rejoined(stack.vhost)

    def lose_two_nodes():
        lose("SIGKILL")
        lose("clean stop", excluding=[losses[0].node])

    load = under_load(stack, catalogue, lose_two_nodes)
    check("RabbitMQ cluster, a node killed and another stopped", stack, smtp, catalogue, load, dead_letter_count)
    start = losses[0].began
    refused_in = sorted({int(moment - start) for moment in load.refused_at})
    FIGURES.extend(
        f"RabbitMQ cluster: {loss.how} of {loss.node} (clients' connections {loss.connections}, leading "
        f"{loss.leading} queues) at {loss.began - start:.1f} s, gone at {loss.gone - start:.1f} s"
        for loss in losses
    )
    FIGURES.append(f"RabbitMQ cluster: orders refused in the seconds {refused_in} after the first loss")

    assert losses[0].connections > 0 and losses[0].leading > 0  # the busiest: clients and queues went with it
    outside = [
        round(moment - start, 1) for moment in load.refused_at if not any(loss.covers(moment) for loss in losses)
    ]
    assert outside == []  # refused only while a node was going, and for GRACE_SECONDS after it had gone


def test_the_nodes_a_killed_run_left_are_stopped_and_removed_by_the_next_and_a_live_runs_are_not(tmp_path):
    def cluster_of(owner):
        node = subprocess.Popen(["sleep", "60"])  # stands for a node's Erlang VM
        directory = tmp_path / f"cluster-of-{owner}"
        (directory / "c1").mkdir(parents=True)
        (directory / "c1" / "node.pid").write_text(str(node.pid))
        (directory / OWNER_FILE).write_text(str(owner))
        return directory, node

    gone = subprocess.Popen(["true"])
    gone.wait()
    left, orphan = cluster_of(gone.pid)
    live, running = cluster_of(os.getpid())
    try:
        sweep(tmp_path)
        assert orphan.wait(timeout=10) == -signal.SIGKILL and not left.exists()
        assert running.poll() is None and live.exists()
    finally:
        running.kill()
