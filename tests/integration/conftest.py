"""Services in real Nameko containers on a real RabbitMQ (a fresh virtual host per test)."""

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import restrict_entrypoints

from harness.accounts import bearer
from harness.event_tap import EventTap
from harness.shipping import WEIGHT_GRAMS
from harness.smtp import free_port
from inventory_service.service import InventoryService
from shipping_service.service import ShippingService
from shop_common.identity.tokens import issue_access_token
from shop_common.operations.config import load_config
from tests.conftest import CARRIER_SECRET, WEBHOOK_SECRET


@pytest.fixture
def config(rabbit_config, clean_databases, smtp_sink, payment_provider, monkeypatch):
    """config.yaml's settings (so its defaults), with this test's broker, databases, SMTP server and payment
    provider (whose keys come from the environment, as in production)."""
    for name, value in {
        **payment_provider.environment,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CARRIER_WEBHOOK_SECRET": CARRIER_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_config()
    return {
        **settings,
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DB_URIS": clean_databases.db_uris_config,
        "SMTP": smtp_sink.config(),
        "PAYMENTS": {**settings["PAYMENTS"], "API_BASE": payment_provider.url, "AUTHORISATION_DEADLINE": 3},
        "RPC_TIMEOUT": 1,
        "OPS_ADDRESS": "127.0.0.1:0",  # each container's operations endpoints on a port of its own
    }


@pytest.fixture
def access_token(signing_keys):
    """An access token as the accounts service would sign it: ``access_token("staff")``."""
    auth = load_config()["AUTH"]

    def token(role="customer", account_id="acc-ada", email="ada@example.com"):
        account = {"id": account_id, "email": email, "role": role}
        return issue_access_token(signing_keys, account, auth["ISSUER"], auth["AUDIENCE"], 60)

    return token


@pytest.fixture
def rpc_client(config):
    """A real RPC client over RabbitMQ: ``rpc_client("orders").get_order(...)``."""
    proxies = []

    def client(service):
        proxy = ServiceRpcProxy(service, config, timeout=10)
        proxies.append(proxy)
        return proxy.start()

    yield client
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def publish_event(config):
    return event_dispatcher(config)


@pytest.fixture
def event_tap(config):
    taps = []

    def tap(*services):
        taps.append(EventTap(config["AMQP_URI"], *services))
        return taps[-1]

    yield tap
    for opened in taps:
        opened.close()


CATALOGUE = (
    {"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5, "weight_grams": WEIGHT_GRAMS},
    {"sku": "CUP-1", "name": "Cup", "price": "9.60", "stock": 5, "weight_grams": WEIGHT_GRAMS},
)


@pytest.fixture
def quotes(container_factory, config, rpc_client):
    """What placing an order asks of other services: the shipping service's quote, and the catalogue's weights
    (``CATALOGUE``) from the inventory service answering RPC alone, so that it holds no stock for orders whose
    stock events a test publishes itself."""
    inventory = container_factory(InventoryService, config)
    restrict_entrypoints(inventory, "create_product", "list_products")
    inventory.start()
    container_factory(ShippingService, config).start()
    for product in CATALOGUE:
        rpc_client("inventory").create_product(product)
    return inventory


@pytest.fixture
def web_config(config):
    """``config`` with a web server address of the test's own, for a gateway."""
    return {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}


@pytest.fixture
def as_staff(access_token):
    return bearer(access_token("staff", "acc-staff", "staff@example.com"))


@pytest.fixture
def as_customer(access_token):
    return bearer(access_token("customer"))
