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
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from domain.durations import parse_duration

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
        if self.shift < timedelta(hours=1):
            raise ValueError(f"layer {self.name}: a shift of {self.shift} is too short (at least 1h)")
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
            raise ValueError(f"override for {self.person} ends ({self.end.isoformat()}) before it starts"
                             f" ({self.start.isoformat()})")  # fmt: skip
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
    if at < _handoff(schedule, layer, 0):
        return None
    if layer.end is not None and at >= _local(schedule, layer.end, layer.handoff):
        return None
    if not _in_window(schedule, layer, at):
        return None
    return layer.people[_shift_index(schedule, layer, at) % len(layer.people)]


def on_call(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at `at`: an override, else the highest layer that has someone, else a hole."""
    for override in reversed(schedule.overrides):  # a later override wins over an earlier one
        if override.start <= at < override.end:
            return OnCall(override.person, "override")
    for layer in reversed(schedule.layers):
        person = layer_on_call(schedule, layer, at)
        if person is not None:
            return OnCall(person, layer.name)
    return OnCall(None, "hole")


def _boundaries(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end) at which the answer of on_call() may change."""
    edges = {start}
    for layer in schedule.layers:
        k = max(0, _shift_index(schedule, layer, start)) if start >= _handoff(schedule, layer, 0) else 0
        while (moment := _handoff(schedule, layer, k)) < end:
            edges.add(moment)
            k += 1
        if layer.end is not None:
            edges.add(_local(schedule, layer.end, layer.handoff))
        if layer.days or layer.hours:
            day = start.astimezone(schedule.zone).date() - timedelta(days=1)
            while (midnight := _local(schedule, day, time(0))) < end:
                edges.add(midnight)
                if layer.hours:
                    edges.update(_local(schedule, day, t) for t in layer.hours)
                day += timedelta(days=1)
    for override in schedule.overrides:
        edges.update((override.start, override.end))
    return sorted(e for e in edges if start <= e < end)


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """[start, end) cut into shifts, one person (or a hole) each, no gap, no overlap, merged where
    the same person goes on from the same source."""
    edges = _boundaries(schedule, start, end)
    out: list[Shift] = []
    for begin, finish in zip(edges, [*edges[1:], end]):
        if finish <= begin:
            continue
        who = on_call(schedule, begin)
        if out and out[-1].person == who.person and out[-1].source == who.source and out[-1].end == begin:
            out[-1] = Shift(who.person, out[-1].start, finish, who.source)
        else:
            out.append(Shift(who.person, begin, finish, who.source))
    return out


def holes(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    return [s for s in shifts(schedule, start, end) if s.person is None]


def next_change(schedule: Schedule, at: datetime, horizon: timedelta = timedelta(days=31)) -> datetime | None:
    """When the person on call next changes after `at` (within `horizon`)."""
    current = on_call(schedule, at)
    for edge in _boundaries(schedule, at, at + horizon):
        if edge > at and on_call(schedule, edge) != current:
            return edge
    return None

