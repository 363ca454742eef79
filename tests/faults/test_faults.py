"""Faults injected while orders flow; afterwards nothing is lost, nothing doubled, stock exact.

Each test reports its figures (listed under "fault and attack figures" at the end of
the run): orders accepted, lost, emails duplicated, and what the gateway
refused during the fault.
"""

import json
import re
import signal
import socket
import subprocess
import time

import pytest
import requests
from sqlalchemy import create_engine

from harness.audit import FIGURES, audit
from harness.broker import wait_for_consumers
from harness.databases import SERVER_URI
from harness.load import OrderLoad
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS
from harness.smtp import wait_for_port
from harness.waiting import wait_until
from shop_common.operations.services import SERVICES

pytestmark = pytest.mark.faults

AMQP_PORT = 5672
PROVIDER_OUTAGE_SECONDS = 7  # past the fault stack's PAYMENT_AUTHORISATION_DEADLINE


def under_load(stack, catalogue, fault, before=2.0, after=3.0):
    """Run ``fault`` (which returns when the system should be whole again) in the middle of a load."""
    load = OrderLoad(stack.url, list(catalogue), stack.accounts.customer_tokens(8)).start()
    time.sleep(before)
    fault()
    time.sleep(after)
    return load.stop()


def check(name, stack, smtp, catalogue, load, dead_letter_count):
    result = audit(stack.databases, smtp, load, catalogue, dead_letter_count, stack.payment_provider)
    FIGURES.append(result.figures(name))
    if load.resent:
        FIGURES.append(f"{name}: {load.resent} request(s) sent again, same Idempotency-Key, after a dropped connection")
    if load.deferred:
        FIGURES.append(
            f"{name}: {load.deferred} time(s) refused at the door (503, Retry-After) and sent again after it"
        )
    assert result.accepted > 0
    result.assert_clean()
    return result


def restart(stack, service, sig):
    instances = len(stack.running(service))
    stack.stop(service, sig=sig)
    time.sleep(2)
    for instance in range(instances):
        stack.start(service, instance=instance, wait=False)
    stack.wait_until_ready(service)


def test_kill_9_of_every_inventory_instance_mid_load(stack, smtp, catalogue, dead_letter_count):
    load = under_load(stack, catalogue, lambda: restart(stack, "inventory", signal.SIGKILL))
    check("kill -9 inventory", stack, smtp, catalogue, load, dead_letter_count)


def test_kill_9_of_orders_mid_load(stack, smtp, catalogue, dead_letter_count):
    load = under_load(stack, catalogue, lambda: restart(stack, "orders", signal.SIGKILL))
    result = check("kill -9 orders", stack, smtp, catalogue, load, dead_letter_count)
    assert sum(result.refused.values()) > 0  # the gateway said 503 while orders was away


def test_kill_9_of_payments_mid_load_authorises_each_order_once(stack, smtp, catalogue, dead_letter_count):
    """Killed between the provider's answer and its own commit, or before it: never two authorisations of an
    order, none left holding money for an order that ended."""
    load = under_load(stack, catalogue, lambda: restart(stack, "payments", signal.SIGKILL))
    result = check("kill -9 payments", stack, smtp, catalogue, load, dead_letter_count)
    assert set(result.authorised_per_order) <= {0, 1}


def test_kill_9_of_shipping_mid_load_loses_no_order_and_leaves_each_confirmed_one_a_shipment(
    stack, smtp, catalogue, dead_letter_count
):
    """Placing an order asks shipping for its quote: while shipping is away the gateway answers 503 (the order is not
    placed), and every order placed has the shipment its status calls for."""
    load = under_load(stack, catalogue, lambda: restart(stack, "shipping", signal.SIGKILL))
    check("kill -9 shipping", stack, smtp, catalogue, load, dead_letter_count)


def frozen(provider, seconds):
    """The payment provider takes connections and answers nothing (SIGSTOP), then carries on where it was."""
    provider.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        provider.process.send_signal(signal.SIGCONT)


def test_a_payment_provider_that_stops_answering_for_longer_than_the_deadline_rejects_orders_and_holds_nothing(
    stack, smtp, catalogue, dead_letter_count
):
    """Past ``PAYMENT_AUTHORISATION_DEADLINE`` an order is rejected (payment_unavailable) and its stock released;
    a confirmation the provider carries out once it answers again is voided: no money held for a rejected order."""
    load = under_load(stack, catalogue, lambda: frozen(stack.payment_provider, PROVIDER_OUTAGE_SECONDS), after=4.0)
    result = check(
        f"payment provider not answering for {PROVIDER_OUTAGE_SECONDS}s",
        stack,
        smtp,
        catalogue,
        load,
        dead_letter_count,
    )
    unavailable = stack.databases.scalar(
        "orders", "SELECT count(*) FROM orders WHERE rejection_reason = 'payment_unavailable'"
    )
    assert unavailable > 0  # some waited past the deadline
    assert set(result.authorised_per_order) <= {0, 1}


def test_a_payment_provider_that_answers_slowly_delays_orders_and_loses_none(stack, smtp, catalogue, dead_letter_count):
    def stutter(seconds=4.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frozen(stack.payment_provider, 0.3)
            time.sleep(0.1)

    load = under_load(stack, catalogue, stutter, after=2.0)
    result = check("payment provider answering slowly", stack, smtp, catalogue, load, dead_letter_count)
    assert set(result.authorised_per_order) <= {0, 1}


def test_sigterm_lets_running_work_finish_and_a_restarted_service_picks_up(stack, smtp, catalogue, dead_letter_count):
    def graceful_restarts():
        restart(stack, "notifications", signal.SIGTERM)
        restart(stack, "orders", signal.SIGTERM)

    load = under_load(stack, catalogue, graceful_restarts)
    check("SIGTERM orders and notifications", stack, smtp, catalogue, load, dead_letter_count)


def test_a_rolling_restart_of_the_edge_and_two_instances_of_every_service_fails_no_request(
    stack, smtp, catalogue, dead_letter_count
):
    for service in SERVICES:
        if len(stack.running(service.name)) < 2:
            stack.start(service.name, instance=1)

    def rolling_restart():
        for service in SERVICES:
            for instance in (0, 1):
                stack.stop_instance(service.name, instance)
                stack.start(service.name, instance=instance, wait=False)
                stack.wait_until_ready(service.name)
        stack.reload_edge()

    load = under_load(stack, catalogue, rolling_restart)
    result = check(
        "rolling restart, the edge reloaded and two instances of each service",
        stack,
        smtp,
        catalogue,
        load,
        dead_letter_count,
    )
    assert result.refused == {}  # not one failed request


class HalfSentOrder:
    """``POST /orders`` from a client that has sent the headers and half the body: a request the edge has in hand."""

    def __init__(self, port, token, sku):
        body = json.dumps(
            {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": sku, "quantity": 1}]}
        ).encode()
        half = len(body) // 2
        self.rest = body[half:]
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.connection.sendall(
            f"POST /orders HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:half]
        )

    def finish(self):
        """The rest of the body; then the answer, read to the end: ``(status, headers and body as text)``."""
        self.connection.sendall(self.rest)
        answer = b""
        while chunk := self.connection.recv(65536):
            answer += chunk
        self.connection.close()
        return int(answer.split(b" ", 2)[1]), answer.decode()


def test_a_sigterm_to_one_of_two_gateways_fails_no_request(stack, smtp, catalogue, dead_letter_count):
    """The stopping gateway answers what it has in hand and takes nothing new; the edge sends the rest,
    bodies it was still receiving included, to the other one."""
    if len(stack.running("gateway")) < 2:
        stack.start("gateway", instance=1)
    skus = list(catalogue)
    in_hand = [HalfSentOrder(stack.port, token, skus[0]) for token in stack.accounts.customer_tokens(4)]
    load = OrderLoad(stack.url, skus, stack.accounts.customer_tokens(8), keep_alive=False).start()
    time.sleep(2)
    stopping = stack.processes["gateway", 0]
    signalled = time.monotonic()
    stopping.send_signal(signal.SIGTERM)
    exit_code = stopping.wait(timeout=30)
    exited_after = time.monotonic() - signalled
    answers = [order.finish() for order in in_hand]
    time.sleep(1)
    load.stop()
    stack.start("gateway")

    assert [status for status, _ in answers] == [201] * len(in_hand), answers
    load.accepted.extend(json.loads(answer.split("\r\n\r\n", 1)[1])["id"] for _, answer in answers)
    result = check("SIGTERM one of two gateways", stack, smtp, catalogue, load, dead_letter_count)
    assert result.refused == {}  # not one failed request
    assert exit_code == 0
    [drained] = re.findall(r"taking no new connections; (\d+) in hand", stack.log("gateway"))[-1:]
    FIGURES.append(
        f"SIGTERM one of two gateways: {drained} connections in hand at the signal, every one "
        f"answered; exited {exited_after:.1f}s after it"
    )


def test_cut_database_connections_mid_load(stack, smtp, catalogue, dead_letter_count):
    names = [uri.rsplit("/", 1)[1] for uri in stack.databases.uris.values()]
    server = create_engine(SERVER_URI + "/postgres", isolation_level="AUTOCOMMIT")

    def cut_connections():
        deadline = time.monotonic() + 3
        with server.connect() as connection:
            while time.monotonic() < deadline:
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%(names)s)",
                    {"names": names},
                )
                time.sleep(0.3)
        server.dispose()

    load = under_load(stack, catalogue, cut_connections)
    check("database connections cut", stack, smtp, catalogue, load, dead_letter_count)


def test_smtp_server_down_for_a_while(stack, smtp, catalogue, dead_letter_count):
    def smtp_outage():
        smtp.stop()
        time.sleep(4)
        smtp.start()

    load = under_load(stack, catalogue, smtp_outage)
    check("SMTP down 4s", stack, smtp, catalogue, load, dead_letter_count)


def test_rabbitmq_restart_mid_load(stack, smtp, catalogue, dead_letter_count):
    def restart_broker():
        subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=120)
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
        wait_for_port(AMQP_PORT, timeout=60)
        for service in ("orders", "inventory", "notifications"):
            wait_for_consumers(stack.amqp_uri, f"rpc-{service}", 1, timeout=90)

    load = under_load(stack, catalogue, restart_broker)
    check("RabbitMQ restart", stack, smtp, catalogue, load, dead_letter_count)


def test_a_malformed_event_goes_to_the_dead_letters_at_once_and_comes_back_after_a_replay(stack, dead_letter_count):
    poison = {"event_id": "poison-1", "occurred_at": "2026-01-01T00:00:00+00:00", "order": {"id": "poison"}}
    printed = stack.run_shell(
        "from nameko.standalone.events import event_dispatcher\n"
        f"event_dispatcher(n.config)('orders', 'order_created', {poison!r})\n"
    )
    assert "Traceback" not in printed
    wait_until(dead_letter_count, 60, "the poison event in the dead letters", poll_seconds=0.5)
    listed = stack.run_shell(
        "print('DEAD', [(d['event_type'], d['payload']['event_id'], d['attempts'], "
        "d['error'][:40]) for d in n.rpc.inventory.list_dead_letters()])\n"
    )
    FIGURES.append(f"[poison event] {listed.replace('>>>', '').strip()}")
    assert "DEAD [('order_created', 'poison-1', 1, 'InvalidEvent(\"invalid order_created payl')]" in listed
    replayed = stack.run_shell("print('REPLAYED', n.rpc.inventory.replay_dead_letters())\n")
    assert "REPLAYED {'replayed': 1, 'kept': 0}" in replayed
    # still malformed: it is back at once, not looping, not lost
    wait_until(dead_letter_count, 120, "the replayed poison event back in the dead letters", poll_seconds=0.5)
    time.sleep(1)
    assert dead_letter_count() == 1
    assert requests.get(f"{stack.url}/health", timeout=5).status_code == 200
