"""A scenario fitted from the record: arrival rates per service and priority over the period, and the
empirical distributions of how long each step took, per service; the hour-of-day profile. Pure: the
rows come from Postgres (incidentctl forecast --from-history) or from a test.

The record says when an incident was logged, acknowledged and restored, not when an engineer picked
it up: logged to acknowledged includes the wait for a free engineer, which the simulation adds again.
So the pickups are reconstructed first (`pickups`): the engine's own queue (queue.py: the group's
staff, highest priority first, then first come, a waiting incident moved to the next support line at
each response target), with each engineer free again at the restore the record shows; the
acknowledge time learnt is from pickup to acknowledgement. The category mix of each service is the
record's: its incidents load the groups their categories name.
"""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from domain.forecast.queue import Route, serve
from domain.forecast.scenario import Distribution, Scenario, ScenarioError, ServiceLoad

NOT_INCIDENTS = ("known_error", "cancelled", "duplicate")
PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4}
Routes = dict[tuple[str, str, str | None], Route]  # (service, priority, category) -> its route


def pickups(rows: list[dict[str, Any]], routes: Routes, staff: dict[str, int]) -> list[datetime]:
    """When an engineer took each row (in the order given), under the engine's discipline. A row
    whose (service, priority, category) has no route waits for its service's own queue."""
    taken: list[datetime | None] = [None] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: rows[i]["logged_at"])
    if not order:
        return []
    since = rows[order[0]]["logged_at"]

    def route(row: dict[str, Any]) -> Route:
        found = routes.get((row["service"], row["priority"], row.get("category")))
        return found or Route((row["service"],), float("inf"), PRIORITY_RANK.get(row["priority"], 9))

    def take(i: int, arrived: float, at: float, group: str) -> float:
        taken[i] = since + timedelta(seconds=at)
        ends = rows[i]["restored_at"] or rows[i]["acknowledged_at"] or taken[i]
        return max((ends - since).total_seconds(), at)  # its engineer is busy until the restore the record shows

    serve((((rows[i]["logged_at"] - since).total_seconds(), i, route(rows[i])) for i in order), staff, take)
    return [t or rows[i]["logged_at"] for i, t in enumerate(taken)]


def fit(
    rows: list[dict[str, Any]], since: datetime, until: datetime, routes: Routes | None = None, **settings: Any
) -> Scenario:
    """rows: service, priority, category, outcome, logged_at, acknowledged_at, restored_at, resolved_at,
    paused_seconds. `routes`: who takes each (forecast.classes' routes); staff from settings."""
    period_days = (until - since).total_seconds() / 86400
    kept = [r for r in rows if r["priority"] and r["outcome"] not in NOT_INCIDENTS and since <= r["logged_at"] < until]
    if not kept:
        raise ScenarioError(
            f"no incidents were logged between {since:%Y-%m-%d} and {until:%Y-%m-%d}: nothing to fit"
            " (give --scenario FILE, or a longer --from-history)"
        )
    taken = pickups(kept, routes or {}, settings.get("staff", {}))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    steps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    hours = [0.0] * 24
    for row, picked in zip(kept, taken, strict=True):
        service = row["service"]
        counts[service][row["priority"]] += 1
        if row.get("category"):  # none: filed before it was categorized; the mix is of those that were
            categories[service][row["category"]] += 1
        hours[row["logged_at"].hour] += 1
        logged, ack, restored, resolved = (
            row["logged_at"],
            row["acknowledged_at"],
            row["restored_at"],
            row["resolved_at"],
        )
        if ack is not None:
            steps[service]["acknowledge"].append(max(0.0, (ack - max(picked, logged)).total_seconds()))
            if restored is not None:
                held = float(row.get("paused_seconds") or 0.0)
                steps[service]["restore"].append(max(0.0, (restored - ack).total_seconds() - held))
                steps[service]["hold"].append(held)
        if restored is not None and resolved is not None:
            steps[service]["resolve"].append(max(0.0, (resolved - restored).total_seconds()))
    services, left_out = {}, {}
    for service, by_priority in counts.items():
        missing = [step for step in ("acknowledge", "restore") if not steps[service][step]]
        if missing:  # its incidents are all still open, say: the others can still be forecast
            left_out[service] = f"no incident in the period has a {' and '.join(missing)} time to learn from"
            continue
        dists = {
            step: Distribution(kind="empirical", values=values, bootstrap=True)
            for step, values in steps[service].items()
        }
        services[service] = ServiceLoad(
            arrivals={p: n / period_days * 30 for p, n in by_priority.items()},
            observed=dict(by_priority),
            categories={name: float(n) for name, n in categories[service].items()},
            acknowledge=dists["acknowledge"],
            restore=dists["restore"],
            resolve=dists.get("resolve", Distribution(kind="fixed", value=0)),
            hold=dists.get("hold", Distribution(kind="fixed", value=0)),
        )
    # shrunk toward a flat day by the mean count per hour: a few incidents must not make a peak that
    # the thinning would turn into bursts (and queueing) the record never had
    prior = sum(hours) / 24
    if not services:
        raise ScenarioError(
            "; ".join(f"{service}: {why}" for service, why in sorted(left_out.items()))
            + "; give --scenario FILE with distributions for them"
        )
    return Scenario(services=services, hourly=[h + prior for h in hours], left_out=left_out, **settings)
