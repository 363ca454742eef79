"""docker-compose.yml, the Dockerfile, the Procfile, the database script, alembic.ini and config.yaml agree with
the service registry, and compose keeps the shop behind its edge with every credential out of the repository
(Docker itself cannot run here)."""

import configparser
import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from harness.repository import ROOT
from shop_common.operations.broker_accounts import account_name
from shop_common.operations.config import load_config
from shop_common.operations.services import SERVICES, WITH_DATABASES
from tests.deployment.file_secrets import FILE_SECRETS, KEY_FILE_VARIABLES

MODULES = {service.name: service.module for service in SERVICES}
DATABASE_VARIABLES = {service.database_variable for service in WITH_DATABASES}
ADDRESS_VARIABLES = {"AMQP_URI", "SMTP_HOST", "SMTP_PORT", "WEB_SERVER_ADDRESS"} | DATABASE_VARIABLES
TRACE_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}  # read by the OpenTelemetry SDK (shop_common.observability.tracing)
IMAGE_UID = 10001  # the Dockerfile's shop user (uid and gid): deploy/k8s's runAsUser and runAsGroup too


class ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: ``${VAR}`` left as written (``load_config`` teaches SafeLoader to expand it)."""


@pytest.fixture(scope="module")
def compose():
    return compose_file()["services"]


def compose_file():
    """The whole of docker-compose.yml, ``${VAR}`` left as written."""
    ComposeLoader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load((ROOT / "docker-compose.yml").read_text(), Loader=ComposeLoader)


def config_variables():
    return set(re.findall(r"\$\{(\w+)", (ROOT / "config.yaml").read_text()))


def test_config_reads_every_address_from_the_environment():
    assert config_variables() >= ADDRESS_VARIABLES


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
    assert set(environment) >= ADDRESS_VARIABLES
    assert set(environment) <= config_variables() | KEY_FILE_VARIABLES | TRACE_VARIABLES


@pytest.mark.parametrize("service", MODULES)
def test_every_service_exports_its_spans_to_jaeger(compose, service):
    endpoint = urlparse(compose[service]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert (endpoint.hostname, endpoint.port) == ("jaeger", 4318) and "jaeger" in compose


def test_addresses_point_at_the_compose_services_and_their_databases(compose):
    environment = compose["gateway"]["environment"]
    created = set(re.findall(r"CREATE DATABASE (\w+)", (ROOT / "docker" / "create-databases.sql").read_text()))
    databases = {urlparse(environment[name]).path.lstrip("/") for name in DATABASE_VARIABLES}
    assert databases == created == {service.default_database for service in WITH_DATABASES}
    hosts = {urlparse(environment[name]).hostname for name in ("AMQP_URI", "ORDERS_DB_URI")} | {
        environment["SMTP_HOST"]
    }
    assert hosts == {"rabbitmq", "postgres", "mailcatcher"} and hosts <= set(compose)
    assert environment["SMTP_PORT"] in compose["mailcatcher"]["expose"]  # inside the network, not on the host


ONE_SHOT_JOBS = ("migrate", "broker-accounts")


def test_every_container_has_a_health_check(compose):
    assert [
        name for name, service in compose.items() if name not in ONE_SHOT_JOBS and "healthcheck" not in service
    ] == []


@pytest.mark.parametrize("service", MODULES)
def test_every_service_connects_to_rabbitmq_with_its_own_account_set_up_before_it_starts(compose, service):
    url = urlparse(compose[service]["environment"]["AMQP_URI"])
    assert url.username == account_name(service)
    assert url.password == f"${{{service.upper()}_AMQP_PASSWORD}}"  # from the environment, never the repository
    assert compose[service]["depends_on"]["broker-accounts"]["condition"] == "service_completed_successfully"
    assert compose["broker-accounts"]["environment"][f"{service.upper()}_AMQP_PASSWORD"].startswith(
        f"${{{service.upper()}_AMQP_PASSWORD:?"
    )


def secret_files(compose, service):
    """``{path in the container: (compose secret, its long form)}`` of the secrets ``service`` is given."""
    files = {}
    for entry in compose[service].get("secrets", []):
        entry = {"source": entry} if isinstance(entry, str) else entry
        target = entry.get("target", entry["source"])
        files[target if target.startswith("/") else f"/run/secrets/{target}"] = (entry["source"], entry)
    return files


@pytest.mark.parametrize("variable, service", FILE_SECRETS.items())
def test_keys_and_secrets_reach_the_services_that_use_them_as_files_readable_by_the_shop_user_alone(
    compose, service, variable
):
    """The access token keys, the Stripe secrets and the carriers' webhook secret. Never an environment variable of
    the container (which `docker inspect` and every child process see)."""
    secrets = compose_file()["secrets"]
    path = compose[service]["environment"][f"{variable}_FILE"]
    source, entry = secret_files(compose, service)[path]
    assert secrets[source] == {"environment": variable}  # from the environment or .env, never the repository
    assert (entry["uid"], entry["gid"], entry["mode"]) == (str(IMAGE_UID), str(IMAGE_UID), "0o400")
    assert [
        (name, key) for name, other in compose.items() for key in other.get("environment", {}) if key in FILE_SECRETS
    ] == []
    holders = {
        name
        for name in compose
        for source, _ in secret_files(compose, name).values()
        if secrets[source] == {"environment": variable}
    }
    assert holders == {service}


PAYMENT_PROVIDER = "payment-provider"  # localstripe, a fake Stripe: compose's alone, never deployed


def stripe_variables(environment):
    return {name for name in environment if name.startswith("STRIPE_")}


def test_only_the_payments_service_is_given_anything_of_stripes_the_gateway_nothing(compose):
    """Stripe's address and secrets are the payments service's: the gateway, which reads neither secret, and
    every other container get no STRIPE_* variable and no Stripe secret."""
    assert {
        name: stripe_variables(environment)
        for name, environment in environments(compose).items()
        if stripe_variables(environment)
    } == {"payments": {"STRIPE_API_BASE", "STRIPE_API_KEY_FILE", "STRIPE_WEBHOOK_SECRET_FILE"}}
    assert stripe_variables(compose_file()["x-shop-environment"]) == set()
    assert "secrets" not in compose[PAYMENT_PROVIDER]


def carrier_variables(environment):
    return {name for name in environment if name.startswith("CARRIER_")}


def test_only_the_shipping_service_is_given_the_carriers_webhook_secret_the_gateway_nothing(compose):
    """The carriers' signing secret is the shipping service's: the gateway passes a carrier's webhook (its raw body
    and signature) on over RPC without checking it, so it, like every other container, gets no CARRIER_* variable
    and not the secret."""
    assert {
        name: carrier_variables(environment)
        for name, environment in environments(compose).items()
        if carrier_variables(environment)
    } == {"shipping": {"CARRIER_WEBHOOK_SECRET_FILE"}}
    assert carrier_variables(compose_file()["x-shop-environment"]) == set()
    secrets = compose_file()["secrets"]
    assert {
        name
        for name in compose
        for source, _ in secret_files(compose, name).values()
        if secrets[source] == {"environment": "CARRIER_WEBHOOK_SECRET"}
    } == {"shipping"}
    assert {source for source, _ in secret_files(compose, "shipping").values()} == {
        source for source, secret in secrets.items() if secret == {"environment": "CARRIER_WEBHOOK_SECRET"}
    }
    assert "secrets" not in compose["gateway"] or {
        secrets[source]["environment"] for source, _ in secret_files(compose, "gateway").values()
    } == {"AUTH_TRUSTED_KEYS"}


def test_the_shipping_service_calls_nothing_outside_the_network(compose):
    """No carrier API, no fake of one: it is given no address but the shop's own (the broker, its database, Jaeger)."""
    environment = compose["shipping"]["environment"]
    hosts = {urlparse(str(value)).hostname for value in environment.values() if re.match(r"\w[\w+.-]*://", str(value))}
    assert hosts <= {"rabbitmq", "postgres", "jaeger"}, hosts
    assert set(compose["shipping"]["depends_on"]) == set(compose["payments"]["depends_on"]) - {PAYMENT_PROVIDER}


def test_payments_talk_to_compose_s_localstripe_inside_the_network_never_to_stripe(compose):
    api = urlparse(compose["payments"]["environment"]["STRIPE_API_BASE"])
    assert (api.scheme, api.hostname, api.port) == ("http", PAYMENT_PROVIDER, 8420)
    provider = compose[PAYMENT_PROVIDER]
    assert provider["command"] == ["python", "-m", "harness.payment_provider", "8420", "--host", "0.0.0.0"]
    assert "ports" not in provider and provider["expose"] == ["8420"]  # the payments service's alone
    assert "127.0.0.1:8420" in " ".join(provider["healthcheck"]["test"])
    assert compose["payments"]["depends_on"][PAYMENT_PROVIDER]["condition"] == "service_healthy"


def test_the_payment_provider_image_installs_localstripe_as_setup_cfg_requires_and_runs_as_the_shop_user(compose):
    """The shop's image leaves localstripe out (a development tool): the provider has an image of its own."""
    build = compose[PAYMENT_PROVIDER]["build"]
    assert build["context"] == "."  # the launcher is harness/payment_provider.py
    dockerfile = (ROOT / build["dockerfile"]).read_text()
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    (required,) = [
        line.strip()
        for line in setup["options.extras_require"]["dev"].splitlines()
        if line.strip().startswith("localstripe")
    ]
    assert f'"{required}"' in dockerfile
    assert compose[PAYMENT_PROVIDER]["image"] != compose["payments"]["image"]
    assert re.search(rf"^USER {IMAGE_UID}:{IMAGE_UID}$", dockerfile, re.MULTILINE)
    assert re.search(r"^COPY harness/ harness/$", dockerfile, re.MULTILINE)


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
    assert re.search(
        rf'"{service.config_key}": \$\{{{service.database_variable}:[^}}]*/{service.default_database}\}}', config_text
    ), f"config.yaml has no DB_URIS entry for {service.name}"


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


def published(service):
    """``[(host address, host port, container port)]`` of a compose service's ``ports``."""
    mappings = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            mappings.append((entry.get("host_ip", "0.0.0.0"), str(entry.get("published")), str(entry["target"])))
            continue
        parts = str(entry).split(":")
        assert len(parts) in (2, 3), f"{entry}: name the host port (and the address)"
        mappings.append(("0.0.0.0", *parts) if len(parts) == 2 else tuple(parts))
    return mappings


EDGE_PORT = "8000"
# Web UIs shown on this machine (bound to 127.0.0.1); nothing else publishes a port.
UI_PORTS = {"rabbitmq": "15672", "mailcatcher": "8025", "prometheus": "9090", "grafana": "3000", "jaeger": "16686"}


def test_only_the_edge_publishes_the_shops_port_and_the_gateway_publishes_none(compose):
    assert published(compose["edge"]) == [("127.0.0.1", EDGE_PORT, EDGE_PORT)]
    assert compose["edge"]["environment"]["EDGE_ADDRESS"] == f"0.0.0.0:{EDGE_PORT}"
    assert "ports" not in compose["gateway"]
    assert {
        name: [container for _, _, container in published(service)]
        for name, service in compose.items()
        if "ports" in service
    } == {"edge": [EDGE_PORT], **{name: [port] for name, port in UI_PORTS.items()}}


def test_every_published_port_is_bound_to_the_loopback_address_only(compose):
    assert [
        (name, mapping)
        for name, service in compose.items()
        for mapping in published(service)
        if mapping[0] != "127.0.0.1"
    ] == []


def test_the_database_redis_amqp_and_smtp_are_not_published_on_the_host(compose):
    assert "ports" not in compose["postgres"] and "ports" not in compose["redis"]
    assert "5672" not in {port for mapping in published(compose["rabbitmq"]) for port in mapping[1:]}
    assert "1025" not in {port for mapping in published(compose["mailcatcher"]) for port in mapping[1:]}


def test_rabbitmq_comes_with_its_management_ui_on_this_machine_only(compose):
    assert "management" in compose["rabbitmq"]["image"]
    assert published(compose["rabbitmq"]) == [("127.0.0.1", "15672", "15672")]


REFERENCE = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")  # ${NAME} or ${NAME:?message}
SECRET_LOOKING_NAME = re.compile(r"PASSWORD|_PASS$|SECRET|TOKEN|(^|_)KEYS?$")


def environments(compose):
    return {name: service.get("environment", {}) for name, service in compose.items()}


def test_no_service_connects_to_rabbitmq_as_guest_and_the_broker_creates_an_administrator_from_the_environment(compose):
    broker = compose["rabbitmq"]["environment"]
    assert broker["RABBITMQ_DEFAULT_USER"].startswith("${RABBITMQ_ADMIN_USER:?")  # so it never creates guest
    assert broker["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_ADMIN_PASSWORD:?")
    uris = {
        (name, variable): value
        for name, environment in environments(compose).items()
        for variable, value in environment.items()
        if re.match(r"(amqp|https?)://", str(value))
    }
    assert [key for key, value in uris.items() if urlparse(value).username == "guest"] == []
    assert {name for name, environment in environments(compose).items() if "AMQP_URI" in environment} == set(
        MODULES
    )  # the services, each as its own account (checked above); the jobs need no AMQP_URI
    assert "AMQP_URI" not in compose_file()["x-shop-environment"]  # no shared account: each service its own


def test_the_broker_accounts_job_works_as_the_brokers_administrator(compose):
    management = urlparse(compose["broker-accounts"]["environment"]["RABBITMQ_MANAGEMENT_URL"])
    assert (management.hostname, management.port) == ("rabbitmq", 15672)
    assert (management.username, management.password) == ("${RABBITMQ_ADMIN_USER}", "${RABBITMQ_ADMIN_PASSWORD}")


def test_postgres_takes_its_password_from_the_environment_and_every_database_uri_uses_it(compose):
    assert compose["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in MODULES:
        for variable in DATABASE_VARIABLES:
            uri = urlparse(compose[name]["environment"][variable])
            assert (uri.username, uri.password) == ("postgres", "${POSTGRES_PASSWORD}"), (name, variable)


def test_no_password_or_key_is_written_in_the_compose_file(compose):
    """Each is a ``${...}`` reference to the environment or .env, whole or as the password of a URI."""
    written = []
    for name, environment in environments(compose).items():
        for variable, value in environment.items():
            value = str(value)
            if variable in KEY_FILE_VARIABLES and value in secret_files(compose, name):
                continue  # the path of a secret's file (STRIPE_WEBHOOK_SECRET_FILE), not the secret
            if SECRET_LOOKING_NAME.search(variable) and not REFERENCE.fullmatch(value):
                written.append((name, variable))
            if (
                re.match(r"\w[\w+.-]*://", value)
                and urlparse(value).password is not None
                and not REFERENCE.fullmatch(urlparse(value).password)
            ):
                written.append((name, variable))
    assert written == []
    assert "PRIVATE KEY" not in (ROOT / "docker-compose.yml").read_text()


def compose_variables():
    """Every variable docker-compose.yml reads from the environment: ``${NAME}`` and the secrets' sources."""
    text = (ROOT / "docker-compose.yml").read_text()
    return set(REFERENCE.findall(text)) | {secret["environment"] for secret in compose_file()["secrets"].values()}


def test_compose_refuses_to_start_without_any_variable_it_reads(compose):
    """Each ``${NAME}`` is required (``${NAME:?...}``) somewhere, so an unset or empty one stops `docker compose
    up` instead of becoming an empty password; a key secret's source is refused by compose when unset."""
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert set(REFERENCE.findall(text)) - required == set()


def env_example():
    entries = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            entries[name.strip()] = value
    return entries


def test_the_env_example_names_every_variable_compose_reads_and_holds_no_secret():
    example = env_example()
    assert set(example) == compose_variables()
    assert {name: value for name, value in example.items() if SECRET_LOOKING_NAME.search(name) and value} == {}
    assert "PRIVATE KEY" not in (ROOT / ".env.example").read_text()


def test_the_docker_build_context_leaves_out_env_files_and_keys():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".keys", "*.pem"} <= ignored


def test_the_edge_runs_deploy_nginx_run_in_front_of_the_gateways_port(compose):
    edge = compose["edge"]
    assert edge["command"] == ["deploy/nginx/run"]
    assert os.access(ROOT / "deploy" / "nginx" / "run", os.X_OK)
    assert (edge["image"], edge["build"]) == (compose["gateway"]["image"], compose["gateway"]["build"])
    gateway_port = compose["gateway"]["environment"]["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1]
    assert compose["gateway"]["environment"]["WEB_SERVER_ADDRESS"] == "0.0.0.0:8001"
    assert edge["environment"]["WEB_SERVER_ADDRESS"] == f"gateway:{gateway_port}"
    assert edge["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert f"http://127.0.0.1:{EDGE_PORT}/health" in " ".join(edge["healthcheck"]["test"])
    assert set(edge["environment"]) <= config_variables()  # no credential: it reaches neither broker nor database


def test_the_edge_runs_with_a_read_only_root_no_capabilities_and_a_scratch_tmp(compose):
    edge = compose["edge"]
    assert edge["read_only"] is True and edge["tmpfs"] == ["/tmp"]
    assert edge["cap_drop"] == ["ALL"] and "no-new-privileges:true" in edge["security_opt"]


def test_the_edge_may_open_a_descriptor_for_each_client_and_each_gateway_connection_its_limit_allows(
    compose, monkeypatch
):
    monkeypatch.delenv("EDGE_CONNECTIONS", raising=False)
    connections = int(load_config()["EDGE"]["CONNECTIONS"])  # per worker, the gateway's connections included
    assert int(compose["edge"]["ulimits"]["nofile"]) >= 2 * connections


def test_the_gateway_believes_x_forwarded_for_from_the_edges_fixed_address_only(compose):
    (network,) = compose_file()["networks"]["default"]["ipam"]["config"]
    subnet, dynamic = ipaddress.ip_network(network["subnet"]), ipaddress.ip_network(network["ip_range"])
    edge_address = ipaddress.ip_address(compose["edge"]["networks"]["default"]["ipv4_address"])
    assert compose["gateway"]["environment"]["TRUSTED_PROXIES"] == str(edge_address)
    # On the network, and never given to another container (they get addresses from ip_range).
    assert edge_address in subnet and edge_address not in dynamic and dynamic.subnet_of(subnet)
    assert [name for name, service in compose.items() if name != "edge" and "networks" in service] == []


def dockerfile_instructions():
    """The Dockerfile's instructions, continuation lines joined: ``[(INSTRUCTION, arguments)]``."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [
        (line.split()[0], " ".join(line.split()[1:]))
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_the_image_installs_nginx_and_its_headers_more_module_before_it_drops_root():
    instructions = dockerfile_instructions()
    (user_at,) = [index for index, (name, _) in enumerate(instructions) if name == "USER"]
    installs = [
        index
        for index, (name, arguments) in enumerate(instructions)
        if name == "RUN"
        and "apt-get install -y --no-install-recommends nginx libnginx-mod-http-headers-more-filter" in arguments
        and "rm -rf /var/lib/apt/lists/*" in arguments
    ]
    assert installs and installs[0] < user_at


def test_the_image_runs_as_the_shop_user_with_a_fixed_uid_not_root():
    instructions = dockerfile_instructions()
    assert [arguments for name, arguments in instructions if name == "USER"] == [f"{IMAGE_UID}:{IMAGE_UID}"]
    runs = " ".join(arguments for name, arguments in instructions if name == "RUN")
    assert f"groupadd --system --gid {IMAGE_UID} shop" in runs
    assert f"useradd --system --uid {IMAGE_UID} --gid shop" in runs


def test_the_procfile_runs_the_same_services():
    commands = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    for service, module in MODULES.items():
        assert commands[service] == f"nameko run {module} --config config.yaml"


def test_nameko_run_starts_without_the_eventlet_banner_and_keeps_other_output():
    makefile = re.search(r"^export PYTHONWARNINGS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"PYTHONWARNINGS={makefile}" in (ROOT / "Dockerfile").read_text()
    nameko = str(Path(sys.executable).parent / "nameko")
    printed = subprocess.run(
        [nameko, "run", "no_such_module", "--config", "config.yaml"],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": makefile},
        capture_output=True,
        text=True,
        timeout=60,
    )
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
        "prometheus": "http://prometheus:9090",
        "jaeger": "http://jaeger:16686",
    }
    assert {"prometheus", "jaeger"} <= set(compose)


def test_the_env_file_is_never_committed():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
