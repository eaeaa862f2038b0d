"""The shifts an on-call calendar feed shows, each named so that it keeps its name. Pure; time is a parameter.

A calendar client keys the events of a feed it subscribes to by UID: a shift that came back under
a new UID on the next fetch would be shown twice. So a shift is named by what it is (the schedule,
where it comes from, who covers it, and when it really began), never by where the feed's window
was cut: the shift under way at the window's start is followed back to its own start, and shown
from there.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.oncall import Schedule, Shift, shifts

FIRST_LOOK_BACK = timedelta(days=7)  # doubled until the first shift's own start is found


@dataclass(frozen=True)
class CalendarShift:
    shift: Shift
    uid: str


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _origin(schedule: Schedule, end: datetime) -> datetime:
    """Before this instant the schedule has nobody, and never had: its first hand-off or override."""
    firsts = [datetime.combine(layer.start, layer.handoff, tzinfo=schedule.zone) for layer in schedule.layers]
    return min([*firsts, *(o.start for o in schedule.overrides), end], key=lambda moment: moment.timestamp())


def _from_first(schedule: Schedule, start: datetime, end: datetime) -> tuple[list[Shift], bool]:
    """The shifts up to `end` from the one under way at `start`, that one from its own start; and
    whether that start is known (False: a hole since before the schedule began, which has none)."""
    origin, back = _origin(schedule, end), FIRST_LOOK_BACK
    while True:
        probe = start - back
        cut = shifts(schedule, probe, end)
        at = next(i for i, s in enumerate(cut) if s.end > start)
        if cut[at].start > probe or probe <= origin:
            return cut[at:], cut[at].start > probe
        back *= 2


def calendar_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[CalendarShift]:
    """The shifts that touch [start, end), the first one whole, each with a UID of its own."""
    cut, known = _from_first(schedule, start, end)
    first = cut[0] if known else Shift(cut[0].person, start, cut[0].end, cut[0].source)  # only its end is its own
    out = []
    for index, shift in enumerate([first, *cut[1:]]):
        anchor = _stamp(shift.start) if index or known else f"until-{_stamp(shift.end)}"
        uid = f"{schedule.name}/{shift.source}/{shift.person or 'nobody'}/{anchor}@incident-pipeline"
        out.append(CalendarShift(shift, uid))
    return out
