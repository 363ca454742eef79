"""A picture of the shop's Grafana dashboard, drawn from the benchmark's run of the shop.

For a machine without Grafana (or a container engine to run it), this draws
``docker/grafana/dashboards/shop.json`` itself. With ``--dashboard PATH``,
``bench/run.py`` runs a real Prometheus (``/usr/bin/prometheus``; ``apt-get
install prometheus``) beside the shop it seeded, scraping every process's
``/metrics`` every 2 s while the benchmark loads it; after the shop's runs it
asks Prometheus for every panel's queries over that time and draws the panels
in the dashboard's own grid, in Grafana's dark colours, to PATH. Prometheus
shares the cores with the shop: a run that draws the picture is not one to
take figures from.
"""

import collections
import json
import math
import re
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests
from matplotlib import dates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bench.report import rounded
from harness.repository import ROOT
from harness.smtp import free_port
from harness.waiting import wait_until

DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "shop.json"
PROMETHEUS = Path("/usr/bin/prometheus")
SCRAPE_SECONDS = 2

# Grafana's look: its dark theme's colours, and distinct colours of its palette for the lines.
BACKGROUND, PANEL, BORDER, GRID, TEXT, DIM_TEXT = "#111217", "#181b1f", "#2c3235", "#25282d", "#ccccdc", "#9fa1b0"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#b877d9", "#6ed0e0", "#fe85b4", "#d8d9da"]
QUERY_LINE_STYLES = ["-", "--", ":"]  # a panel's first query solid, its second dashed: A and B of a label alike
COLUMN_PX, ROW_PX, HEADER_PX, GAP_PX, WIDTH_PX = 75, 36, 70, 8, 1800  # 24 columns of 75 px: 1800 px
UNIT_SUFFIXES = {"s": " s", "ops": " ops/s", "reqps": " req/s", "percent": "%"}


class NotDrawn:
    """No picture asked for."""

    def draw(self, results):
        pass


@contextmanager
def recording(stack, out):
    """With ``out`` (a path), Prometheus scraping every process of ``stack`` for the length of a ``with`` block,
    which draws the picture of that time to ``out`` with ``draw(results)``; without, nothing."""
    if out is None:
        yield NotDrawn()
        return
    if not PROMETHEUS.exists():
        raise SystemExit(f"{PROMETHEUS} is missing: install it once with `apt-get install -y prometheus`")
    with (
        tempfile.TemporaryDirectory(prefix="dashboard-") as work_dir,
        running_prometheus(stack.ops_urls, Path(work_dir)) as prometheus,
    ):
        yield Recording(prometheus, out, began=time.time())


class Recording:
    def __init__(self, prometheus, out, began):
        self.prometheus, self.out, self.began = prometheus, Path(out), began

    def draw(self, results):
        """The dashboard's panels from when the recording began until now, to ``out``; what the shop's runs of
        ``results`` did said above them."""
        dashboard = json.loads(DASHBOARD.read_text())
        window = (self.began, time.time())
        series = {panel["id"]: panel_series(self.prometheus, panel, window) for panel in dashboard["panels"]}
        self.out.parent.mkdir(parents=True, exist_ok=True)
        draw(dashboard, series, window, caption(rounded(results)), self.out)
        print(f"{self.out}: the dashboard over {round(window[1] - window[0])} s of the shop's runs")
        for panel in dashboard["panels"]:
            if not any(series[panel["id"]]):
                print(f"{self.out}: no data: {panel['title']}")


def caption(results):
    """The picture's two lines about the run: what the shop was offered, and what it did."""
    shop, open_loop = results["shop"], results["shop"]["open_loop"]
    steps = ", ".join(f"{step['rate']}" for step in open_loop["steps"])
    at_80 = open_loop.get("at_80_percent")
    at_80_said = f" and {at_80['rate']}/s (80 % of the highest sustained)" if at_80 else ""
    title = (
        f"Shop dashboard (docker/grafana/dashboards/shop.json) from Prometheus, during the benchmark's shop "
        f"runs: {shop['orders']} orders, {results['clients']} clients"
    )
    subtitle = (
        f"{results['seconds']} s closed loop ({shop['confirmed_per_second']} confirmed/s), then open loop at "
        f"{steps} orders/s{at_80_said}; every order paid for. The dashboard's queries, step "
        f"{SCRAPE_SECONDS} s, UTC; a panel's second query dashed."
    )
    return title, subtitle


@contextmanager
def running_prometheus(ops_urls, work_dir):
    """A Prometheus scraping each process in ``ops_urls`` every 2 s, for the length of a ``with`` block; its URL."""
    targets = collections.defaultdict(list)
    for (service, _), url in ops_urls.items():
        targets[service].append(url.removeprefix("http://"))
    config = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "scrape_configs": [
            {"job_name": service, "static_configs": [{"targets": addresses}]} for service, addresses in targets.items()
        ],
    }
    (work_dir / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    url = f"http://127.0.0.1:{free_port()}"
    with open(work_dir / "prometheus.log", "wb") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={work_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={work_dir / 'tsdb'}",
                f"--web.listen-address={url.removeprefix('http://')}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_scraping(url, len(ops_urls))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_scraping(prometheus, count, timeout=60.0):
    def scraping():
        try:
            targets = requests.get(f"{prometheus}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
        except requests.ConnectionError:
            return False
        return sum(target["health"] == "up" for target in targets) == count

    wait_until(scraping, timeout, f"Prometheus scraping the {count} processes of the shop", poll_seconds=0.5)


def panel_series(prometheus, panel, window):
    """For each target of ``panel``, [(legend, times, values)] of its series over ``window`` that have a value,
    sorted by legend."""
    found = []
    for target in panel.get("targets", []):
        lines = []
        expr = grafana_variables_replaced(target["expr"], window)
        answer = requests.get(
            f"{prometheus}/api/v1/query_range",
            timeout=30,
            params={"query": expr, "start": window[0], "end": window[1], "step": SCRAPE_SECONDS},
        ).json()
        if answer["status"] != "success":
            print(f"{panel['title']}: {expr}: {answer['error']}")
        for result in answer.get("data", {}).get("result", []):
            times = [datetime.fromtimestamp(float(t), UTC) for t, _ in result["values"]]
            values = [float(value) for _, value in result["values"]]
            if not all(math.isnan(value) for value in values):
                lines.append((legend(target.get("legendFormat"), result["metric"]), times, values))
        found.append(sorted(lines, key=lambda line: line[0]))
    return found


def grafana_variables_replaced(expr, window):
    """``expr`` with Grafana's interval variables as fixed values (30 s windows: 15 scrapes)."""
    values = {"__rate_interval": "30s", "__interval": "30s", "__range": f"{math.ceil(window[1] - window[0])}s"}
    return re.sub(r"\$\{?(__\w+?)\}?(?!\w)", lambda match: values.get(match[1], match[0]), expr)


def legend(legend_format, labels):
    """A series' name as Grafana writes it: ``legendFormat`` with ``{{label}}`` filled in, else its labels."""
    if legend_format and legend_format != "__auto":
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda match: labels.get(match[1], ""), legend_format).strip()
    return "{" + ", ".join(f'{name}="{value}"' for name, value in labels.items() if name != "__name__") + "}"


def formatted(value, unit):
    """``value`` as Grafana shows it in ``unit`` (seconds below 1 in ms; thousands as K)."""
    if unit == "s" and 0 < abs(value) < 1:
        return f"{value * 1000:.3g} ms"
    suffix = UNIT_SUFFIXES.get(unit, "")
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}K{suffix}"
    return f"{value:.3g}{suffix}"


def draw(dashboard, series, window, heading, out):
    rows = max(panel["gridPos"]["y"] + panel["gridPos"]["h"] for panel in dashboard["panels"])
    height_px = HEADER_PX + rows * ROW_PX
    figure = Figure(figsize=(WIDTH_PX / 100, height_px / 100), dpi=100, facecolor=BACKGROUND)

    def box(left, top, width, height):
        """Pixels from the top left as a figure rectangle."""
        return [left / WIDTH_PX, 1 - (top + height) / height_px, width / WIDTH_PX, height / height_px]

    title, subtitle = heading
    figure.text(
        GAP_PX / WIDTH_PX,
        1 - 22 / height_px,
        color=TEXT,
        fontsize=14,
        fontweight="bold",
        s=f"{title}, {datetime.fromtimestamp(window[0], UTC):%Y-%m-%d %H:%M} UTC",
    )
    figure.text(GAP_PX / WIDTH_PX, 1 - 48 / height_px, color=DIM_TEXT, fontsize=10, s=subtitle)
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        left, top = grid["x"] * COLUMN_PX + GAP_PX / 2, HEADER_PX + grid["y"] * ROW_PX + GAP_PX / 2
        width, height = grid["w"] * COLUMN_PX - GAP_PX, grid["h"] * ROW_PX - GAP_PX
        frame = figure.add_axes(box(left, top, width, height), facecolor=PANEL, xticks=[], yticks=[])
        for spine in frame.spines.values():
            spine.set_color(BORDER)
        frame.text(
            10 / width,
            1 - 16 / height,
            panel["title"],
            transform=frame.transAxes,
            color=TEXT,
            fontsize=10.5,
            fontweight="bold",
        )
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        queries = series[panel["id"]]
        lines = [line for query in queries for line in query]
        if panel["type"] in ("stat", "gauge") and lines:
            last = next((value for value in reversed(lines[0][2]) if not math.isnan(value)), math.nan)
            frame.text(
                0.5,
                0.45,
                formatted(last, unit),
                transform=frame.transAxes,
                ha="center",
                va="center",
                color=PALETTE[0],
                fontsize=40,
                fontweight="bold",
            )
        elif not lines:
            frame.text(0.5, 0.5, "No data", transform=frame.transAxes, ha="center", color=DIM_TEXT, fontsize=12)
        else:
            legend_px = min(0.4 * width, 330)
            chart = figure.add_axes(
                box(left + 62, top + 30, width - 62 - legend_px - 14, height - 30 - 26), facecolor=PANEL
            )
            draw_timeseries(chart, queries, unit, window)
    figure.savefig(out, facecolor=BACKGROUND)


def draw_timeseries(chart, queries, unit, window):
    for query, lines in enumerate(queries):
        for index, (name, times, values) in enumerate(lines):
            chart.plot(
                times,
                values,
                color=PALETTE[index % len(PALETTE)],
                linewidth=1.3,
                label=name,
                linestyle=QUERY_LINE_STYLES[query % len(QUERY_LINE_STYLES)],
            )
    chart.set_xlim(*[datetime.fromtimestamp(t, UTC) for t in window])
    finite = [value for lines in queries for _, _, values in lines for value in values if not math.isnan(value)]
    peak, lowest = max(finite, default=0), min(finite, default=0)
    chart.set_ylim(min(0, lowest * 1.1), peak * 1.15 if peak > 0 else 1)
    chart.xaxis.set_major_locator(dates.AutoDateLocator(tz=UTC, minticks=4, maxticks=7))
    chart.xaxis.set_major_formatter(dates.DateFormatter("%H:%M:%S", tz=UTC))
    chart.yaxis.set_major_locator(MaxNLocator(5))
    chart.yaxis.set_major_formatter(FuncFormatter(lambda value, _: formatted(value, unit)))
    chart.tick_params(colors=DIM_TEXT, labelsize=8, length=0)
    chart.grid(color=GRID, linewidth=0.8)
    for spine in chart.spines.values():
        spine.set_visible(False)
    chart.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.05),
        frameon=False,
        fontsize=7.5,
        labelcolor=TEXT,
        handlelength=2,
        labelspacing=0.3,
        borderaxespad=0,
    )
