"""Every service answers /health/live, /health/ready and /metrics, and counts its entrypoints, with no work of its
own: real containers on a real RabbitMQ and PostgreSQL, asked over HTTP."""

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_waiter
from nameko.testing.utils import get_extension
from prometheus_client.parser import text_string_to_metric_families

from gateway.service import GatewayService
from harness.accounts import bearer
from harness.shipping import ADDRESS
from harness.smtp import free_port
from notification_service.service import NotificationService
from order_service.service import OrderService
from shop_common.operations.operated import OpsWebServer
from shop_common.operations.services import SERVICES
from shop_common.vocabulary.events import new_event
from tests.integration.test_notification_service import order


def sample(url, name, **labels):
    """The value of one sample of ``url``'s metrics (0 when it is not there yet): the counters are the process's,
    so a test compares before and after."""
    text = requests.get(f"{url}/metrics", timeout=5).text
    return next(
        (
            value
            for family in text_string_to_metric_families(text)
            for sample_name, sample_labels, value, *_ in family.samples
            if sample_name == name and sample_labels == labels
        ),
        0,
    )


def ops_url(container):
    """Where the container answers its operations endpoints (each took a free port: ``OPS_ADDRESS`` is port 0)."""
    return f"http://127.0.0.1:{get_extension(container, OpsWebServer)._sock.getsockname()[1]}"


@pytest.fixture
def started(container_factory, config):
    def start(service_class, **changes):
        container = container_factory(service_class, {**config, **changes})
        container.start()
        return container

    return start


@pytest.mark.parametrize(
    "service", [service for service in SERVICES if service.ops_port], ids=lambda service: service.name
)
def test_every_domain_service_lives_and_is_ready_on_its_operations_address(started, service):
    url = ops_url(started(service.service_class()))
    assert requests.get(f"{url}/health/live", timeout=5).json() == {"status": "live"}
    ready = requests.get(f"{url}/health/ready", timeout=5)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_a_service_whose_database_does_not_answer_is_not_ready_and_says_why(started, config):
    unreachable = dict.fromkeys(config["DB_URIS"], "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    url = ops_url(started(OrderService, DB_URIS=unreachable))
    assert requests.get(f"{url}/health/live", timeout=5).status_code == 200
    ready = requests.get(f"{url}/health/ready", timeout=10)
    assert ready.status_code == 503
    assert list(ready.json()["failing"]) == ["database"]


def test_entrypoint_calls_are_counted_by_outcome_and_timed(started, rpc_client):
    url = ops_url(started(OrderService))
    orders = rpc_client("orders")
    labels = {"service": "orders", "kind": "rpc"}
    before = (
        sample(url, "shop_entrypoint_calls_total", entrypoint="list_pending_orders", outcome="ok", **labels),
        sample(url, "shop_entrypoint_calls_total", entrypoint="get_order", outcome="refused", **labels),
        sample(url, "shop_entrypoint_duration_seconds_count", entrypoint="get_order", **labels),
    )
    orders.list_pending_orders()
    with pytest.raises(RemoteError) as refused:
        orders.get_order("no-such-order")
    assert refused.value.exc_type == "OrderNotFound"
    after = (
        sample(url, "shop_entrypoint_calls_total", entrypoint="list_pending_orders", outcome="ok", **labels),
        sample(url, "shop_entrypoint_calls_total", entrypoint="get_order", outcome="refused", **labels),
        sample(url, "shop_entrypoint_duration_seconds_count", entrypoint="get_order", **labels),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_event_handlers_are_counted_too(started, publish_event):
    container = started(NotificationService)
    url, labels = (
        ops_url(container),
        {"service": "notifications", "kind": "event", "entrypoint": "handle_order_confirmed"},
    )
    before = sample(url, "shop_entrypoint_calls_total", outcome="ok", **labels)
    with entrypoint_waiter(container, "handle_order_confirmed"):
        publish_event("orders", "order_confirmed", new_event(order=order("metered@example.com")))
    assert sample(url, "shop_entrypoint_calls_total", outcome="ok", **labels) == before + 1


def test_the_gateway_answers_them_on_its_own_address_and_counts_requests_by_route(started, access_token):
    address = f"127.0.0.1:{free_port()}"
    started(GatewayService, WEB_SERVER_ADDRESS=address)
    url = f"http://{address}"
    assert requests.get(f"{url}/health/live", timeout=5).status_code == 200
    assert requests.get(f"{url}/health/ready", timeout=5).json() == {"status": "ready"}
    route = {"route": "/orders/<order_id>", "method": "GET"}
    before = [sample(url, "shop_http_requests_total", status=status, **route) for status in ("401", "503")]
    requests.get(f"{url}/orders/abc", timeout=5)  # no token: 401
    requests.get(f"{url}/orders/abc", headers=bearer(access_token()), timeout=5)  # orders is not running: 503
    after = [sample(url, "shop_http_requests_total", status=status, **route) for status in ("401", "503")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]
    assert sample(url, "shop_http_request_duration_seconds_count", **route) >= 2


def test_backlogs_and_pools_are_read_when_the_metrics_are_scraped(started, rpc_client, quotes):
    url = ops_url(started(OrderService))
    before = sample(url, "shop_pending_orders")
    rpc_client("orders").create_order(
        {
            "customer_id": "acc-1",
            "customer_email": "ada@example.com",
            "payment_method": "pm_card_visa",
            "shipping_address": ADDRESS,
            "items": [{"sku": "TEA-1", "quantity": 1}],
        }
    )  # inventory holds no stock
    assert sample(url, "shop_pending_orders") == before + 1
    assert sample(url, "shop_pending_orders_oldest_age_seconds") > 0
    text = requests.get(f"{url}/metrics", timeout=5).text
    for family in (
        'shop_outbox_unpublished_events{service="orders"}',
        'shop_outbox_oldest_unpublished_age_seconds{service="orders"}',
        'shop_database_connections_in_use{service="orders"}',
    ):
        assert family in text


def test_the_gateway_shows_each_circuit_breaker(started, access_token):
    address = f"127.0.0.1:{free_port()}"
    started(GatewayService, WEB_SERVER_ADDRESS=address, CIRCUIT_BREAKER={"FAILURES": 1, "RESET_SECONDS": 30})
    url, breaker = f"http://{address}", {"caller": "gateway", "service": "orders"}
    assert sample(url, "shop_circuit_breaker_open", **breaker) == 0
    requests.get(f"{url}/orders/abc", headers=bearer(access_token()), timeout=5)  # orders is not running
    assert sample(url, "shop_circuit_breaker_open", **breaker) == 1
