"""docker-compose.yml, the Procfile and config.yaml agree (Docker itself cannot run here)."""

import re
from urllib.parse import urlparse

import pytest
import yaml

from shop_common.broker_accounts import account_name
from shop_common.config import ROOT, load_config
from shop_common.services import SERVICES
from tests.support.stack import MODULES

ADDRESS_VARIABLES = {"AMQP_URI", "ORDERS_DB_URI", "INVENTORY_DB_URI", "NOTIFICATIONS_DB_URI",
                     "SMTP_HOST", "SMTP_PORT", "WEB_SERVER_ADDRESS"}


class ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: ``${VAR}`` left as written (``load_config`` teaches SafeLoader to expand it)."""


@pytest.fixture(scope="module")
def compose():
    ComposeLoader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return yaml.load((ROOT / "docker-compose.yml").read_text(), Loader=ComposeLoader)["services"]


def config_variables():
    return set(re.findall(r"\$\{(\w+)", (ROOT / "config.yaml").read_text()))


def test_config_reads_every_address_from_the_environment():
    assert ADDRESS_VARIABLES <= config_variables()


def test_config_takes_addresses_from_the_environment(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://u:p@broker:5672/shop")
    monkeypatch.setenv("ORDERS_DB_URI", "postgresql+psycopg2://db/orders_x")
    monkeypatch.setenv("SMTP_PORT", "2525")
    config = load_config()
    assert config["AMQP_URI"] == "amqp://u:p@broker:5672/shop"
    assert config["DB_URIS"]["orders:Base"] == "postgresql+psycopg2://db/orders_x"
    assert config["SMTP"]["PORT"] == 2525


@pytest.mark.parametrize("service, module", MODULES.items())
def test_every_service_runs_in_compose_as_nameko_run_with_the_shared_config(compose, service, module):
    assert compose[service]["command"] == ["nameko", "run", module, "--config", "config.yaml"]


@pytest.mark.parametrize("service", MODULES)
def test_every_service_gets_every_address_config_reads(compose, service):
    environment = compose[service]["environment"]
    assert set(environment) == ADDRESS_VARIABLES
    assert set(environment) <= config_variables()


def test_addresses_point_at_the_compose_services_and_their_databases(compose):
    environment = compose["gateway"]["environment"]
    created = set(re.findall(r"CREATE DATABASE (\w+)", (ROOT / "docker" / "create-databases.sql").read_text()))
    databases = {urlparse(environment[name]).path.lstrip("/") for name in
                 ("ORDERS_DB_URI", "INVENTORY_DB_URI", "NOTIFICATIONS_DB_URI")}
    assert databases == created and len(databases) == 3
    hosts = {urlparse(environment[name]).hostname for name in ("AMQP_URI", "ORDERS_DB_URI")} | {environment["SMTP_HOST"]}
    assert hosts == {"rabbitmq", "postgres", "mailcatcher"} and hosts <= set(compose)
    assert environment["SMTP_PORT"] in {port.split(":")[0] for port in compose["mailcatcher"]["ports"]}


ONE_SHOT_JOBS = ("migrate", "broker-accounts")


def test_every_container_has_a_health_check(compose):
    assert [name for name, service in compose.items()
            if name not in ONE_SHOT_JOBS and "healthcheck" not in service] == []


@pytest.mark.parametrize("service", MODULES)
def test_every_service_connects_to_rabbitmq_with_its_own_account_set_up_before_it_starts(compose, service):
    url = urlparse(compose[service]["environment"]["AMQP_URI"])
    assert url.username == account_name(service)
    assert url.password == f"${{{service.upper()}_AMQP_PASSWORD}}"   # from the environment, never the repository
    assert compose[service]["depends_on"]["broker-accounts"]["condition"] == "service_completed_successfully"
    assert compose["broker-accounts"]["environment"][f"{service.upper()}_AMQP_PASSWORD"].startswith(
        f"${{{service.upper()}_AMQP_PASSWORD:?")


def test_the_broker_accounts_job_sets_up_every_service(compose):
    assert compose["broker-accounts"]["command"] == ["python", "-m", "shop_common.broker_accounts"]
    assert {service.name for service in SERVICES} == set(MODULES)


def test_services_start_after_the_brokers_and_the_migrations(compose):
    for service in MODULES:
        depends_on = compose[service]["depends_on"]
        assert depends_on["rabbitmq"]["condition"] == "service_healthy"
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert compose["gateway"]["depends_on"]["orders"]["condition"] == "service_healthy"
    assert compose["gateway"]["depends_on"]["inventory"]["condition"] == "service_healthy"
    assert compose["notifications"]["depends_on"]["mailcatcher"]["condition"] == "service_healthy"


def test_the_gateway_port_is_published(compose):
    port = compose["gateway"]["environment"]["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1]
    assert f"{port}:{port}" in compose["gateway"]["ports"]


def test_rabbitmq_comes_with_its_management_ui(compose):
    assert "management" in compose["rabbitmq"]["image"]
    assert "15672:15672" in compose["rabbitmq"]["ports"]


def test_the_procfile_runs_the_same_services():
    commands = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    for service, module in MODULES.items():
        assert commands[service] == f"nameko run {module} --config config.yaml"
