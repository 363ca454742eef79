"""deploy/k8s (kustomize: a base and an example overlay) renders to valid Kubernetes objects that agree with the
service registry and config.yaml, run as unprivileged pods and hold no secret value.

``kubectl kustomize`` renders offline; the objects are checked against the Kubernetes API schemas by
kubernetes-validate, for the newest Kubernetes version it knows.
"""

import functools
import re
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from shop_common.operations.config import ROOT
from shop_common.operations.services import BY_NAME, SERVICES, WITH_DATABASES

K8S = ROOT / "deploy" / "k8s"
BASE, EXAMPLE = "base", "overlays/example"
RENDERINGS = (BASE, EXAMPLE)
SECRET = "shop-secrets"        # created by the operator, never by these manifests
IMAGE = "nameko-shop"          # the manifests' image name, which kustomize `images:` sets
KUBERNETES_VERSION = kubernetes_validate.latest_version()

MIGRATE = ["python", "-m", "shop_common.persistence.migrate"]
BROKER_ACCOUNTS = ["python", "-m", "shop_common.operations.broker_accounts"]

# Read from the environment by code rather than config.yaml.
KEY_VARIABLES = {"AUTH_SIGNING_KEY", "AUTH_TRUSTED_KEYS"}                        # shop_common.identity.keys
TRACE_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}                                 # the OpenTelemetry SDK
OPS_ADDRESS_VARIABLES = {service.ops_address_variable for service in SERVICES if service.ops_port}
BROKER_ACCOUNTS_VARIABLES = ({"RABBITMQ_MANAGEMENT_URL", "AMQP_VHOST"}   # shop_common.operations.broker_accounts
                             | {f"{service.name.upper()}_AMQP_PASSWORD" for service in SERVICES})
# Variables that hold credentials: set only from the Secret, never as a value in a manifest.
SECRET_VARIABLES = ({"AMQP_URI", "RABBITMQ_MANAGEMENT_URL"} | KEY_VARIABLES
                    | {service.database_variable for service in WITH_DATABASES}
                    | {f"{service.name.upper()}_AMQP_PASSWORD" for service in SERVICES})
SECRET_LOOKING_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEYS?$")
CREDENTIALS_IN_URI = re.compile(r"://[^/\s@]*@")                                  # scheme://user:password@host


class ManifestLoader(yaml.SafeLoader):
    """Plain YAML: without the ``${VAR}`` resolver ``load_config`` teaches SafeLoader."""


ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@functools.cache
def rendered(directory):
    """The objects ``kubectl kustomize deploy/k8s/<directory>`` renders."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not on PATH: these tests render deploy/k8s with `kubectl kustomize` "
                    "(kubectl bundles kustomize); install kubectl", pytrace=False)
    result = subprocess.run([kubectl, "kustomize", str(K8S / directory)], capture_output=True, text=True,
                            timeout=120)
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
    return {(item["kind"], item["metadata"]["name"]): item for item in rendered(directory)
            if item["kind"] in ("Deployment", "Job")}


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
            variables[variable["name"]] = {"secret": reference["secretKeyRef"]["name"],
                                           "key": reference["secretKeyRef"]["key"]}
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
        needed |= {"WEB_SERVER_ADDRESS", "REDIS_URL"}
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


_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30}


def looks_secret(name, value):
    """A credential written as a value: a secret-looking name, a URI with user information, a private key."""
    return bool(name in SECRET_VARIABLES or SECRET_LOOKING_NAME.search(name) or CREDENTIALS_IN_URI.search(value)
                or "PRIVATE KEY" in value)


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


@pytest.mark.parametrize("kind", ["Deployment", "Service", "PodDisruptionBudget"])
def test_every_registered_service_and_no_other_has_its_deployment_service_and_disruption_budget(rendering, kind):
    assert set(objects_of(rendering, kind)) == {service.name for service in SERVICES}


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


def test_the_base_runs_two_replicas_of_every_service():
    assert {name: deployment["spec"]["replicas"] for name, deployment in objects_of(BASE, "Deployment").items()} \
        == {service.name: 2 for service in SERVICES}


@pytest.mark.parametrize("service", [service for service in SERVICES if service.ops_port],
                         ids=lambda service: service.name)
def test_every_domain_service_listens_for_operations_on_its_registered_port(rendering, service):
    container = container_of(rendering, service.name)
    assert {"name": "ops", "containerPort": service.ops_port} in container["ports"]
    assert environment(rendering, container)[service.ops_address_variable] == {"value": service.default_ops_address}


def test_the_gateway_serves_http_on_its_web_server_address():
    container = container_of(BASE, "gateway")
    assert BY_NAME["gateway"].ops_port is None   # so its operations endpoints are on its HTTP address
    assert {"name": "http", "containerPort": 8000} in container["ports"]
    assert environment(BASE, container)["WEB_SERVER_ADDRESS"] == {"value": "0.0.0.0:8000"}


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


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_and_disruption_budget_selects_the_pods_of_its_deployment_only(rendering, service):
    pod_labels = {name: deployment["spec"]["template"]["metadata"]["labels"]
                  for name, deployment in objects_of(rendering, "Deployment").items()}
    selectors = {
        "Service": objects_of(rendering, "Service")[service.name]["spec"]["selector"],
        "PodDisruptionBudget": objects_of(rendering, "PodDisruptionBudget")[service.name]["spec"]["selector"][
            "matchLabels"],
        "Deployment": objects_of(rendering, "Deployment")[service.name]["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        selected = [name for name, labels in pod_labels.items() if selector.items() <= labels.items()]
        assert selected == [service.name], kind


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_at_least_one_pod_of_every_service_survives_voluntary_disruptions(rendering, service):
    budget = objects_of(rendering, "PodDisruptionBudget")[service.name]
    assert budget["spec"]["minAvailable"] == 1 and "maxUnavailable" not in budget["spec"]
    assert objects_of(rendering, "Deployment")[service.name]["spec"]["replicas"] > 1


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_is_reachable_in_the_cluster_and_scraped_by_prometheus_on_its_operations_port(
        rendering, service):
    kube_service = objects_of(rendering, "Service")[service.name]
    container = container_of(rendering, service.name)
    port = serving_port(rendering, service, container)
    assert kube_service["spec"].get("type", "ClusterIP") == "ClusterIP"
    targets = {entry["port"]: port_number(container, entry["targetPort"]) for entry in kube_service["spec"]["ports"]}
    if service.ops_port is None:
        assert targets == {80: port}   # the gateway: HTTP on port 80
    else:
        assert targets == {port: port}
    annotations = kube_service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_example_overlay_deploys_to_the_shop_namespace_with_three_gateways():
    namespaced = [item for item in rendered(EXAMPLE) if item["kind"] != "Namespace"]
    assert {item["metadata"].get("namespace") for item in namespaced} == {"shop"}
    assert objects_of(EXAMPLE, "Namespace")["shop"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] \
        == "restricted"
    replicas = {name: deployment["spec"]["replicas"] for name, deployment in objects_of(EXAMPLE, "Deployment").items()}
    assert replicas == {**{service.name: 2 for service in SERVICES}, "gateway": 3}


def images(directory):
    return {container["image"] for workload in workloads(directory).values() for container in containers(workload)}


def test_one_tagged_image_runs_every_service_and_job_and_the_kustomizations_name_it():
    for directory in RENDERINGS:
        assert len(images(directory)) == 1, directory
        (image,) = images(directory)
        assert re.fullmatch(r"\S+:\w[\w.-]*", image) and not image.endswith(":latest"), image
    (example_image,) = images(EXAMPLE)
    assert example_image.startswith("registry.example.com/")
    # The manifests all name the placeholder; only a kustomization's `images:` says which image it is.
    for path in (K8S / BASE).glob("*.yaml"):
        for item in yaml.load_all(path.read_text(), Loader=ManifestLoader):
            if item and item.get("kind") in ("Deployment", "Job"):
                assert {container["image"] for container in containers(item)} == {IMAGE}, path.name


# (3) Agreement with config.yaml


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_gets_every_setting_config_yaml_reads_that_it_needs(rendering, service):
    needed = needed_variables(service)
    assert needed <= config_variables()
    variables = environment(rendering, container_of(rendering, service.name))
    assert needed - set(variables) == set()
    assert [name for name in needed if variables[name].get("value") == ""] == []   # none set empty


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_variable_a_service_is_given_is_one_the_shop_reads(rendering, service):
    variables = environment(rendering, container_of(rendering, service.name))
    assert set(variables) - config_variables() - KEY_VARIABLES - OPS_ADDRESS_VARIABLES - TRACE_VARIABLES == set()


def test_the_config_map_holds_only_settings_config_yaml_reads(rendering):
    (config_map,) = objects_of(rendering, "ConfigMap").values()
    assert config_map["metadata"]["name"].startswith("shop-config")
    assert set(config_map["data"]) <= config_variables() | TRACE_VARIABLES


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_service_connects_to_rabbitmq_and_its_database_with_credentials_from_the_secret(rendering, service):
    variables = environment(rendering, container_of(rendering, service.name))
    assert variables["AMQP_URI"] == {"secret": SECRET, "key": f"{service.name.upper()}_AMQP_URI"}   # its own account
    if service.has_database:
        assert variables[service.database_variable] == {"secret": SECRET, "key": service.database_variable}
    databases = {service.database_variable for service in WITH_DATABASES}
    assert set(variables) & databases <= {service.database_variable}   # no other service's database


def test_only_the_accounts_service_holds_the_signing_key_and_the_gateway_trusts_its_public_keys(rendering):
    holders = {name for name in objects_of(rendering, "Deployment")
               if "AUTH_SIGNING_KEY" in environment(rendering, container_of(rendering, name))}
    assert holders == {"accounts"}
    assert environment(rendering, container_of(rendering, "accounts"))["AUTH_SIGNING_KEY"] == \
        {"secret": SECRET, "key": "AUTH_SIGNING_KEY"}
    assert environment(rendering, container_of(rendering, "gateway"))["AUTH_TRUSTED_KEYS"] == \
        {"secret": SECRET, "key": "AUTH_TRUSTED_KEYS"}


def test_the_example_overlay_says_how_to_create_every_key_of_the_secret_the_manifests_use():
    referenced = {(source["secret"], source["key"]) for workload in workloads(EXAMPLE).values()
                  for container in containers(workload)
                  for source in environment(EXAMPLE, container).values() if "secret" in source}
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
            assert any(mount["mountPath"] == "/tmp" and mount["name"] in scratch
                       for mount in container.get("volumeMounts", [])), f"{where}: no writable /tmp"


def test_every_container_requests_and_is_limited_in_cpu_and_memory(rendering):
    for (kind, name), workload in workloads(rendering).items():
        for container in containers(workload):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                request, limit = resources["requests"][resource], resources["limits"][resource]
                assert 0 < quantity(request) <= quantity(limit), f"{kind}/{name}: {resource}"
            # each service stays under 120 MB resident: leave it room
            assert quantity(resources["limits"]["memory"]) >= 160 * 2 ** 20, f"{kind}/{name}"


def test_every_service_has_time_to_stop_gracefully(rendering):
    for name, deployment in objects_of(rendering, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        grace = pod.get("terminationGracePeriodSeconds", 30)
        assert grace >= 30, name
        pre_stop = container_of(rendering, name).get("lifecycle", {}).get("preStop", {}).get("exec", {})
        if pre_stop:
            assert pre_stop["command"][0] == "sleep" and int(pre_stop["command"][1]) < grace / 2, name


def test_the_manifests_define_no_secret_and_write_no_secret_value(rendering):
    assert [item["metadata"]["name"] for item in rendered(rendering) if item["kind"] == "Secret"] == []
    written, not_from_the_secret = [], []
    for (kind, name), workload in workloads(rendering).items():
        for container in containers(workload):
            for variable, source in environment(rendering, container).items():
                if "value" in source and looks_secret(variable, source["value"]):
                    written.append(f"{kind}/{name}: {variable}")
                if variable in SECRET_VARIABLES and source.get("secret") != SECRET:
                    not_from_the_secret.append(f"{kind}/{name}: {variable}")
    for name, config_map in objects_of(rendering, "ConfigMap").items():
        written += [f"ConfigMap/{name}: {key}" for key, value in config_map.get("data", {}).items()
                    if looks_secret(key, value)]
    assert written == []
    assert not_from_the_secret == []


def test_no_file_under_deploy_k8s_holds_a_credential():
    """Credentials in the instructions are placeholders (``<password>``), never values."""
    for path in sorted(K8S.rglob("*")):
        if path.is_file():
            text = path.read_text()
            for user_info in re.findall(r"://([^/@'\"\n]*)@", text):
                assert re.fullmatch(r"[\w.-]*(:<[^>]+>)?|<[^>]+>(:<[^>]+>)?", user_info), \
                    f"{path.relative_to(ROOT)}: credentials {user_info!r} in a URI"
            assert "PRIVATE KEY-----" not in text, path.relative_to(ROOT)


# (5) The one-shot jobs


def test_the_migrations_job_brings_every_database_to_its_latest_migration(rendering):
    job = objects_of(rendering, "Job")["shop-migrate"]
    (container,) = containers(job)
    assert container["command"] == MIGRATE and "args" not in container   # no argument: every service
    variables = environment(rendering, container)
    for service in WITH_DATABASES:
        assert variables[service.database_variable] == {"secret": SECRET, "key": service.database_variable}
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"]["backoffLimit"] >= 1   # the database may not answer yet


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
    assert job["spec"]["backoffLimit"] >= 1   # the broker may not answer yet


def test_the_jobs_are_the_migrations_and_the_broker_accounts_only(rendering):
    assert set(objects_of(rendering, "Job")) == {"shop-migrate", "shop-broker-accounts"}
