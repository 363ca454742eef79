"""The edge (nginx) as a process of its own, started by the command every deployment uses: ``deploy/nginx/run``."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import requests

from harness.repository import ROOT
from harness.waiting import wait_until

EDGE = str(ROOT / "deploy" / "nginx" / "run")


def start_edge(env, work_dir):
    """nginx in front of the gateway(s) at ``env["WEB_SERVER_ADDRESS"]``, listening on ``env["EDGE_ADDRESS"]``;
    its log in ``work_dir/edge-0.log``. Returns the process once the edge accepts connections."""
    log = open(work_dir / "edge-0.log", "ab")  # noqa: SIM115 (the process writes it for as long as it runs)
    process = subprocess.Popen(
        [EDGE],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHON": sys.executable, **env, "EDGE_DIR": str(work_dir / "edge")},
    )
    log.close()
    wait_for_http(f"http://{env['EDGE_ADDRESS']}", path="/.edge-probe", answered=lambda response: True)
    return process


@contextmanager
def running_edge(env, work_dir):
    process = start_edge(env, work_dir)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_http(url, path="/health", answered=lambda response: response.status_code == 200, timeout=30.0):
    """Waits until ``url + path`` answers as ``answered`` wants."""

    def answers():
        try:
            return answered(requests.get(url + path, timeout=1))
        except requests.ConnectionError:
            return False

    wait_until(answers, timeout, f"{url + path} answering", poll_seconds=0.1)


def listeners(port):
    """Sockets listening on ``port`` of 127.0.0.1 (every gateway instance has its own, SO_REUSEPORT)."""
    listening, local = "0A", f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == listening)


def wait_for_listeners(port, count, timeout=30.0):
    """Waits until ``count`` sockets listen on ``port``: each instance behind it takes connections."""
    wait_until(
        lambda: listeners(port) >= count, timeout, f"{count} instances listening on port {port}", poll_seconds=0.1
    )
