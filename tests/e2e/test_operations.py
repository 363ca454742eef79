"""Running the shop: services down and back, request ids, callers and traces, the nameko shell, the metrics."""

import json
import re
import secrets
import signal
import time

import pytest
import requests
import yaml

from harness.otlp import running_receiver
from harness.payment_provider import APPROVED
from harness.repository import ROOT
from harness.shipping import ADDRESS
from harness.smtp import ORDER_MAIL
from harness.waiting import wait_until
from shop_common.operations.services import SERVICES
from tests.e2e.conftest import e2e_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def otlp_receiver():
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(vhost_pipeline, run_id, smtp_sink, tmp_path_factory, otlp_receiver):
    """A shop of this module's own: every process exports its spans to the receiver, in batches sent every 100 ms,
    and the tests stop and kill its services."""
    with e2e_stack(
        vhost_pipeline,
        f"shop_test_{run_id}_e2e_operations",
        smtp_sink,
        tmp_path_factory,
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.url,
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as stack:
        yield stack


def new_traceparent():
    """A client's own trace context: ``(traceparent, trace id, span id)``."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def test_orders_taken_while_inventory_is_down_complete_when_it_returns(shop, stack, email):
    """Placing an order needs inventory's word on nothing: shipping prices the parcel by the weights inventory's
    events told it."""
    tea = shop.add_product(stock=5, name="Green tea")
    wait_until(
        lambda: (
            stack.databases.scalar("shipping", "SELECT count(*) FROM product_weights WHERE sku = :sku", sku=tea) == 1
        ),
        10,
        "shipping knows the product's weight",
    )
    stack.stop("inventory")
    try:
        placed = shop.place_order(email, (tea, 2))
        time.sleep(1)
        shown = shop.get(f"/orders/{placed['id']}")
        assert shown.status_code == 200
        assert shown.json()["status"] == "pending"
        assert "name" not in shown.json()["items"][0]  # the catalogue did not answer: no details
    finally:
        stack.start("inventory")
        stack.start("inventory", instance=1)
    order = shop.wait_for_status(placed["id"])
    assert order["status"] == "confirmed"
    assert order["items"][0]["name"] == "Green tea"


def test_health_checks_see_every_service_up(stack):
    assert {service.name: stack.healthcheck(service.name) for service in SERVICES} == {
        service.name: 0 for service in SERVICES
    }


def test_the_gateway_answers_503_quickly_when_orders_is_down(shop, stack, email):
    stack.stop("orders", sig=signal.SIGKILL)
    try:
        assert stack.healthcheck("orders") == 1
        began = time.monotonic()
        response = shop.post(
            "/orders",
            json={"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": "A", "quantity": 1}]},
        )
        elapsed = time.monotonic() - began
        assert response.status_code == 503
        assert response.json()["error"] == "service_unavailable"
        assert len(response.json()["details"]["order_id"]) == 32  # to look up later: the outcome is unknown
        assert elapsed < 3
    finally:
        stack.start("orders")


def test_the_request_id_the_caller_and_the_trace_id_appear_in_the_logs_of_every_service_that_worked_on_it(
    shop, stack, smtp_sink, email
):
    tea = shop.add_product()
    request_id = f"trace-{email.split('@')[0]}"
    traceparent, trace_id, _ = new_traceparent()
    placed = shop.place_order(email, (tea, 1), headers={"X-Request-ID": request_id, "traceparent": traceparent})
    shop.wait_for_status(placed["id"])
    smtp_sink.wait_for(1, email, ORDER_MAIL)
    time.sleep(0.5)  # let the last log lines reach the files
    caller = f'"caller": "customer:{placed["customer_id"]}"'
    for service in ("gateway", "orders", "inventory", "payments", "notifications"):
        lines = [json.loads(line) for line in stack.log(service).splitlines() if request_id in line]
        assert lines, f"{service} logged nothing for {request_id}"
        assert any(caller in json.dumps(line) for line in lines), f"{service} did not name the caller of {request_id}"
        assert {line.get("trace_id") for line in lines} == {trace_id}, service


def test_one_order_is_one_trace_from_the_clients_request_to_the_email_sent(shop, stack, otlp_receiver, email):
    tea = shop.add_product()
    traceparent, trace_id, client_span_id = new_traceparent()
    placed = shop.place_order(email, (tea, 1), headers={"traceparent": traceparent})
    assert shop.wait_for_status(placed["id"])["status"] == "confirmed"

    spans = otlp_receiver.wait_for_trace(trace_id, lambda spans: any(span.name == "smtp send" for span in spans))
    time.sleep(0.5)  # the spans still being exported
    spans = {span.span_id: span for span in otlp_receiver.trace(trace_id)}
    named = {(span.service, span.kind, span.name) for span in spans.values()}

    # Every span's cause is in the trace; the gateway's request is the one child of the client's span.
    assert [span.name for span in spans.values() if span.parent_span_id == client_span_id] == ["POST /orders"]
    assert (
        sorted(
            span.name
            for span in spans.values()
            if span.parent_span_id not in spans and span.parent_span_id != client_span_id
        )
        == []
    )
    assert {
        ("gateway", "SERVER", "POST /orders"),
        ("gateway", "CLIENT", "orders/create_order"),
        ("orders", "SERVER", "orders/create_order"),
        ("orders", "PRODUCER", "create orders.events"),
        ("orders", "CLIENT", "send orders.events"),
        ("inventory", "CONSUMER", "process orders.events"),
        ("inventory", "PRODUCER", "create inventory.events"),
        ("orders", "CONSUMER", "process inventory.events"),
        ("payments", "CONSUMER", "process orders.events"),
        ("payments", "CLIENT", "payment_provider create_intent"),
        ("payments", "CLIENT", "payment_provider confirm"),
        ("payments", "PRODUCER", "create payments.events"),
        ("orders", "CONSUMER", "process payments.events"),
        ("notifications", "CONSUMER", "process orders.events"),
        ("notifications", "CLIENT", "smtp send"),
    } <= named
    assert {span.service for span in spans.values() if span.attributes.get("db.statement_count", 0) > 0} >= {
        "orders",
        "inventory",
        "payments",
        "notifications",
    }

    def ancestors(span):
        while span.parent_span_id in spans:
            span = spans[span.parent_span_id]
            yield span

    # The email goes back, cause by cause, to the client's request: through the event that confirmed the order,
    # its payment authorised, the payment asked for, the stock reserved for it and the order placed; each event's
    # processing links to its creation.
    smtp = next(span for span in spans.values() if span.name == "smtp send")
    chain = [(span.service, span.name) for span in ancestors(smtp)]
    assert chain == [
        ("notifications", "process orders.events"),
        ("orders", "create orders.events"),
        ("orders", "process payments.events"),
        ("payments", "create payments.events"),
        ("payments", "process orders.events"),
        ("orders", "create orders.events"),
        ("orders", "process inventory.events"),
        ("inventory", "create inventory.events"),
        ("inventory", "process orders.events"),
        ("orders", "create orders.events"),
        ("orders", "orders/create_order"),
        ("gateway", "orders/create_order"),
        ("gateway", "POST /orders"),
    ]
    for span in spans.values():
        if span.kind == "CONSUMER":
            assert span.links == ((trace_id, span.parent_span_id),), span
    assert not any(span.error for span in spans.values())


def test_probes_and_scrapes_start_no_trace(stack, otlp_receiver):
    for path in ("/health/live", "/health/ready", "/metrics"):
        assert requests.get(stack.gateway_url + path, timeout=5).status_code == 200
    for url in stack.ops_urls.values():
        requests.get(f"{url}/metrics", timeout=5)
    traceparent, trace_id, _ = new_traceparent()  # a traced request after the probes: its span follows theirs
    requests.get(stack.url + "/health", headers={"traceparent": traceparent}, timeout=5)
    assert [span.name for span in otlp_receiver.wait_for_trace(trace_id, bool)] == ["GET /health"]
    probes = {"GET /health/live", "GET /health/ready", "GET /metrics"}
    assert [
        span.name
        for span in otlp_receiver.spans
        if span.name in probes or span.kind == "CLIENT" and not span.parent_span_id
    ] == []


def test_the_nameko_shell_shows_the_same_order(shop, stack, email):
    tea = shop.add_product()
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    printed = stack.run_shell(
        f'o = n.rpc.orders.get_order("{order["id"]}")\nprint("STATUS", o["status"], o["total"])\n'
        f'p = n.rpc.payments.get_payment("{order["id"]}")\n'
        f'print("PAYMENT", p["status"], p["amount"], p["reference"])\n'
    )
    assert f"STATUS confirmed {order['total']}" in printed
    assert f"PAYMENT authorised {order['total']} {order['payment']['reference']}" in printed


def test_the_notification_record_is_readable_over_rpc(shop, stack, smtp_sink, email):
    tea = shop.add_product()
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    smtp_sink.wait_for(1, email, ORDER_MAIL)
    printed = stack.run_shell(
        f'print("SENT", sorted((x["kind"], x["regarding_id"]) '
        f'for x in n.rpc.notifications.list_notifications("{email}")))\n'
    )
    assert f"SENT [('confirmed', '{order['id']}'), ('welcome', '{order['customer_id']}')]" in printed


def test_every_process_is_live_and_ready_on_its_own_operations_address(stack):
    for (service, instance), url in stack.ops_urls.items():
        if stack.processes[service, instance].poll() is None:
            assert requests.get(f"{url}/health/live", timeout=5).status_code == 200, (service, instance)
            assert requests.get(f"{url}/health/ready", timeout=5).json() == {"status": "ready"}, (service, instance)
            assert "shop_entrypoint_calls_total" in requests.get(f"{url}/metrics", timeout=5).text


def exported_metric_names(stack):
    """Every metric name (and sample name: ``_bucket``, ``_count``...) the running processes export."""
    names = set()
    for url in stack.ops_urls.values():
        for line in requests.get(f"{url}/metrics", timeout=5).text.splitlines():
            if line.startswith("# TYPE "):
                names.add(line.split()[2])
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_every_query_of_the_dashboard_and_the_alerts_names_a_metric_the_running_shop_exports(shop, stack, email):
    shop.wait_for_status(shop.place_order(email, (shop.add_product(), 1))["id"])  # every kind of work once
    dashboard = json.loads((ROOT / "docker" / "grafana" / "dashboards" / "shop.json").read_text())
    alerts = yaml.safe_load((ROOT / "docker" / "alerts.yml").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]] + [
        rule["expr"] for group in alerts["groups"] for rule in group["rules"]
    ]
    queried = {name for expression in expressions for name in re.findall(r"\bshop_[a-z_]+", expression)}
    assert len(queried) >= 10
    assert sorted(queried - exported_metric_names(stack)) == []
