"""docker-compose.yml, the Procfile, the database script, alembic.ini and config.yaml agree with the
service registry (Docker itself cannot run here)."""

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from shop_common.operations.broker_accounts import account_name
from shop_common.operations.config import ROOT, load_config
from shop_common.operations.services import SERVICES, WITH_DATABASES

MODULES = {service.name: service.module for service in SERVICES}
DATABASE_VARIABLES = {service.database_variable for service in WITH_DATABASES}
ADDRESS_VARIABLES = {"AMQP_URI", "SMTP_HOST", "SMTP_PORT", "WEB_SERVER_ADDRESS"} | DATABASE_VARIABLES
KEY_VARIABLES = {"AUTH_SIGNING_KEY", "AUTH_TRUSTED_KEYS"}   # read by shop_common.identity.keys, not config.yaml
TRACE_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}   # read by the OpenTelemetry SDK (shop_common.operations.tracing)


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
    assert ADDRESS_VARIABLES <= set(environment)
    assert set(environment) <= config_variables() | KEY_VARIABLES | TRACE_VARIABLES


@pytest.mark.parametrize("service", MODULES)
def test_every_service_exports_its_spans_to_jaeger(compose, service):
    endpoint = urlparse(compose[service]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert (endpoint.hostname, endpoint.port) == ("jaeger", 4318) and "jaeger" in compose


def test_addresses_point_at_the_compose_services_and_their_databases(compose):
    environment = compose["gateway"]["environment"]
    created = set(re.findall(r"CREATE DATABASE (\w+)", (ROOT / "docker" / "create-databases.sql").read_text()))
    databases = {urlparse(environment[name]).path.lstrip("/") for name in DATABASE_VARIABLES}
    assert databases == created == {service.default_database for service in WITH_DATABASES}
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


def test_access_token_keys_come_from_the_environment_to_the_services_that_use_them(compose):
    assert compose["accounts"]["environment"]["AUTH_SIGNING_KEY"].startswith("${AUTH_SIGNING_KEY:?")
    assert compose["gateway"]["environment"]["AUTH_TRUSTED_KEYS"].startswith("${AUTH_TRUSTED_KEYS:?")
    assert [name for name, service in compose.items()
            if name != "accounts" and "AUTH_SIGNING_KEY" in service.get("environment", {})] == []


def test_gateway_instances_share_their_rate_limits_in_redis(compose):
    assert urlparse(compose["gateway"]["environment"]["REDIS_URL"]).hostname == "redis"
    assert compose["gateway"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_broker_accounts_job_sets_up_every_service(compose):
    assert compose["broker-accounts"]["command"] == ["python", "-m", "shop_common.operations.broker_accounts"]


@pytest.mark.parametrize("service", WITH_DATABASES, ids=lambda service: service.name)
def test_every_service_with_a_database_has_its_alembic_history_and_its_address_in_config(service):
    alembic = configparser.ConfigParser()
    alembic.read(ROOT / "alembic.ini")
    assert alembic[service.alembic_section]["script_location"] == service.migrations
    assert (ROOT / service.migrations / "env.py").exists()
    config_text = (ROOT / "config.yaml").read_text()
    assert re.search(rf'"{service.config_key}": \$\{{{service.database_variable}:[^}}]*/{service.default_database}\}}',
                     config_text), f"config.yaml has no DB_URIS entry for {service.name}"


def test_only_registered_services_have_databases_or_migrations():
    alembic = configparser.ConfigParser()
    alembic.read(ROOT / "alembic.ini")
    assert set(alembic.sections()) == {service.alembic_section for service in WITH_DATABASES}
    assert set(load_config()["DB_URIS"]) == {service.config_key for service in WITH_DATABASES}


def test_services_start_after_the_brokers_and_the_migrations(compose):
    for service in MODULES:
        depends_on = compose[service]["depends_on"]
        assert depends_on["rabbitmq"]["condition"] == "service_healthy"
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert compose["gateway"]["depends_on"]["orders"]["condition"] == "service_healthy"
    assert compose["gateway"]["depends_on"]["inventory"]["condition"] == "service_healthy"
    assert compose["gateway"]["depends_on"]["accounts"]["condition"] == "service_healthy"
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


def test_nameko_run_starts_without_the_eventlet_banner_and_keeps_other_output():
    makefile = re.search(r"^export PYTHONWARNINGS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"PYTHONWARNINGS={makefile}" in (ROOT / "Dockerfile").read_text()
    nameko = str(Path(sys.executable).parent / "nameko")
    printed = subprocess.run([nameko, "run", "no_such_module", "--config", "config.yaml"], cwd=ROOT,
                             env={**os.environ, "PYTHONWARNINGS": makefile}, capture_output=True, text=True,
                             timeout=60)
    assert "No module named 'no_such_module'" in printed.stdout + printed.stderr
    assert "Eventlet is deprecated" not in printed.stdout + printed.stderr


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_nameko_run_of_a_service_module_starts_that_service_alone(service):
    """``nameko run`` starts every class with entrypoints it finds in the module, imported ones included."""
    from nameko.cli.run import import_service
    assert import_service(service.module) == [service.service_class()]


def test_prometheus_scrapes_every_service_where_it_answers_its_metrics(compose):
    scraped = yaml.safe_load((ROOT / "docker" / "prometheus.yml").read_text())["scrape_configs"]
    targets = {target for job in scraped for group in job["static_configs"] for target in group["targets"]}
    gateway_port = compose["gateway"]["environment"]["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1]
    assert targets == {f"{service.name}:{service.ops_port or gateway_port}" for service in SERVICES}
    assert all(job["metrics_path"] == "/metrics" for job in scraped)


def test_grafana_gets_its_dashboard_and_prometheus_and_jaeger_as_its_data_sources(compose):
    mounts = compose["grafana"]["volumes"]
    assert "./docker/grafana/dashboards:/var/lib/grafana/dashboards:ro" in mounts
    provider = yaml.safe_load((ROOT / "docker/grafana/provisioning/dashboards/shop.yml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    sources = yaml.safe_load((ROOT / "docker/grafana/provisioning/datasources/datasources.yml").read_text())
    assert {source["type"]: source["url"] for source in sources["datasources"]} == {
        "prometheus": "http://prometheus:9090", "jaeger": "http://jaeger:16686"}
    assert {"prometheus", "jaeger"} <= set(compose)
