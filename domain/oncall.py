"""Who is on call: people, schedules of layered rotations, and overrides. Pure; time is a parameter.

A schedule belongs to a support group (its name is the group's). Each layer is a rotation of
people with a shift length (`12h`, `1d`, `1w`) that hands off at a wall-clock time in the
schedule's named time zone, from a start date: hand-offs stay at the same local time across
daylight-saving changes, because each one is a local date and time converted with zoneinfo, never a
fixed offset added to the last. A layer may be restricted to days of the week and hours of the day
(a weekend layer, an after-hours layer). Higher layers win where they have someone; overrides win
over every layer. At any instant a schedule has exactly one person on call, or a hole (nobody),
which `shifts()` reports as such.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from domain.durations import format_duration, parse_duration
from domain.roles import Role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Person(BaseModel):
    """Someone who can be paged, and how. Contact details stay out of workflow history (paging
    activities read them): the workflow keeps names only."""

    name: str = Field(min_length=1, max_length=100)
    full_name: str = ""
    time_zone: str = "UTC"
    email: str = ""
    slack_webhook: str = ""  # a Slack-compatible incoming webhook that reaches this person
    webhook: str = ""  # a generic JSON webhook (a pager gateway, a phone bridge)
    roles: list[Role] = []  # what they may do through the API (domain.roles); none written: responder

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.slack_webhook or self.webhook)


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (KeyError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name, e.g. Europe/Stockholm)") from None
    return value


class Layer(BaseModel):
    name: str
    people: list[str] = Field(min_length=1)
    shift: timedelta
    handoff: time = time(9, 0)  # local wall-clock time of each hand-off
    start: date  # the first person's first shift begins at `handoff` on this date
    end: date | None = None  # the layer stops at `handoff` on this date
    days: list[str] = []  # only these local weekdays (mon..sun); empty: every day
    hours: tuple[time, time] | None = None  # only between these local times (may wrap midnight)

    @field_validator("shift", mode="before")
    @classmethod
    def _human_shift(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) and not value.startswith("P") else value

    @field_validator("shift")
    @classmethod
    def _long_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):  # refused at the field: `layers[0].shift`
            raise ValueError(f"a shift of {format_duration(value)} is too short (at least 1h)")
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _hour_range(cls, value: object) -> object:
        if isinstance(value, str):
            first, sep, last = value.partition("-")
            if not sep:
                raise ValueError(f"hours must look like 18:00-09:00 (got {value!r})")
            return time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
        return value

    @model_validator(mode="after")
    def _sensible(self) -> "Layer":
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"layer {self.name}: end {self.end} is not after start {self.start}")
        unknown = [d for d in self.days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"layer {self.name}: unknown day(s) {', '.join(unknown)} (use {', '.join(WEEKDAYS)})")
        if self.hours is not None and self.hours[0] == self.hours[1]:
            raise ValueError(f"layer {self.name}: hours {self.hours[0]}-{self.hours[1]} is an empty window")
        return self


class Override(BaseModel):
    """`person` covers the schedule from `start` to `end`, whoever the layers say."""

    person: str
    start: AwareDatetime
    end: AwareDatetime
    reason: str = ""
    id: str = ""  # as stored (incidentctl oncall override), to remove it again

    @model_validator(mode="after")
    def _forward(self) -> "Override":
        if self.end <= self.start:
            raise ValueError(
                f"override for {self.person} ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )
        return self


class Schedule(BaseModel):
    name: str  # the support group it covers
    time_zone: str
    layers: list[Layer] = Field(min_length=1)  # lowest first: a later layer wins where it has someone
    overrides: list[Override] = []

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def people(self) -> list[str]:
        return list(dict.fromkeys(p for layer in self.layers for p in layer.people))

    def with_overrides(self, extra: list[Override]) -> "Schedule":
        return self.model_copy(update={"overrides": [*self.overrides, *extra]})


@dataclass(frozen=True)
class OnCall:
    person: str | None  # None: a hole in the schedule
    source: str  # the layer's name, "override", or "hole"


@dataclass(frozen=True)
class Shift:
    person: str | None
    start: datetime
    end: datetime
    source: str


def _local(schedule: Schedule, day: date, at: time) -> datetime:
    """A local wall-clock time as an instant (a time that does not exist in a spring-forward gap
    maps by zoneinfo's rule, fold 0: the same each time, so hand-offs stay ordered)."""
    return datetime.combine(day, at, tzinfo=schedule.zone)


def _handoff(schedule: Schedule, layer: Layer, k: int) -> datetime:
    """The k-th hand-off of a layer: local start + k shifts of wall-clock time, then to an instant."""
    naive = datetime.combine(layer.start, layer.handoff) + k * layer.shift
    return naive.replace(tzinfo=schedule.zone)


def _shift_index(schedule: Schedule, layer: Layer, at: datetime) -> int:
    # In UTC: two datetimes of the same ZoneInfo compare by wall clock, and a hand-off in a
    # spring-forward gap (02:30 on the night clocks jump to 03:00) would then sort after 03:29.
    at = at.astimezone(UTC)
    local = at.astimezone(schedule.zone).replace(tzinfo=None)
    k = int((local - datetime.combine(layer.start, layer.handoff)) // layer.shift)
    while _handoff(schedule, layer, k) > at:  # near a DST change the wall-clock estimate is off by one
        k -= 1
    while _handoff(schedule, layer, k + 1) <= at:
        k += 1
    return k


def _in_window(schedule: Schedule, layer: Layer, at: datetime) -> bool:
    """Inside the layer's days and hours. An overnight window (18:00-09:00) belongs to the day it began."""
    local = at.astimezone(schedule.zone)
    clock, day = local.time().replace(tzinfo=None), local.date()
    inside = True
    if layer.hours is not None:
        first, last = layer.hours
        if first < last:
            inside = first <= clock < last
        else:
            inside = clock >= first or clock < last
            day = day if clock >= first else day - timedelta(days=1)
    return inside and (not layer.days or WEEKDAYS[day.weekday()] in layer.days)


def layer_on_call(schedule: Schedule, layer: Layer, at: datetime) -> str | None:
    at = at.astimezone(UTC)  # compared with local hand-offs: by instant, never by wall clock
    if at < _handoff(schedule, layer, 0):
        return None
    if layer.end is not None and at >= _local(schedule, layer.end, layer.handoff):
        return None
    if not _in_window(schedule, layer, at):
        return None
    return layer.people[_shift_index(schedule, layer, at) % len(layer.people)]


def on_call(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at `at`: an override, else the highest layer that has someone, else a hole."""
    at = at.astimezone(UTC)
    for override in reversed(schedule.overrides):  # a later override wins over an earlier one
        if override.start <= at < override.end:
            return OnCall(override.person, "override")
    for layer in reversed(schedule.layers):
        person = layer_on_call(schedule, layer, at)
        if person is not None:
            return OnCall(person, layer.name)
    return OnCall(None, "hole")


def _windows(schedule: Schedule, layer: Layer, start: datetime, end: datetime) -> list[tuple[float, float]] | None:
    """The layer's days/hours as instants (POSIX seconds) over [start, end); None: no restriction."""
    if not layer.days and layer.hours is None:
        return None
    out: list[tuple[float, float]] = []
    day = start.astimezone(schedule.zone).date() - timedelta(days=1)
    last = end.astimezone(schedule.zone).date() + timedelta(days=1)
    first, until = layer.hours or (time(0), time(0))
    while day <= last:
        if not layer.days or WEEKDAYS[day.weekday()] in layer.days:
            closes = day + timedelta(days=1) if until <= first else day
            out.append((_local(schedule, day, first).timestamp(), _local(schedule, closes, until).timestamp()))
        day += timedelta(days=1)
    return out


def _segments(schedule: Schedule, layer: Layer, start: datetime, end: datetime) -> list[tuple[float, float, str]]:
    """(from, to, person) where the layer has someone, in order, over [start, end): its rotation's
    shifts cut to its days/hours and its start and end."""
    begin = max(start, _handoff(schedule, layer, 0))
    stop = min(end, _local(schedule, layer.end, layer.handoff)) if layer.end else end
    if begin >= stop:
        return []
    shifts_: list[tuple[float, float, str]] = []
    k = _shift_index(schedule, layer, begin)
    moment, lo, hi = _handoff(schedule, layer, k).timestamp(), begin.timestamp(), stop.timestamp()
    while moment < hi:
        following = _handoff(schedule, layer, k + 1).timestamp()
        shifts_.append((max(moment, lo), min(following, hi), layer.people[k % len(layer.people)]))
        k, moment = k + 1, following
    windows = _windows(schedule, layer, start, end)
    if windows is None:
        return [s for s in shifts_ if s[1] > s[0]]
    out, w = [], 0
    for a, b, person in shifts_:  # both lists are ordered: intersect them in one pass
        while w < len(windows) and windows[w][1] <= a:
            w += 1
        j = w
        while j < len(windows) and windows[j][0] < b:
            lo, hi = max(a, windows[j][0]), min(b, windows[j][1])
            if hi > lo:
                out.append((lo, hi, person))
            j += 1
    return out


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """[start, end) cut into shifts, one person (or a hole) each, no gap, no overlap, merged where
    the same person goes on from the same source. One sweep over every layer's segments and the
    overrides, in POSIX seconds (a year of a busy schedule takes milliseconds, make bench B7)."""
    t0, t1 = start.timestamp(), end.timestamp()
    layers = [(layer.name, _segments(schedule, layer, start, end)) for layer in schedule.layers]
    overrides = [(o.start.timestamp(), o.end.timestamp(), o.person) for o in schedule.overrides]
    by_start = sorted(range(len(overrides)), key=lambda i: overrides[i][0])
    next_override, active = 0, set[int]()
    edges = sorted(
        {t0, *(x for _, segs in layers for seg in segs for x in seg[:2]), *(x for o in overrides for x in o[:2])}
    )
    edges = [e for e in edges if t0 <= e < t1] + [t1]
    cursor = [0] * len(layers)
    out: list[tuple[float, float, str | None, str]] = []
    for a, b in zip(edges, edges[1:]):
        who: tuple[str | None, str] = (None, "hole")
        while next_override < len(by_start) and overrides[by_start[next_override]][0] <= a:
            active.add(by_start[next_override])
            next_override += 1
        active = {i for i in active if overrides[i][1] > a}
        if active:
            who = (overrides[max(active)][2], "override")  # a later override wins
        else:
            for index in range(len(layers) - 1, -1, -1):  # a higher layer wins
                name, segs = layers[index]
                while cursor[index] < len(segs) and segs[cursor[index]][1] <= a:
                    cursor[index] += 1
                if cursor[index] < len(segs) and segs[cursor[index]][0] <= a:
                    who = (segs[cursor[index]][2], name)
                    break
        if out and out[-1][2:] == who and out[-1][1] == a:
            out[-1] = (out[-1][0], b, *who)
        else:
            out.append((a, b, *who))
    moment = {t0: start, t1: end}
    return [
        Shift(
            person,
            moment.get(a) or datetime.fromtimestamp(a, schedule.zone),
            moment.get(b) or datetime.fromtimestamp(b, schedule.zone),
            source,
        )
        for a, b, person, source in out
    ]


def holes(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    return [s for s in shifts(schedule, start, end) if s.person is None]


def next_change(schedule: Schedule, at: datetime, horizon: timedelta = timedelta(days=31)) -> datetime | None:
    """When the person on call next changes after `at` (within `horizon`)."""
    cut = shifts(schedule, at, at + horizon)
    return cut[1].start if len(cut) > 1 else None
