"""Replications -> the forecast: per service and priority, response and restore compliance with a 90%
interval over the replications, expected breaches per month; pages per person per week; busiest hours."""

import statistics
from collections import Counter
from typing import Any

from domain.forecast.engine import Replication

MONTH_DAYS = 30.4375


def interval(values: list[float], share: float = 0.90) -> tuple[float, float]:
    """The central `share` of the replications' values (nearest rank)."""
    ordered = sorted(values)
    low = ordered[int(round((1 - share) / 2 * (len(ordered) - 1)))]
    high = ordered[int(round((1 + share) / 2 * (len(ordered) - 1)))]
    return low, high


def summarize(replications: list[Replication], days: int) -> dict[str, Any]:
    keys = sorted({k for r in replications for k in r.tallies}, key=lambda k: (k[0], k[1]))
    rows = []
    for service, priority in keys:
        tallies = [r.tallies[(service, priority)] for r in replications]
        incidents = [t.incidents for t in tallies]
        if not sum(incidents):
            continue
        response = [t.response_met / t.incidents for t in tallies if t.incidents]
        restore = [t.restore_met / t.incidents for t in tallies if t.incidents]
        breaches = [(t.incidents - t.restore_met) / (days / MONTH_DAYS) for t in tallies]
        rows.append(
            {
                "service": service,
                "priority": priority,
                "incidents_per_month": round(statistics.fmean(incidents) / (days / MONTH_DAYS), 2),
                "response_compliance": round(statistics.fmean(response), 4),
                "response_interval": [round(x, 4) for x in interval(response)],
                "restore_compliance": round(statistics.fmean(restore), 4),
                "restore_interval": [round(x, 4) for x in interval(restore)],
                "breaches_per_month": round(statistics.fmean(breaches), 2),
                "escalations_per_incident": round(sum(t.escalations for t in tallies) / max(1, sum(incidents)), 3),
                "mean_wait_minutes": round(sum(t.wait_seconds for t in tallies) / max(1, sum(incidents)) / 60, 2),
            }
        )
    weeks = days / 7
    pages: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    for r in replications:
        pages.update(r.pages)
        hours.update(r.hours)
    per_person = {person: round(n / len(replications) / weeks, 2) for person, n in pages.most_common()}
    busiest = [{"hour": h, "share": round(n / max(1, sum(hours.values())), 4)} for h, n in hours.most_common(3)]
    return {"rows": rows, "pages_per_person_per_week": per_person, "busiest_hours_utc": busiest}
