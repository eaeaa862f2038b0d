"""The status page's day bars from the figures the record keeps per service and day (migration 012's
`status_days`: the worst status and the outage spans of the incidents whose outage has ended), with the
incidents still running added as the page is read. Pure: time is a parameter.

The same bars as domain.status.day_bars over every incident of the record, without reading them: the
record's writes keep each day's figures as its incidents change, so a rebuild reads 90 rows a service
and the handful of incidents not restored yet, whatever the size of the record.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.status import (
    ComponentStatus,
    DayBar,
    RecordedIncident,
    affects_service,
    merged_spans,
    on_the_page,
    outage_spans,
)

RANKED = list(ComponentStatus)


@dataclass(frozen=True)
class DayFigure:
    """What the record keeps of a service's day: the worst status of the incidents that ended and touch
    it, and when they had the service in partial or major outage that day (spans within the day)."""

    day: date
    worst: ComponentStatus
    outage: tuple[tuple[datetime, datetime], ...]


def figure(day: date, worst_rank: int, starts: list[datetime], ends: list[datetime]) -> DayFigure:
    return DayFigure(day, RANKED[worst_rank], tuple(zip(starts, ends, strict=True)))


def running(record: RecordedIncident) -> bool:
    """Not restored nor closed: its outage runs to now, so no day's figure holds it yet."""
    return record.restored_at is None and record.closed_at is None


def day_bars_from_figures(
    service: str, figures: dict[date, DayFigure], records: list[RecordedIncident], now: datetime, days: int = 90
) -> list[DayBar]:
    """domain.status.day_bars of the service, from its days' figures and the incidents still running
    (any others in `records` are already in the figures and are left out here)."""
    today = now.date()
    first = today - timedelta(days=days - 1)
    worst = {}
    for n in range(days):
        day = first + timedelta(days=n)
        worst[day] = figures[day].worst if day in figures else ComponentStatus.OPERATIONAL
    still = [r for r in records if r.service == service and running(r) and on_the_page(r)]
    for record in still:
        status = affects_service(record.priority, record.impact)
        day = max(record.logged_at.astimezone(now.tzinfo).date(), first)
        while day <= today:
            worst[day] = max(worst[day], status, key=lambda s: s.rank)
            day += timedelta(days=1)
    spans = outage_spans(service, still, now)
    bars = []
    for day in sorted(worst):
        begins = datetime.combine(day, time(), tzinfo=now.tzinfo)
        ends = min(begins + timedelta(days=1), now)
        kept = list(figures[day].outage) if day in figures else []
        pieces = merged_spans(
            [(max(s, begins), min(e, ends)) for s, e in [*kept, *spans] if min(e, ends) > max(s, begins)]
        )
        down = sum((e - s).total_seconds() for s, e in pieces)
        bars.append(DayBar(day, worst[day], down, max((ends - begins).total_seconds(), 0.0)))
    return bars
