"""The operator's dashboard (docker/grafana/dashboards/shop.json) and alerts (docker/alerts.yml), read as files:
every query names only metrics ``shop_common/observability/metrics.py`` defines, with labels (and, where the shop's
code fixes them, label values) those metrics have; payments have their panels and alerts.
(tests/e2e/test_operations.py checks the same queries against what a running shop exports.)"""

import dataclasses
import json
import re

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from gateway.admission import Bounds
from harness.repository import ROOT
from payment_service import statuses as payment_statuses
from shop_common.observability import metrics
from shop_common.operations.services import SERVICES

DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "shop.json"
ALERTS = ROOT / "docker" / "alerts.yml"
PROMETHEUS_OWN = {"up"}  # series Prometheus itself records for each target
GRID_COLUMNS = 24  # Grafana's grid (and bench/dashboard.py's)
DRAWN_PANEL_TYPES = {"timeseries", "stat", "gauge"}  # bench/dashboard.py draws these; a "row" has no queries

SELECTOR = re.compile(r"\b(shop_[a-z_]+)(?:\{([^}]*)\})?")  # a shop metric, its matchers
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')  # label, operator, value
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")  # by (a, b) / without (a)
SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "gauge": ("",),
}


def defined_series():
    """{series name as Prometheus stores it: its label names} for every metric metrics.py defines."""
    series = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):  # a Counter, Histogram...: _name without its _total
            for suffix in SERIES_SUFFIXES[value._type]:
                series[value._name + suffix] = set(value._labelnames) | ({"le"} if suffix == "_bucket" else set())
        elif isinstance(value, tuple) and len(value) == 3 and str(value[0]).startswith("shop_"):  # a gauge
            series[value[0]] = set(value[2])
    return series


def source(path):
    return (ROOT / path).read_text()


SERVICE_NAMES = {service.name for service in SERVICES}
# Label values fixed by the shop's code, where a misspelt one ("authorize") would only show as no data.
KNOWN_VALUES = {
    ("shop_circuit_breaker_open", "caller"): SERVICE_NAMES,
    ("shop_circuit_breaker_open", "service"): SERVICE_NAMES,
    ("shop_dead_letters", "service"): SERVICE_NAMES,
    ("shop_payments_total", "step"): set(re.findall(r'_commit\(\s*"(\w+)"', source("payment_service/service.py"))),
    ("shop_payments_total", "outcome"): set(payment_statuses.STATUSES),
    ("shop_payment_provider_calls_total", "operation"): set(
        re.findall(r'self\._call\(\s*"(\w+)"', source("payment_service/provider.py"))
    ),
    ("shop_payment_provider_calls_total", "outcome"): set(
        re.findall(r'\boutcome = (?:.*, )?"(\w+)"', source("payment_service/provider.py"))
    ),
}
KNOWN_VALUES[("shop_admission_bound", "bound")] = {field.name for field in dataclasses.fields(Bounds)}
KNOWN_VALUES[("shop_orders_refused_total", "bound")] = KNOWN_VALUES[("shop_admission_bound", "bound")]
KNOWN_VALUES[("shop_payment_provider_call_duration_seconds_bucket", "operation")] = KNOWN_VALUES[
    ("shop_payment_provider_calls_total", "operation")
]


def dashboard():
    return json.loads(DASHBOARD.read_text())


def alerts():
    return yaml.safe_load(ALERTS.read_text())


def panel_queries():
    """[(where, expr)] of every query of the dashboard."""
    return [
        (f"panel {panel['id']} {panel['title']} {target['refId']}", target["expr"])
        for panel in dashboard()["panels"]
        for target in panel["targets"]
    ]


def alert_queries():
    """[(where, expr)] of every alert."""
    return [(f"alert {rule['alert']}", rule["expr"]) for group in alerts()["groups"] for rule in group["rules"]]


def matched_values(operator, value):
    """The values an equality matcher (or a regex one that is a plain alternation) selects; None otherwise."""
    if operator == "=":
        return {value}
    if operator == "=~" and re.fullmatch(r"[\w|]+", value):
        return set(value.split("|"))
    return None


def test_the_metrics_label_values_known_to_the_test_were_found_in_the_code():
    assert {"authorise", "capture", "void", "refund", "webhook"} <= KNOWN_VALUES[("shop_payments_total", "step")]
    assert KNOWN_VALUES[("shop_payment_provider_calls_total", "outcome")] == {
        "ok",
        "declined",
        "refused",
        "unavailable",
    }
    assert {"create_intent", "confirm", "retrieve", "capture", "cancel", "refund", "list_refunds"} <= KNOWN_VALUES[
        ("shop_payment_provider_calls_total", "operation")
    ]


@pytest.mark.parametrize(
    "where, expr", [pytest.param(where, expr, id=where) for where, expr in panel_queries() + alert_queries()]
)
def test_every_dashboard_and_alert_query_names_only_metrics_and_labels_metrics_py_defines(where, expr):
    series = defined_series()
    selectors = SELECTOR.findall(expr)
    names = {name for name, _ in selectors}
    assert names or re.match(r"\w+", expr)[0] in PROMETHEUS_OWN, f"{where} names no metric of the shop's"
    assert sorted(names - set(series)) == [], f"{where} names metrics metrics.py does not define"
    for name, matchers in selectors:
        for label, operator, value in MATCHER.findall(matchers):
            assert label in series[name], f"{where}: {name} has no label {label}"
            values, known = matched_values(operator, value), KNOWN_VALUES.get((name, label))
            if values is not None and known is not None:
                assert sorted(values - known) == [], f"{where}: {name}{{{label}}} never takes these values"
    grouped = {label.strip() for labels in GROUPING.findall(expr) for label in labels.split(",") if label.strip()}
    assert sorted(grouped - set().union(*(series[name] for name in names))) == [], (
        f"{where} groups by labels its metrics do not have"
    )


def test_the_dashboard_and_alerts_query_every_payments_metric():
    queried = {name for _, expr in panel_queries() + alert_queries() for name in re.findall(r"\bshop_[a-z_]+", expr)}
    assert {
        "shop_payments_total",
        "shop_payment_provider_calls_total",
        "shop_payment_provider_call_duration_seconds_bucket",
    } <= queried


def test_every_dashboard_panel_has_queries_and_its_own_place_on_the_grid():
    """What Grafana, bench/dashboard.py and tests/e2e read of each panel: an id, a title, queries, a grid place."""
    panels = dashboard()["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    taken = {}
    for panel in panels:
        assert panel["title"] and panel["type"] in DRAWN_PANEL_TYPES
        assert panel["targets"] and all(target["expr"] and target["refId"] for target in panel["targets"])
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"])
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_COLUMNS and grid["y"] >= 0 and grid["h"] > 0
        for cell in (
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        ):
            assert cell not in taken, f"{panel['title']} overlaps {taken[cell]}"
            taken[cell] = panel["title"]


def payments_panels():
    return [panel for panel in dashboard()["panels"] if panel["title"].startswith("Payments")]


def a_payments_panel_queries(*patterns):
    """Whether one payments panel has, for each of ``patterns``, a query matching it."""
    return any(
        all(any(re.search(pattern, target["expr"]) for target in panel["targets"]) for pattern in patterns)
        for panel in payments_panels()
    )


PROVIDER_LATENCY = (
    r"^histogram_quantile\({}, sum by \(le, operation\) "
    r"\(rate\(shop_payment_provider_call_duration_seconds_bucket\[\w+\]\)\)\)$"
)


@pytest.mark.parametrize(
    "patterns",
    [
        pytest.param(
            [r'^sum by \(outcome\) \(rate\(shop_payments_total\{step="authorise"\}\[\w+\]\)\)$'],
            id="authorisation outcomes",
        ),
        pytest.param(
            [
                r"^sum by \(step, outcome\) \(rate\(shop_payments_total"
                r'\{step=~"(?=[^"]*capture)(?=[^"]*void)(?=[^"]*refund)[^"]*"\}\[\w+\]\)\)$'
            ],
            id="captures, voids and refunds",
        ),
        pytest.param([PROVIDER_LATENCY.format(r"0\.5"), PROVIDER_LATENCY.format(r"0\.99")], id="provider latency"),
        pytest.param(
            [
                r"^sum by \(operation(, outcome)?\) \(rate\(shop_payment_provider_calls_total"
                r'\{outcome=~"(unavailable\|refused|refused\|unavailable)"\}\[\w+\]\)\)$'
            ],
            id="provider errors",
        ),
        pytest.param(
            [r'^max by \(caller, service\) \(shop_circuit_breaker_open\{service="payments"\}\)$'], id="circuit breakers"
        ),
        pytest.param([r'\(shop_dead_letters\{service="payments"\}\)$'], id="dead letters"),
    ],
)
def test_the_dashboard_has_a_payments_panel_for(patterns):
    assert a_payments_panel_queries(*patterns), f"no payments panel queries {patterns}"


def test_the_payments_panels_sit_together_below_the_others():
    panels = dashboard()["panels"]
    payments = payments_panels()
    assert len(payments) >= 4
    assert min(panel["gridPos"]["y"] for panel in payments) >= max(
        panel["gridPos"]["y"] + panel["gridPos"]["h"] for panel in panels if panel not in payments
    )


def alert(name):
    rules = {rule["alert"]: rule for group in alerts()["groups"] for rule in group["rules"]}
    assert name in rules, f"no alert {name} in docker/alerts.yml"
    return rules[name]


def test_an_alert_fires_when_the_payment_provider_stays_unavailable():
    rule = alert("PaymentProviderUnavailable")
    assert re.search(r'rate\(shop_payment_provider_calls_total\{outcome="unavailable"\}\[\w+\]\)', rule["expr"])
    assert rule["for"] == "2m" and rule["annotations"]["summary"]


def test_an_alert_fires_when_payment_authorisations_keep_failing():
    rule = alert("PaymentAuthorisationsFailing")
    failed, _, every = rule["expr"].partition(" / ")
    assert 'shop_payments_total{step="authorise", outcome="failed"}' in failed
    assert re.match(r'sum\(rate\(shop_payments_total\{step="authorise"\}\[\w+\]\)\) > 0\.\d+$', every)
    assert rule["for"] == "5m" and rule["annotations"]["summary"]


def test_the_dead_letters_alert_covers_every_service_payments_included():
    """One alert for every service's dead letters (a capture or void the provider keeps refusing ends in
    payments.dead-letters): none filtered out, each service named in the alert it raises."""
    rule = alert("DeadLettersWaiting")
    assert re.fullmatch(r"sum by \(service\) \(shop_dead_letters\) > 0", rule["expr"])
    assert sum("shop_dead_letters" in expr for _, expr in alert_queries()) == 1  # not duplicated per service
