"""Whether a series of a long run keeps growing (``bench/soak.py``): a least-squares line fitted over the series'
second half rises, across that half, by more than the bound of the series' kind (``BOUNDS``: a share of the
series' mean or a floor, whichever is larger); and whether the shop kept taking the orders offered
(``short_minutes``). Plain Python, so that its rules are tested alone."""

import statistics

# Each kind of series may rise across the second half by at most max(share x its mean, floor).
BOUNDS = {
    "latency_ms": (0.25, 100.0),
    "rss_mb": (0.05, 5.0),
    "queue_depth": (0.5, 20.0),
    "outbox_backlog": (0.5, 20.0),
    "pending_orders": (0.5, 20.0),
    "dead_letters": (0.0, 0.5),  # one more dead letter across the half is growth
    "database_connections": (0.1, 3.0),
}
MIN_ACCEPTED_SHARE = 0.95  # of the orders offered in each minute of the second half


def slope(values):
    """The least-squares slope of ``values`` taken one a step apart (0 for fewer than two)."""
    if len(values) < 2:
        return 0.0
    steps = range(len(values))
    mean_step, mean_value = statistics.fmean(steps), statistics.fmean(values)
    spread = sum((step - mean_step) ** 2 for step in steps)
    return sum((step - mean_step) * (value - mean_value) for step, value in zip(steps, values, strict=True)) / spread


def growth(values, kind):
    """Over the second half of ``values``: how much the fitted line rises across it, the bound, and whether it
    grows past the bound."""
    half = [value for value in values[len(values) // 2 :] if value is not None]
    risen = slope(half) * max(len(half) - 1, 0)
    share, floor = BOUNDS[kind]
    bound = max(share * statistics.fmean(half), floor) if half else floor
    return {"risen": risen, "bound": bound, "grows": risen > bound}


def verdicts(minutes):
    """``{series: growth(...)}`` of every series the minutes recorded, named ``kind`` or ``kind:name``."""
    series = {}
    for minute in minutes:
        for kind, value in minute["figures"].items():
            for name, number in value.items() if isinstance(value, dict) else [(None, value)]:
                series.setdefault((kind, name), []).append(number)
    return {kind if name is None else f"{kind}:{name}": growth(values, kind) for (kind, name), values in series.items()}


def short_minutes(minutes):
    """The minutes (numbered from 1) of the second half in which the shop accepted fewer than
    ``MIN_ACCEPTED_SHARE`` of the orders offered: a shop that stops taking orders lets nothing grow, and must fail
    the run all the same."""
    second_half = range(len(minutes) // 2, len(minutes))
    return [
        number + 1
        for number in second_half
        if minutes[number]["accepted"] < MIN_ACCEPTED_SHARE * minutes[number]["offered"]
    ]
