"""deploy/k8s (kustomize: a base and an example overlay) renders to valid Kubernetes objects that agree with the
service registry and config.yaml, run as unprivileged pods behind the edge, let no pod be reached but as the
NetworkPolicies say, and hold no secret value.

``kubectl kustomize`` renders offline; the objects are checked against the Kubernetes API schemas by
kubernetes-validate, for the newest Kubernetes version it knows.
"""

import functools
import ipaddress
import re
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from harness.repository import ROOT
from shop_common.operations.services import BY_NAME, SERVICES, WITH_DATABASES
from tests.deployment.file_secrets import FILE_SECRETS, KEY_FILE_VARIABLES

K8S = ROOT / "deploy" / "k8s"
BASE, EXAMPLE = "base", "overlays/example"
RENDERINGS = (BASE, EXAMPLE)
SECRET = "shop-secrets"  # created by the operator, never by these manifests
IMAGE = "nameko-shop"  # the manifests' image name, which kustomize `images:` sets
KUBERNETES_VERSION = kubernetes_validate.latest_version()

EDGE = "edge"  # nginx in front of the gateways: deploy/nginx/run, the same everywhere
EDGE_COMMAND = ["deploy/nginx/run"]
EDGE_PORT = 8000
DEPLOYED = tuple(service.name for service in SERVICES) + (EDGE,)  # every Deployment
IMAGE_UID = 10001  # the Dockerfile's shop user (uid and gid)

MIGRATE = ["python", "-m", "shop_common.operations.migrate"]
BROKER_ACCOUNTS = ["python", "-m", "shop_common.operations.broker_accounts"]

STRIPE_API = "https://api.stripe.com"  # production's provider: localstripe is never deployed
TRACE_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}  # the OpenTelemetry SDK
OPS_ADDRESS_VARIABLES = {service.ops_address_variable for service in SERVICES if service.ops_port}
BROKER_ACCOUNTS_VARIABLES = (
    {"RABBITMQ_MANAGEMENT_URL", "AMQP_VHOST"}  # shop_common.operations.broker_accounts
    | {f"{service.name.upper()}_AMQP_PASSWORD" for service in SERVICES}
)
# Variables that hold credentials: set only from the Secret, never as a value in a manifest.
SECRET_VARIABLES = (
    {"AMQP_URI", "RABBITMQ_MANAGEMENT_URL"}
    | set(FILE_SECRETS)
    | {service.database_variable for service in WITH_DATABASES}
    | {f"{service.name.upper()}_AMQP_PASSWORD" for service in SERVICES}
)
SECRET_LOOKING_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEYS?$")
CREDENTIALS_IN_URI = re.compile(r"://[^/\s@]*@")  # scheme://user:password@host


class ManifestLoader(yaml.SafeLoader):
    """Plain YAML: without the ``${VAR}`` resolver ``load_config`` teaches SafeLoader."""


ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.cache
def rendered(directory):
    """The objects ``kubectl kustomize deploy/k8s/<directory>`` renders."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl is not on PATH: these tests render deploy/k8s with `kubectl kustomize` "
            "(kubectl bundles kustomize); install kubectl",
            pytrace=False,
        )
    result = subprocess.run([kubectl, "kustomize", str(K8S / directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return tuple(item for item in yaml.load_all(result.stdout, Loader=ManifestLoader) if item)


@pytest.fixture(params=RENDERINGS)
def rendering(request):
    return request.param


def objects_of(directory, kind):
    """``{name: object}`` of one kind."""
    return {item["metadata"]["name"]: item for item in rendered(directory) if item["kind"] == kind}


def workloads(directory):
    """``{(kind, name): object}`` of everything that runs pods."""
    return {
        (item["kind"], item["metadata"]["name"]): item
        for item in rendered(directory)
        if item["kind"] in ("Deployment", "Job")
    }


def containers(workload):
    pod = workload["spec"]["template"]["spec"]
    return pod.get("initContainers", []) + pod["containers"]


def container_of(directory, service_name):
    deployment = objects_of(directory, "Deployment")[service_name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def environment(directory, container):
    """``{variable: source}`` as the kubelet gives it to ``container`` (``env`` overrides ``envFrom``); a source
    is ``{"value": ...}`` (literal or from a ConfigMap of the rendering) or ``{"secret": name, "key": key}``."""
    config_maps = objects_of(directory, "ConfigMap")
    variables = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, f"{container['name']} takes a whole Secret: reference each key it needs"
        name = source["configMapRef"]["name"]
        assert name in config_maps, f"{container['name']} reads ConfigMap {name}, which is not rendered"
        for key, value in config_maps[name].get("data", {}).items():
            variables[source.get("prefix", "") + key] = {"value": value}
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {})
        if "secretKeyRef" in reference:
            variables[variable["name"]] = {
                "secret": reference["secretKeyRef"]["name"],
                "key": reference["secretKeyRef"]["key"],
            }
        elif "configMapKeyRef" in reference:
            name, key = reference["configMapKeyRef"]["name"], reference["configMapKeyRef"]["key"]
            assert key in config_maps.get(name, {}).get("data", {}), f"{variable['name']}: no key {key} in {name}"
            variables[variable["name"]] = {"value": config_maps[name]["data"][key]}
        else:
            assert not reference, f"{variable['name']}: unexpected source {reference}"
            variables[variable["name"]] = {"value": variable.get("value", "")}
    return variables


def config_variables():
    """Every ``${VAR`` config.yaml reads."""
    return set(re.findall(r"\$\{(\w+)", (ROOT / "config.yaml").read_text()))


def needed_variables(service):
    """What config.yaml reads from the environment that ``service`` cannot run without."""
    assert {"notifications", "gateway"} <= set(BY_NAME), "the services named below are registered"
    needed = {"AMQP_URI"}
    if service.has_database:
        needed.add(service.database_variable)
    if service.name == "notifications":
        needed |= {"SMTP_HOST", "SMTP_PORT"}
    if service.name == "gateway":
        needed |= {"WEB_SERVER_ADDRESS", "REDIS_URL", "TRUSTED_PROXIES"}
    return needed


def port_number(container, port):
    """A probe's or Service's port, named or numbered, as the container's port number."""
    if isinstance(port, int):
        return port
    numbers = {entry["name"]: entry["containerPort"] for entry in container.get("ports", []) if "name" in entry}
    assert port in numbers, f"{container['name']} has no port named {port}"
    return numbers[port]


def serving_port(directory, service, container):
    """The port ``service`` answers its operations endpoints on: its registered ops port or, for the gateway,
    the port of its WEB_SERVER_ADDRESS."""
    if service.ops_port is not None:
        return service.ops_port
    return int(environment(directory, container)["WEB_SERVER_ADDRESS"]["value"].rsplit(":", 1)[1])


_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def looks_secret(name, value):
    """A credential written as a value: a secret-looking name, a URI with user information, a private key."""
    return bool(
        name in SECRET_VARIABLES
        or SECRET_LOOKING_NAME.search(name)
        or CREDENTIALS_IN_URI.search(value)
        or "PRIVATE KEY" in value
    )


def quantity(text):
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
    return float(number) * _UNITS[unit]


# (1) Valid Kubernetes objects


def test_every_rendered_object_is_valid_against_the_newest_kubernetes_schemas(rendering):
    problems = []
    for item in rendered(rendering):
        where = f"{item['kind']}/{item['metadata']['name']}"
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{where}: {error.message}")
    assert problems == [], f"invalid for Kubernetes {KUBERNETES_VERSION}"


# (2) Agreement with the service registry


@pytest.mark.parametrize("kind", ["Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"])
def test_every_registered_service_and_the_edge_and_no_other_have_a_deployment_service_budget_and_autoscaler(
    rendering, kind
):
    assert set(objects_of(rendering, kind)) == {service.name for service in SERVICES} | {EDGE}


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_runs_as_nameko_run_of_its_module_with_the_shared_config(rendering, service):
    container = container_of(rendering, service.name)
    assert container["command"] == ["nameko", "run", service.module, "--config", "config.yaml"]
    assert "args" not in container


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_is_labelled_with_its_name_and_the_shop(rendering, service):
    deployment = objects_of(rendering, "Deployment")[service.name]
    for labels in (deployment["metadata"]["labels"], deployment["spec"]["template"]["metadata"]["labels"]):
        assert labels["app.kubernetes.io/name"] == service.name
        assert labels["app.kubernetes.io/part-of"] == "nameko-shop"


def least_pods(directory):
    return {name: hpa["spec"]["minReplicas"] for name, hpa in objects_of(directory, "HorizontalPodAutoscaler").items()}


def test_the_base_runs_at_least_two_pods_of_every_service_and_of_the_edge():
    assert least_pods(BASE) == dict.fromkeys(DEPLOYED, 2)


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_deployment_is_scaled_by_its_own_autoscaler_alone(rendering, name):
    assert "replicas" not in objects_of(rendering, "Deployment")[name]["spec"]  # an apply would undo the autoscaler
    spec = objects_of(rendering, "HorizontalPodAutoscaler")[name]["spec"]
    target = spec["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", name)
    assert spec["maxReplicas"] > spec["minReplicas"]


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_autoscaler_scales_on_cpu_between_what_its_pods_ask_for_and_what_they_may_use(rendering, name):
    [metric] = objects_of(rendering, "HorizontalPodAutoscaler")[name]["spec"]["metrics"]
    assert (metric["type"], metric["resource"]["name"], metric["resource"]["target"]["type"]) == (
        "Resource",
        "cpu",
        "AverageValue",
    )
    resources = container_of(rendering, name)["resources"]
    target = quantity(metric["resource"]["target"]["averageValue"])
    assert quantity(resources["requests"]["cpu"]) < target < quantity(resources["limits"]["cpu"])


# The PostgreSQL the manifests assume (README, "Scale"): its max_connections, the superusers' reserved ones, and
# what is kept for the jobs (migrations) and operators.
DATABASE_MAX_CONNECTIONS, SUPERUSER_RESERVED, JOBS_AND_OPERATORS = 200, 3, 15
CONNECTIONS_BEYOND_THE_POOL = 3  # an instance's outbox relay (2) and orders' gauges (1): config.yaml, DB_POOL_SIZE


def test_the_services_with_a_database_at_their_most_pods_stay_within_the_databases_connections(rendering):
    autoscalers = objects_of(rendering, "HorizontalPodAutoscaler")
    most = 0
    for service in WITH_DATABASES:
        pool = environment(rendering, container_of(rendering, service.name)).get("DB_POOL_SIZE", {}).get("value")
        assert pool, f"{service.name}: DB_POOL_SIZE is not set, so its pool grows to max_workers"
        most += autoscalers[service.name]["spec"]["maxReplicas"] * (int(pool) + CONNECTIONS_BEYOND_THE_POOL)
    assert most <= DATABASE_MAX_CONNECTIONS - SUPERUSER_RESERVED - JOBS_AND_OPERATORS


@pytest.mark.parametrize(
    "service", [service for service in SERVICES if service.ops_port], ids=lambda service: service.name
)
def test_every_domain_service_listens_for_operations_on_its_registered_port(rendering, service):
    container = container_of(rendering, service.name)
    assert {"name": "ops", "containerPort": service.ops_port} in container["ports"]
    assert environment(rendering, container)[service.ops_address_variable] == {"value": service.default_ops_address}


def test_the_gateway_serves_http_on_its_web_server_address_behind_the_edge():
    container = container_of(BASE, "gateway")
    assert BY_NAME["gateway"].ops_port is None  # so its operations endpoints are on its HTTP address
    assert container["ports"] == [{"name": "http", "containerPort": 8001}]
    assert environment(BASE, container)["WEB_SERVER_ADDRESS"] == {"value": "0.0.0.0:8001"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_probes_ask_every_service_whether_it_lives_and_is_ready_on_its_operations_port(rendering, service):
    container = container_of(rendering, service.name)
    port = serving_port(rendering, service, container)
    probes = {"livenessProbe": "/health/live", "readinessProbe": "/health/ready", "startupProbe": "/health/live"}
    for probe, path in probes.items():
        if probe == "startupProbe" and probe not in container:
            continue
        assert container[probe]["httpGet"]["path"] == path, probe
        assert port_number(container, container[probe]["httpGet"]["port"]) == port, probe


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_service_and_disruption_budget_selects_the_pods_of_its_deployment_only(rendering, name):
    pod_labels = {
        name: deployment["spec"]["template"]["metadata"]["labels"]
        for name, deployment in objects_of(rendering, "Deployment").items()
    }
    selectors = {
        "Service": objects_of(rendering, "Service")[name]["spec"]["selector"],
        "PodDisruptionBudget": objects_of(rendering, "PodDisruptionBudget")[name]["spec"]["selector"]["matchLabels"],
        "Deployment": objects_of(rendering, "Deployment")[name]["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        selected = [pod for pod, labels in pod_labels.items() if selector.items() <= labels.items()]
        assert selected == [name], kind


@pytest.mark.parametrize("name", DEPLOYED)
def test_at_least_one_pod_of_every_service_and_of_the_edge_survives_voluntary_disruptions(rendering, name):
    budget = objects_of(rendering, "PodDisruptionBudget")[name]
    assert budget["spec"]["minAvailable"] == 1 and "maxUnavailable" not in budget["spec"]
    assert least_pods(rendering)[name] > budget["spec"]["minAvailable"]  # so a node can always be drained


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_is_reachable_in_the_cluster_and_scraped_by_prometheus_on_its_operations_port(rendering, service):
    kube_service = objects_of(rendering, "Service")[service.name]
    container = container_of(rendering, service.name)
    port = serving_port(rendering, service, container)
    assert kube_service["spec"].get("type", "ClusterIP") == "ClusterIP"
    targets = {entry["port"]: port_number(container, entry["targetPort"]) for entry in kube_service["spec"]["ports"]}
    assert targets == {port: port}  # the gateway's too: the edge reaches it as gateway:8001
    annotations = kube_service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_example_overlay_deploys_to_the_shop_namespace_with_three_gateways():
    namespaced = [item for item in rendered(EXAMPLE) if item["kind"] != "Namespace"]
    assert {item["metadata"].get("namespace") for item in namespaced} == {"shop"}
    assert (
        objects_of(EXAMPLE, "Namespace")["shop"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )
    assert least_pods(EXAMPLE) == {**dict.fromkeys(DEPLOYED, 2), "gateway": 3}


def images(directory):
    return {container["image"] for workload in workloads(directory).values() for container in containers(workload)}


def test_one_image_runs_every_service_job_and_the_edge_tagged_in_the_base_and_the_kustomizations_name_it():
    for directory in RENDERINGS:
        assert len(images(directory)) == 1, directory
    (image,) = images(BASE)
    assert re.fullmatch(r"[^@\s]+:\w[\w.-]*", image) and not image.endswith(":latest"), image
    (example_image,) = images(EXAMPLE)
    assert example_image.startswith("registry.example.com/")
    # The manifests all name the placeholder; only a kustomization's `images:` says which image it is.
    for path in (K8S / BASE).glob("*.yaml"):
        for item in yaml.load_all(path.read_text(), Loader=ManifestLoader):
            if item and item.get("kind") in ("Deployment", "Job"):
                assert {container["image"] for container in containers(item)} == {IMAGE}, path.name


def test_every_image_of_the_example_overlay_is_pinned_by_digest():
    """A tag may be moved to other content; a digest names these bytes only."""
    pinned = {
        image: bool(re.fullmatch(r"[^@\s:]+(:\d+)?/[^@\s]+@sha256:[0-9a-f]{64}", image)) for image in images(EXAMPLE)
    }
    assert pinned and all(pinned.values()), pinned


# (2b) The edge


def test_the_edge_runs_deploy_nginx_run_listening_on_its_port_and_proxying_to_the_gateway_service(rendering):
    container = container_of(rendering, EDGE)
    assert container["command"] == EDGE_COMMAND and "args" not in container
    assert (K8S.parent / "nginx" / "run").is_file()
    assert container["ports"] == [{"name": "http", "containerPort": EDGE_PORT}]
    variables = environment(rendering, container)
    assert variables["EDGE_ADDRESS"] == {"value": f"0.0.0.0:{EDGE_PORT}"}
    gateway_service = objects_of(rendering, "Service")["gateway"]
    gateway_port = serving_port(rendering, BY_NAME["gateway"], container_of(rendering, "gateway"))
    assert [entry["port"] for entry in gateway_service["spec"]["ports"]] == [gateway_port]
    assert variables["WEB_SERVER_ADDRESS"] == {"value": f"gateway:{gateway_port}"}  # the Service, by its name


def test_every_variable_the_edge_is_given_is_a_setting_config_yaml_reads_and_none_is_a_credential(rendering):
    variables = environment(rendering, container_of(rendering, EDGE))
    assert set(variables) - config_variables() - TRACE_VARIABLES == set()
    assert [name for name, source in variables.items() if "secret" in source] == []


def test_the_edge_is_ready_when_a_request_goes_through_it_to_a_gateway_and_alive_while_nginx_accepts(rendering):
    container = container_of(rendering, EDGE)
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"  # answered by a gateway, through nginx
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        check = container[probe].get("httpGet") or container[probe]["tcpSocket"]
        assert port_number(container, check["port"]) == EDGE_PORT, probe
    # Its liveness does not hang on the gateways: an edge whose gateways are down answers 502/503, not restarts.
    assert "httpGet" not in container["livenessProbe"]


def test_the_edge_stops_nginx_gracefully_after_its_endpoints_are_gone(rendering):
    deployment = objects_of(rendering, "Deployment")[EDGE]
    hook = container_of(rendering, EDGE)["lifecycle"]["preStop"]["exec"]["command"]
    assert hook[:2] == ["sh", "-c"]
    sleep, rest = re.fullmatch(r"sleep (\d+); (.*)", hook[2]).groups()
    assert "kill -s QUIT 1" in rest  # nginx's graceful stop (SIGTERM drops the requests in flight)
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert int(sleep) + 30 <= grace  # the gateway answers within 30 seconds (EDGE_GATEWAY_TIMEOUT)


def test_a_stopping_gateway_has_time_to_answer_every_request_in_hand_after_its_pre_stop_pause(rendering):
    from gateway.http import DRAIN_SECONDS

    pod = objects_of(rendering, "Deployment")["gateway"]["spec"]["template"]["spec"]
    pause = int(container_of(rendering, "gateway")["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pause + DRAIN_SECONDS <= pod["terminationGracePeriodSeconds"]


def test_the_edge_service_is_the_front_door_and_the_example_overlay_exposes_it_keeping_client_addresses():
    for directory in RENDERINGS:
        service = objects_of(directory, "Service")[EDGE]
        container = container_of(directory, EDGE)
        assert [port_number(container, entry["targetPort"]) for entry in service["spec"]["ports"]] == [EDGE_PORT]
        assert service["spec"]["selector"]["app.kubernetes.io/name"] == EDGE
    assert objects_of(BASE, "Service")[EDGE]["spec"].get("type", "ClusterIP") == "ClusterIP"
    exposed = objects_of(EXAMPLE, "Service")[EDGE]["spec"]
    assert (exposed["type"], exposed["externalTrafficPolicy"]) == ("LoadBalancer", "Local")
    # Nothing else is reachable from outside the cluster.
    assert [
        name
        for directory in RENDERINGS
        for name, service in objects_of(directory, "Service").items()
        if name != EDGE and service["spec"].get("type", "ClusterIP") != "ClusterIP"
    ] == []


# (3) Agreement with config.yaml


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_gets_every_setting_config_yaml_reads_that_it_needs(rendering, service):
    needed = needed_variables(service)
    assert needed <= config_variables()
    variables = environment(rendering, container_of(rendering, service.name))
    assert needed - set(variables) == set()
    assert [name for name in needed if variables[name].get("value") == ""] == []  # none set empty


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_variable_a_service_is_given_is_one_the_shop_reads(rendering, service):
    variables = environment(rendering, container_of(rendering, service.name))
    assert set(variables) - config_variables() - KEY_FILE_VARIABLES - OPS_ADDRESS_VARIABLES - TRACE_VARIABLES == set()


def test_the_config_map_holds_only_settings_config_yaml_reads(rendering):
    (config_map,) = objects_of(rendering, "ConfigMap").values()
    assert config_map["metadata"]["name"].startswith("shop-config")
    assert set(config_map["data"]) <= config_variables() | TRACE_VARIABLES


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_connects_to_rabbitmq_and_its_database_with_credentials_from_the_secret(rendering, service):
    variables = environment(rendering, container_of(rendering, service.name))
    assert variables["AMQP_URI"] == {"secret": SECRET, "key": f"{service.name.upper()}_AMQP_URI"}  # its own account
    if service.has_database:
        assert variables[service.database_variable] == {"secret": SECRET, "key": service.database_variable}
    databases = {service.database_variable for service in WITH_DATABASES}
    assert set(variables) & databases <= {service.database_variable}  # no other service's database


def mounted_secret_file(workload, container, path):
    """What the file at ``path`` in ``container`` is: ``{"secret", "key", "mode", "read_only"}`` when a Secret
    volume's item, else None."""
    volumes = {volume["name"]: volume for volume in workload["spec"]["template"]["spec"].get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        directory = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(directory) and "subPath" not in mount:
            secret = volumes[mount["name"]].get("secret")
            if secret is None:
                return None
            items = [item for item in secret.get("items", []) if item["path"] == path[len(directory) :]]
            if len(items) != 1:
                return None
            return {
                "secret": secret["secretName"],
                "key": items[0]["key"],
                "mode": items[0].get("mode", secret.get("defaultMode", 0o644)),
                "read_only": mount.get("readOnly", False),
            }
    return None


def secret_keys_mounted(workload):
    """``{(secret, key)}`` a pod's Secret volumes hold (a Secret mounted whole is refused)."""
    keys = set()
    for volume in workload["spec"]["template"]["spec"].get("volumes", []):
        if "secret" in volume:
            assert volume["secret"].get("items"), f"volume {volume['name']} mounts a whole Secret: name its keys"
            keys |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    return keys


@pytest.mark.parametrize("variable, holder", FILE_SECRETS.items())
def test_keys_and_secrets_reach_the_services_that_use_them_as_read_only_files_from_the_secret_never_as_values(
    rendering, holder, variable
):
    """The access token keys, the Stripe secrets and the carriers' webhook secret. An environment variable is seen
    by every child process and by anyone who may read the pod's spec."""
    deployments = objects_of(rendering, "Deployment")
    in_the_environment = [
        (name, key)
        for (kind, name), workload in workloads(rendering).items()
        for container in containers(workload)
        for key in environment(rendering, container)
        if key in FILE_SECRETS
    ]
    assert in_the_environment == []
    holders = {
        name for name in deployments if f"{variable}_FILE" in environment(rendering, container_of(rendering, name))
    }
    assert holders == {holder}
    path = environment(rendering, container_of(rendering, holder))[f"{variable}_FILE"]["value"]
    assert mounted_secret_file(deployments[holder], container_of(rendering, holder), path) == {
        "secret": SECRET,
        "key": variable,
        "mode": 0o400,
        "read_only": True,
    }
    # No other pod mounts that key of the Secret (the signing key and the Stripe secret key above all).
    assert {
        name
        for (kind, name), workload in workloads(rendering).items()
        if (SECRET, variable) in secret_keys_mounted(workload)
    } == {holder}


def test_only_the_payments_service_is_given_anything_of_stripes_and_it_calls_stripe_itself(rendering):
    """No STRIPE_* variable in shop-config (every service reads it) nor in any pod but the payments service's: the
    gateway above all gets nothing of Stripe's. Its API is Stripe's own, over TLS: localstripe is compose's."""
    given = {
        (kind, name): {variable for variable in environment(rendering, container) if variable.startswith("STRIPE_")}
        for (kind, name), workload in workloads(rendering).items()
        for container in containers(workload)
    }
    assert {where: variables for where, variables in given.items() if variables} == {
        ("Deployment", "payments"): {"STRIPE_API_BASE", "STRIPE_API_KEY_FILE", "STRIPE_WEBHOOK_SECRET_FILE"}
    }
    for config_map in objects_of(rendering, "ConfigMap").values():
        assert [key for key in config_map.get("data", {}) if key.startswith("STRIPE_")] == []
    assert environment(rendering, container_of(rendering, "payments"))["STRIPE_API_BASE"] == {"value": STRIPE_API}
    commands = [
        " ".join(container.get("command", []) + container.get("args", []))
        for workload in workloads(rendering).values()
        for container in containers(workload)
    ]
    assert [command for command in commands if "localstripe" in command or "payment_provider" in command] == []


def test_only_the_shipping_service_is_given_the_carriers_webhook_secret_the_gateway_nothing(rendering):
    """No CARRIER_* variable in shop-config (every service reads it) nor in any pod but the shipping service's: the
    gateway, which passes a carrier's webhook (its raw body and signature) on over RPC, gets nothing of it."""
    given = {
        (kind, name): {variable for variable in environment(rendering, container) if variable.startswith("CARRIER_")}
        for (kind, name), workload in workloads(rendering).items()
        for container in containers(workload)
    }
    assert {where: variables for where, variables in given.items() if variables} == {
        ("Deployment", "shipping"): {"CARRIER_WEBHOOK_SECRET_FILE"}
    }
    for config_map in objects_of(rendering, "ConfigMap").values():
        assert [key for key in config_map.get("data", {}) if key.startswith("CARRIER_")] == []
    assert {
        name
        for (kind, name), workload in workloads(rendering).items()
        if (SECRET, "CARRIER_WEBHOOK_SECRET") in secret_keys_mounted(workload)
    } == {"shipping"}
    assert secret_keys_mounted(objects_of(rendering, "Deployment")["gateway"]) == {(SECRET, "AUTH_TRUSTED_KEYS")}


def test_the_example_overlay_says_how_to_create_every_key_of_the_secret_the_manifests_use():
    referenced = {
        (source["secret"], source["key"])
        for workload in workloads(EXAMPLE).values()
        for container in containers(workload)
        for source in environment(EXAMPLE, container).values()
        if "secret" in source
    }
    referenced |= {key for workload in workloads(EXAMPLE).values() for key in secret_keys_mounted(workload)}
    assert ("shop-secrets", "AUTH_SIGNING_KEY") in referenced  # as a file
    assert {secret for secret, _ in referenced} == {SECRET}
    instructions = (K8S / EXAMPLE / "kustomization.yaml").read_text()
    assert f"create secret generic {SECRET}" in instructions
    documented = set(re.findall(r"--from-(?:literal|file)=(\w+)=", instructions))
    assert documented == {key for _, key in referenced}


# (4) Security


def test_every_pod_runs_as_a_fixed_non_root_user_unprivileged_with_a_read_only_root_filesystem(rendering):
    for (kind, name), workload in workloads(rendering).items():
        where = f"{kind}/{name}"
        pod = workload["spec"]["template"]["spec"]
        pod_context = pod["securityContext"]
        assert pod_context["runAsNonRoot"] is True, where
        # a fixed uid: the image's user `shop` gets whatever uid useradd picks
        assert pod_context["runAsUser"] > 0 and pod_context["runAsGroup"] > 0, where
        assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert pod.get("automountServiceAccountToken") is False, where
        assert not any(pod.get(field) for field in ("hostNetwork", "hostPID", "hostIPC")), where
        assert not any("hostPath" in volume for volume in pod.get("volumes", [])), where
        scratch = {volume["name"] for volume in pod.get("volumes", []) if "emptyDir" in volume}
        for container in containers(workload):
            where = f"{kind}/{name}: {container['name']}"
            context = container["securityContext"]
            assert context.get("runAsUser", pod_context["runAsUser"]) > 0, where
            assert context.get("runAsNonRoot", True) is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context.get("privileged", False) is False, where
            assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add"), where
            assert any(
                mount["mountPath"] == "/tmp" and mount["name"] in scratch for mount in container.get("volumeMounts", [])
            ), f"{where}: no writable /tmp"


def test_every_container_requests_and_is_limited_in_cpu_and_memory(rendering):
    for (kind, name), workload in workloads(rendering).items():
        for container in containers(workload):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                request, limit = resources["requests"][resource], resources["limits"][resource]
                assert 0 < quantity(request) <= quantity(limit), f"{kind}/{name}: {resource}"
            # each service stays under 120 MB resident: leave it room
            assert quantity(resources["limits"]["memory"]) >= 160 * 2**20, f"{kind}/{name}"


def test_every_service_has_time_to_stop_gracefully(rendering):
    for name, deployment in objects_of(rendering, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        grace = pod.get("terminationGracePeriodSeconds", 30)
        assert grace >= 30, name
        pre_stop = container_of(rendering, name).get("lifecycle", {}).get("preStop", {}).get("exec", {})
        if pre_stop:
            command = pre_stop["command"]
            # `sleep N`, or a shell script that begins with it (the edge's): N seconds for the endpoints to go
            script = command[2] if command[:2] == ["sh", "-c"] else " ".join(command)
            sleep = re.match(r"sleep (\d+)(;|$)", script)
            assert sleep and int(sleep.group(1)) < grace / 2, name


def test_every_pod_runs_as_the_images_shop_user():
    """The Dockerfile's user (uid and gid 10001) owns nothing the pods need, but the numbers must agree: the
    image names them for compose's secrets too."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^USER {IMAGE_UID}:{IMAGE_UID}$", dockerfile, re.MULTILINE)
    for directory in RENDERINGS:
        for (_, name), workload in workloads(directory).items():
            context = workload["spec"]["template"]["spec"]["securityContext"]
            assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (IMAGE_UID,) * 3, name


def test_the_manifests_define_no_secret_and_write_no_secret_value(rendering):
    assert [item["metadata"]["name"] for item in rendered(rendering) if item["kind"] == "Secret"] == []
    written, not_from_the_secret = [], []
    for (kind, name), workload in workloads(rendering).items():
        for container in containers(workload):
            for variable, source in environment(rendering, container).items():
                if (
                    variable in KEY_FILE_VARIABLES
                    and "value" in source
                    and mounted_secret_file(workload, container, source["value"]) is not None
                ):
                    continue  # the path of a file from the Secret (STRIPE_WEBHOOK_SECRET_FILE), not the secret
                if "value" in source and looks_secret(variable, source["value"]):
                    written.append(f"{kind}/{name}: {variable}")
                if variable in SECRET_VARIABLES and source.get("secret") != SECRET:
                    not_from_the_secret.append(f"{kind}/{name}: {variable}")
    for name, config_map in objects_of(rendering, "ConfigMap").items():
        written += [
            f"ConfigMap/{name}: {key}" for key, value in config_map.get("data", {}).items() if looks_secret(key, value)
        ]
    assert written == []
    assert not_from_the_secret == []


def test_no_file_under_deploy_k8s_holds_a_credential():
    """Credentials in the instructions are placeholders (``<password>``), never values."""
    for path in sorted(K8S.rglob("*")):
        if path.is_file():
            text = path.read_text()
            for user_info in re.findall(r"://([^/@'\"\n]*)@", text):
                assert re.fullmatch(r"[\w.-]*(:<[^>]+>)?|<[^>]+>(:<[^>]+>)?", user_info), (
                    f"{path.relative_to(ROOT)}: credentials {user_info!r} in a URI"
                )
            assert "PRIVATE KEY-----" not in text, path.relative_to(ROOT)


# (5) The one-shot jobs


def test_the_migrations_job_brings_every_database_to_its_latest_migration(rendering):
    job = objects_of(rendering, "Job")["shop-migrate"]
    (container,) = containers(job)
    assert container["command"] == MIGRATE and "args" not in container  # no argument: every service
    variables = environment(rendering, container)
    for service in WITH_DATABASES:
        assert variables[service.database_variable] == {"secret": SECRET, "key": service.database_variable}
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"]["backoffLimit"] >= 1  # the database may not answer yet


def test_the_broker_accounts_job_gives_every_service_its_account(rendering):
    job = objects_of(rendering, "Job")["shop-broker-accounts"]
    (container,) = containers(job)
    assert container["command"] == BROKER_ACCOUNTS and "args" not in container
    variables = environment(rendering, container)
    assert variables["RABBITMQ_MANAGEMENT_URL"] == {"secret": SECRET, "key": "RABBITMQ_MANAGEMENT_URL"}
    for service in SERVICES:
        name = f"{service.name.upper()}_AMQP_PASSWORD"
        assert variables[name] == {"secret": SECRET, "key": name}
    assert set(variables) <= BROKER_ACCOUNTS_VARIABLES
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"]["backoffLimit"] >= 1  # the broker may not answer yet


def test_the_jobs_are_the_migrations_and_the_broker_accounts_only(rendering):
    assert set(objects_of(rendering, "Job")) == {"shop-migrate", "shop-broker-accounts"}


# (6) Network policies: who may connect to what
#
# A small model of NetworkPolicy semantics: a pod is isolated for ingress (egress) when some policy of that type
# selects it; then a connection is admitted only when a rule of such a policy admits its source (destination)
# and port. Sources are pods of the rendering, pods that are not the shop's (here and in other namespaces), and
# the internet.

NAMESPACE = {"kubernetes.io/metadata.name": "shop"}
PROMETHEUS = {"app.kubernetes.io/name": "prometheus"}  # network-policies.yaml: the label Prometheus's pods carry
BROKERS = {"rabbitmq": 5672, "postgresql": 5432}  # if run in the namespace, labelled with these names


def policies(directory):
    return objects_of(directory, "NetworkPolicy")


def policy_types(policy):
    return policy["spec"].get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in policy["spec"] else []))


def selects(selector, labels):
    """Does a label selector select a pod (or namespace) with ``labels``? (An empty selector selects all.)"""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if {
            "In": key not in labels or labels[key] not in values,
            "NotIn": key in labels and labels[key] in values,
            "Exists": key not in labels,
            "DoesNotExist": key in labels,
        }[operator]:
            return False
    return True


def pod(labels, namespace=NAMESPACE):
    """A connection's end: a pod's labels and its namespace's (None: outside the cluster)."""
    return {"labels": labels, "namespace": namespace}


INTERNET = pod({}, namespace=None)


def shop_pods(directory):
    """``{name: pod}`` of every workload of the rendering."""
    return {
        name: pod(workload["spec"]["template"]["metadata"]["labels"])
        for (kind, name), workload in workloads(directory).items()
    }


def sources(directory):
    """Everyone who might connect: the shop's pods, and others."""
    return {
        **shop_pods(directory),
        "stranger here": pod({"app.kubernetes.io/name": "stranger"}),
        "stranger elsewhere": pod({"app.kubernetes.io/name": "stranger"}, {"kubernetes.io/metadata.name": "x"}),
        "prometheus": pod(PROMETHEUS, {"kubernetes.io/metadata.name": "monitoring"}),
        "a pod labelled prometheus elsewhere": pod(PROMETHEUS, {"kubernetes.io/metadata.name": "x"}),
        "internet": INTERNET,
    }


def peer_matches(peer, other):
    if "ipBlock" in peer:
        return True  # an address range may hold anyone: counted as everyone
    if other["namespace"] is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other["namespace"]):
            return False
    elif other["namespace"] != NAMESPACE:
        return False
    return selects(peer.get("podSelector", {}), other["labels"])


def port_matches(entries, port, protocol):
    if not entries:
        return True
    for entry in entries:
        assert isinstance(entry.get("port", 0), int), f"name ports by number in policies: {entry}"
        if entry.get("protocol", "TCP") == protocol and (
            "port" not in entry or entry["port"] <= port <= entry.get("endPort", entry["port"])
        ):
            return True
    return False


def admitted(directory, direction, this, other, port, protocol="TCP"):
    """Is a connection between pod ``this`` (selected by the policies) and ``other`` on ``port`` admitted?
    direction: "Ingress" (other -> this) or "Egress" (this -> other)."""
    if this["namespace"] != NAMESPACE:
        return True  # the policies are of the shop's namespace only
    isolating = [
        policy
        for policy in policies(directory).values()
        if direction in policy_types(policy) and selects(policy["spec"]["podSelector"], this["labels"])
    ]
    if not isolating:
        return True
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        port_matches(rule.get("ports"), port, protocol)
        and (not rule.get(peers_key) or any(peer_matches(peer, other) for peer in rule[peers_key]))
        for policy in isolating
        for rule in policy["spec"].get(rules_key, [])
    )


def reaching(directory, target, port):
    """Who of ``sources`` may connect to pod ``target`` on ``port`` (the sender's egress and the target's ingress)."""
    return {
        name
        for name, source in sources(directory).items()
        if admitted(directory, "Ingress", target, source, port) and admitted(directory, "Egress", source, target, port)
    }


def deployment_pod(directory, name):
    return shop_pods(directory)[name]


def test_the_network_policies_are_rendered_and_valid_against_the_newest_kubernetes_schemas(rendering):
    assert len(policies(rendering)) > 1
    for policy in policies(rendering).values():
        kubernetes_validate.validate(policy, KUBERNETES_VERSION, strict=True)
    if rendering == EXAMPLE:
        assert {policy["metadata"]["namespace"] for policy in policies(rendering).values()} == {"shop"}


def test_a_default_deny_policy_refuses_all_ingress_to_every_pod_of_the_namespace(rendering):
    deny = [
        name
        for name, policy in policies(rendering).items()
        if policy["spec"]["podSelector"] == {}
        and "Ingress" in policy_types(policy)
        and not policy["spec"].get("ingress")
    ]
    assert deny, "no policy selects every pod and admits nothing"
    # So a pod the shop does not know of is unreachable too, unless a policy says otherwise.
    stranger = pod({"app.kubernetes.io/name": "stranger"})
    assert [port for port in (80, 5432, 8000, 8001, 8101) if reaching(rendering, stranger, port)] == []


def test_anyone_may_reach_the_edge_on_its_port_and_on_no_other(rendering):
    edge = deployment_pod(rendering, EDGE)
    assert reaching(rendering, edge, EDGE_PORT) == set(sources(rendering)) - {EDGE}  # whose egress is the gateways'
    assert reaching(rendering, edge, 8001) == set() and reaching(rendering, edge, 22) == set()


def test_the_gateways_port_admits_the_edges_pods_and_prometheus_and_no_one_else(rendering):
    """Of the shop's pods only the edge (so the gateway may believe its X-Forwarded-For); Prometheus for /metrics."""
    gateway = deployment_pod(rendering, "gateway")
    port = serving_port(rendering, BY_NAME["gateway"], container_of(rendering, "gateway"))
    assert reaching(rendering, gateway, port) == {EDGE, "prometheus"}
    assert [other for other in (EDGE_PORT, 22, 8101) if reaching(rendering, gateway, other)] == []


@pytest.mark.parametrize(
    "service", [service for service in SERVICES if service.ops_port], ids=lambda service: service.name
)
def test_the_operations_ports_admit_prometheus_only(rendering, service):
    target = deployment_pod(rendering, service.name)
    assert reaching(rendering, target, service.ops_port) == {"prometheus"}
    assert [port for port in (EDGE_PORT, 8001, 5672) if reaching(rendering, target, port)] == []


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_deployment_is_isolated_by_the_policies_and_reachable_where_it_serves(rendering, name):
    """Every service of the registry and the edge: selected by an ingress policy (so by default unreachable), its
    serving port admitted to its clients (the internet for the edge, the edge and Prometheus for the others)."""
    target = deployment_pod(rendering, name)
    assert [
        policy
        for policy in policies(rendering).values()
        if "Ingress" in policy_types(policy) and selects(policy["spec"]["podSelector"], target["labels"])
    ]
    if name == EDGE:
        assert "internet" in reaching(rendering, target, EDGE_PORT)
    else:
        port = serving_port(rendering, BY_NAME[name], container_of(rendering, name))
        assert "prometheus" in reaching(rendering, target, port)


def test_the_edge_may_send_to_the_gateways_port_and_to_dns_only(rendering):
    edge = deployment_pod(rendering, EDGE)
    gateway_port = serving_port(rendering, BY_NAME["gateway"], container_of(rendering, "gateway"))
    destinations = {
        **shop_pods(rendering),
        "rabbitmq": pod({"app.kubernetes.io/name": "rabbitmq"}),
        "internet": INTERNET,
    }
    assert {
        name for name, other in destinations.items() if admitted(rendering, "Egress", edge, other, gateway_port)
    } == {"gateway"}
    assert [
        (name, port)
        for name, other in destinations.items()
        for port in (80, 443, 5432, 5672, 8101)
        if admitted(rendering, "Egress", edge, other, port)
    ] == []
    resolver = pod({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})
    assert all(admitted(rendering, "Egress", edge, resolver, 53, protocol) for protocol in ("UDP", "TCP"))


def test_the_services_egress_is_not_restricted_so_dns_the_brokers_and_the_databases_stay_reachable(rendering):
    """The brokers' addresses are the overlay's: a default deny of egress would cut the services off."""
    for service in SERVICES:
        this = deployment_pod(rendering, service.name)
        for port, protocol in (
            (53, "UDP"),
            (53, "TCP"),
            (5672, "TCP"),
            (5432, "TCP"),
            (6379, "TCP"),
            (25, "TCP"),
            (4318, "TCP"),
        ):
            assert admitted(rendering, "Egress", this, INTERNET, port, protocol), (service.name, port, protocol)


def test_the_payments_service_may_reach_stripe_over_tls_and_only_prometheus_reaches_it(rendering):
    """Stripe's API is on the internet at addresses Stripe does not fix: egress to any address on 443."""
    payments = deployment_pod(rendering, "payments")
    assert admitted(rendering, "Egress", payments, INTERNET, 443)
    port = BY_NAME["payments"].ops_port
    assert reaching(rendering, payments, port) == {"prometheus"}
    assert [other for other in (443, 8420, EDGE_PORT, 8001) if reaching(rendering, payments, other)] == []


def test_only_prometheus_reaches_the_shipping_service_which_is_given_no_address_outside_the_cluster(rendering):
    """Unlike the payments service it calls no API on the internet (carriers' webhooks reach it from the gateway
    over the broker): nothing of Stripe's, no *_API_BASE, and only Prometheus reaches its pods."""
    shipping = deployment_pod(rendering, "shipping")
    port = BY_NAME["shipping"].ops_port
    assert reaching(rendering, shipping, port) == {"prometheus"}
    assert [other for other in (443, 8420, EDGE_PORT, 8001, 8105) if reaching(rendering, shipping, other)] == []
    variables = environment(rendering, container_of(rendering, "shipping"))
    assert [name for name in variables if name.startswith("STRIPE_") or name.endswith("_API_BASE")] == []
    assert [
        (name, source["value"])
        for name, source in variables.items()
        if "value" in source and re.match(r"https?://", source["value"]) and name not in TRACE_VARIABLES
    ] == []


@pytest.mark.parametrize("broker, port", BROKERS.items())
def test_a_broker_or_database_run_in_the_namespace_admits_the_shops_pods_only(rendering, broker, port):
    target = pod({"app.kubernetes.io/name": broker})
    assert reaching(rendering, target, port) == set(shop_pods(rendering)) - {EDGE}
    assert reaching(rendering, target, 22) == set()
    # Its own peers (clustering, replication) reach it too.
    assert admitted(rendering, "Ingress", target, pod({"app.kubernetes.io/name": broker}), port)


def test_rabbitmqs_management_api_admits_the_broker_accounts_job_only(rendering):
    rabbitmq = pod({"app.kubernetes.io/name": "rabbitmq"})
    assert reaching(rendering, rabbitmq, 15672) == {"shop-broker-accounts"}


def test_the_gateway_believes_x_forwarded_for_from_private_pod_networks_only(rendering):
    """Safe because only the edge's pods (and Prometheus, which sends none) reach the gateway's port (above)."""
    variables = environment(rendering, container_of(rendering, "gateway"))
    networks = [ipaddress.ip_network(entry.strip()) for entry in variables["TRUSTED_PROXIES"]["value"].split(",")]
    assert networks and all(network.is_private and network.prefixlen >= 8 for network in networks), networks
    if rendering == EXAMPLE:  # the overlay narrows the base's 10.0.0.0/8 to its cluster's pod network
        assert networks == [ipaddress.ip_network("10.244.0.0/16")]
