"""A scenario fitted from the record: arrival rates per service and priority over the period, and the
empirical distributions of how long each step took, per service; the hour-of-day profile. Pure: the
rows come from Postgres (incidentctl forecast --from-history) or from a test.

The record says when an incident was logged, acknowledged and restored, not when an engineer picked
it up: logged to acknowledged includes the wait for a free engineer, which the simulation adds again.
So the pickups are reconstructed first (`pickups`): the same queue as the engine's (the group's staff,
highest priority first, then first come), with each engineer free again at the restore the record
shows; the acknowledge time learnt is from pickup to acknowledgement.
"""

import heapq
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from domain.forecast.scenario import Distribution, Scenario, ScenarioError, ServiceLoad

NOT_INCIDENTS = ("known_error", "cancelled", "duplicate")


PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4}


def _start(rows: list[dict[str, Any]], taken: list[datetime | None], busy: list[tuple[datetime, int]], i: int,
           at: datetime) -> None:  # fmt: skip
    """Row i taken at `at`: its engineer is busy until the restore the record shows."""
    taken[i] = at
    ends = rows[i]["restored_at"] or rows[i]["acknowledged_at"] or at
    heapq.heappush(busy, (max(ends, at), i))


def pickups(rows: list[dict[str, Any]], group_of: dict[tuple[str, str], str], staff: dict[str, int]) -> list[datetime]:
    """When an engineer took each row (in the order given), under the engine's discipline."""
    taken: list[datetime | None] = [None] * len(rows)
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_group[group_of.get((row["service"], row["priority"]), row["service"])].append(i)
    for group, members in by_group.items():
        members.sort(key=lambda i: rows[i]["logged_at"])
        free = staff.get(group, 1)
        busy: list[tuple[datetime, int]] = []  # (free again at, row)
        waiting: list[tuple[int, datetime, int]] = []

        for i in members:
            arrived = rows[i]["logged_at"]
            while busy and busy[0][0] <= arrived:
                at, _ = heapq.heappop(busy)
                if waiting:
                    _start(rows, taken, busy, heapq.heappop(waiting)[2], at)
                else:
                    free += 1
            if free > 0:
                free -= 1
                _start(rows, taken, busy, i, arrived)
            else:
                heapq.heappush(waiting, (PRIORITY_RANK.get(rows[i]["priority"], 9), arrived, i))
        while waiting:
            at, _ = heapq.heappop(busy)
            _start(rows, taken, busy, heapq.heappop(waiting)[2], at)
    return [t or rows[i]["logged_at"] for i, t in enumerate(taken)]


def fit(rows: list[dict[str, Any]], since: datetime, until: datetime,
        group_of: dict[tuple[str, str], str] | None = None, **settings: Any) -> Scenario:  # fmt: skip
    """rows: service, priority, outcome, logged_at, acknowledged_at, restored_at, resolved_at, paused_seconds.
    `group_of`: (service, priority) -> the group that takes it (forecast.classes); staff from settings."""
    period_days = (until - since).total_seconds() / 86400
    kept = [r for r in rows if r["priority"] and r["outcome"] not in NOT_INCIDENTS and since <= r["logged_at"] < until]
    if not kept:
        raise ScenarioError(f"no incidents were logged between {since:%Y-%m-%d} and {until:%Y-%m-%d}: nothing to fit"
                            " (give --scenario FILE, or a longer --from-history)")  # fmt: skip
    taken = pickups(kept, group_of or {}, settings.get("staff", {}))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    steps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    hours = [0.0] * 24
    for row, picked in zip(kept, taken, strict=True):
        service = row["service"]
        counts[service][row["priority"]] += 1
        hours[row["logged_at"].hour] += 1
        logged, ack, restored, resolved = (row["logged_at"], row["acknowledged_at"], row["restored_at"],
                                           row["resolved_at"])  # fmt: skip
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
        dists = {step: Distribution(kind="empirical", values=values, bootstrap=True)
                 for step, values in steps[service].items()}  # fmt: skip
        services[service] = ServiceLoad(
            arrivals={p: n / period_days * 30 for p, n in by_priority.items()}, observed=dict(by_priority),
            acknowledge=dists["acknowledge"], restore=dists["restore"],
            resolve=dists.get("resolve", Distribution(kind="fixed", value=0)),
            hold=dists.get("hold", Distribution(kind="fixed", value=0)),
        )  # fmt: skip
    # shrunk toward a flat day by the mean count per hour: a few incidents must not make a peak that
    # the thinning would turn into bursts (and queueing) the record never had
    prior = sum(hours) / 24
    if not services:
        raise ScenarioError("; ".join(f"{service}: {why}" for service, why in sorted(left_out.items()))
                            + "; give --scenario FILE with distributions for them")  # fmt: skip
    return Scenario(services=services, hourly=[h + prior for h in hours], left_out=left_out, **settings)
