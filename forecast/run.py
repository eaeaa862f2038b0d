"""Run a forecast: the classes from the catalog (what the domain says of each service and priority),
who is on call from oncall.toml, and the replications spread over the machine's cores. Each
replication has its own seed (the forecast's seed and its index), so the result does not depend
on how many processes ran it."""

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from domain.catalog import Catalog
from domain.enums import Priority
from domain.forecast.classes import IncidentClass, incident_class, with_targets
from domain.forecast.engine import OnCallLookup, Replication, simulate
from domain.forecast.fit import Routes
from domain.forecast.report import summarize
from domain.forecast.scenario import Scenario
from domain.oncall import shifts

_WORK: dict[str, Any] = {}  # a worker process's copy of what every replication needs


def classes_for(scenario: Scenario, catalog: Catalog) -> list[IncidentClass]:
    """A class per service, priority and category: each category's share of the service's incidents
    goes to its own group (none given: all to the first category, as an incident whose text names none)."""
    out = []
    for service, load in scenario.services.items():
        entry = catalog.services[service]
        agreement = with_targets(entry.agreement(), scenario.targets)
        mix = {name: weight for name, weight in (load.categories or {entry.categories[0].name: 1.0}).items() if weight}
        total = sum(mix.values())
        out += [
            incident_class(agreement, Priority(p), category, share=weight / total)
            for p, rate in load.arrivals.items()
            if rate > 0
            for category, weight in mix.items()
        ]
    return out


def routes_for(classes: list[IncidentClass], catalog: Catalog) -> Routes:
    """Who takes each (service, priority, category), for fitting pickups; a record's incident with no
    category, or one the catalog no longer has, is taken as the first category's."""
    routes: Routes = {(c.service, str(c.priority), c.category): c.route for c in classes}
    for c in classes:
        if c.category == catalog.services[c.service].categories[0].name:
            routes[(c.service, str(c.priority), None)] = c.route
    return routes


def oncall_lookup(catalog: Catalog, start: datetime, days: int) -> OnCallLookup:
    lookup = OnCallLookup()
    for name, schedule in catalog.oncall.schedules.items():
        cut = shifts(schedule, start, start + timedelta(days=days + 2))
        lookup.starts[name] = [(s.start - start).total_seconds() for s in cut]
        lookup.people[name] = [s.person for s in cut]
        lookup.members[name] = schedule.people()
    return lookup


def _setup(work: dict[str, Any]) -> None:
    _WORK.update(work)


def _one(index: int) -> Replication:
    w = _WORK
    return simulate(
        w["classes"],
        w["loads"],
        w["staff"],
        w["days"],
        seed=w["seed"] * 1_000_003 + index,
        oncall=w["oncall"],
        hourly=w["hourly"] or None,
        start_hour=w["start_hour"],
    )


def run(
    scenario: Scenario,
    catalog: Catalog,
    start: datetime,
    progress: Callable[[int, int], None] | None = None,
    processes: int | None = None,
) -> dict[str, Any]:
    work = {
        "classes": classes_for(scenario, catalog),
        "loads": scenario.services,
        "staff": scenario.staff,
        "days": scenario.days,
        "seed": scenario.seed,
        "oncall": oncall_lookup(catalog, start, scenario.days),
        "hourly": scenario.hourly,
        "start_hour": start.hour + start.minute / 60,
    }
    count = processes or min(os.cpu_count() or 1, 8)
    results: list[Replication] = []
    if count == 1:
        _setup(work)
        for index in range(scenario.replications):
            results.append(_one(index))
            if progress:
                progress(index + 1, scenario.replications)
    else:
        with ProcessPoolExecutor(max_workers=count, initializer=_setup, initargs=(work,)) as pool:
            chunk = max(1, scenario.replications // (count * 8))
            for done, replication in enumerate(pool.map(_one, range(scenario.replications), chunksize=chunk), 1):
                results.append(replication)
                if progress:
                    progress(done, scenario.replications)
    summary = summarize(results, scenario.days)
    summary["events"] = sum(t.incidents for r in results for t in r.tallies.values()) * 2  # arrive + finish
    return summary
