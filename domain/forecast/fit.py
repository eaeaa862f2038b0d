"""A scenario fitted from the record: arrival rates per service and priority over the period, and the
empirical distributions of how long each step took, per service; the hour-of-day profile. Pure: the
rows come from Postgres (starter/forecast/history.py) or from a test."""

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from domain.forecast.scenario import Distribution, Scenario, ScenarioError, ServiceLoad

NOT_INCIDENTS = ("known_error", "cancelled", "duplicate")


def fit(rows: list[dict[str, Any]], since: datetime, until: datetime, **settings: Any) -> Scenario:
    """rows: service, priority, outcome, logged_at, acknowledged_at, restored_at, resolved_at, paused_seconds."""
    period_days = (until - since).total_seconds() / 86400
    kept = [r for r in rows if r["priority"] and r["outcome"] not in NOT_INCIDENTS and since <= r["logged_at"] < until]
    if not kept:
        raise ScenarioError(f"no incidents were logged between {since:%Y-%m-%d} and {until:%Y-%m-%d}: nothing to fit"
                            " (give --scenario FILE, or a longer --from-history)")  # fmt: skip
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    steps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    hours = [0.0] * 24
    for row in kept:
        service = row["service"]
        counts[service][row["priority"]] += 1
        hours[row["logged_at"].hour] += 1
        logged, ack, restored, resolved = (row["logged_at"], row["acknowledged_at"], row["restored_at"],
                                           row["resolved_at"])  # fmt: skip
        if ack is not None:
            steps[service]["acknowledge"].append(max(0.0, (ack - logged).total_seconds()))
            if restored is not None:
                held = float(row.get("paused_seconds") or 0.0)
                steps[service]["restore"].append(max(0.0, (restored - ack).total_seconds() - held))
                steps[service]["hold"].append(held)
        if restored is not None and resolved is not None:
            steps[service]["resolve"].append(max(0.0, (resolved - restored).total_seconds()))
    services = {}
    for service, by_priority in counts.items():
        missing = [step for step in ("acknowledge", "restore") if not steps[service][step]]
        if missing:
            raise ScenarioError(f"{service}: no incident in the period has a {' and '.join(missing)} time to learn"
                                " from; give --scenario FILE with distributions for it")  # fmt: skip
        dists = {step: Distribution(kind="empirical", values=values) for step, values in steps[service].items()}
        services[service] = ServiceLoad(
            arrivals={p: n / period_days * 30 for p, n in by_priority.items()},
            acknowledge=dists["acknowledge"], restore=dists["restore"],
            resolve=dists.get("resolve", Distribution(kind="fixed", value=0)),
            hold=dists.get("hold", Distribution(kind="fixed", value=0)),
        )  # fmt: skip
    return Scenario(services=services, hourly=hours, **settings)
