"""Schedules: exactly one person on call at every instant (or a reported hole), hand-offs at the agreed
local time across daylight-saving changes, higher layers and overrides winning."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.oncall import Layer, Override, Schedule, holes, next_change, on_call, shifts

ZONES = ["Europe/Stockholm", "America/New_York", "Australia/Lord_Howe"]  # Lord Howe moves by 30 minutes
PEOPLE = ["ana", "bo", "cy", "di", "ed", "fa"]


def schedule(zone: str = "Europe/Stockholm", *layers: Layer, overrides: list[Override] | None = None) -> Schedule:
    layers = layers or (Layer(name="weekly", people=["ana", "bo", "cy"], shift="1w", start=date(2026, 1, 5)),)
    return Schedule(name="checkout-oncall", time_zone=zone, layers=list(layers), overrides=overrides or [])


rotations = st.builds(
    lambda people, hours, handoff, start_day: Layer(
        name="rotation", people=people, shift=timedelta(hours=hours), handoff=handoff,
        start=date(2026, 1, 1) + timedelta(days=start_day),
    ),
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True),
    st.sampled_from([8, 12, 24, 48, 168]),
    st.sampled_from([time(0, 0), time(2, 30), time(9, 0), time(18, 0)]),  # 02:30 falls into a DST gap somewhere
    st.integers(min_value=0, max_value=30),
)  # fmt: skip
windows = st.builds(lambda day, length: (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day), timedelta(days=length)),
                    st.integers(min_value=40, max_value=330), st.integers(min_value=3, max_value=20))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.lists(rotations, min_size=1, max_size=3), windows)
def test_shifts_cover_every_instant_once_with_no_gap_and_no_overlap(zone, layers, window):
    s = schedule(zone, *layers)
    start, length = window
    cut = shifts(s, start, start + length)
    assert cut[0].start == start and cut[-1].end == start + length
    for before, after in zip(cut, cut[1:]):
        assert before.end == after.start  # no gap, no overlap
        assert (before.person, before.source) != (after.person, after.source)  # merged where nothing changes
    for piece in cut:
        # as instants: same-zone arithmetic is wall-clock, and a second before a hand-off just after a
        # spring-forward gap (Lord Howe, 02:30) would be a wall time inside the gap, half an hour later
        begins, ends = piece.start.astimezone(UTC), piece.end.astimezone(UTC)
        assert ends > begins
        for probe in (begins, begins + (ends - begins) / 2, ends - timedelta(seconds=1)):
            assert on_call(s, probe).person == piece.person  # what shifts() says is what on_call() says


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), rotations, windows)
def test_every_hand_off_happens_at_the_agreed_local_time_whatever_the_season(zone, layer, window):
    s = schedule(zone, layer)
    start, length = window
    base = datetime.combine(layer.start, layer.handoff)  # the first hand-off, on the wall clock
    for piece in shifts(s, start, start + length)[1:]:
        local = piece.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        k = round((local - base) / layer.shift)
        # the k-th hand-off is a wall-clock time k shifts after the first, as zoneinfo maps it
        # (never the first plus k fixed-length shifts: those would drift by an hour at each change)
        # (compared as instants: datetimes of one ZoneInfo compare by wall clock, and a hand-off in a
        # spring-forward gap, 02:30 that does not exist, is the instant shown as 03:30)
        expected = (base + k * layer.shift).replace(tzinfo=ZoneInfo(zone))
        assert piece.start.timestamp() == expected.timestamp(), (local, layer.handoff)


def test_a_weekly_hand_off_stays_at_9_local_across_the_spring_change_in_stockholm():
    s = schedule()
    march = shifts(s, datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC))
    local = [piece.start.astimezone(s.zone) for piece in march[1:]]
    assert [(t.date(), t.hour, t.utcoffset()) for t in local] == [
        (date(2026, 3, 23), 9, timedelta(hours=1)),
        (date(2026, 3, 30), 9, timedelta(hours=2)),  # after the change: still 09:00, now UTC+2
        (date(2026, 4, 6), 9, timedelta(hours=2)),
    ]


def test_lord_howe_keeps_the_hand_off_local_across_its_30_minute_change():
    s = schedule("Australia/Lord_Howe", Layer(name="daily", people=["ana", "bo"], shift="1d", handoff=time(9),
                                              start=date(2026, 3, 1)))  # fmt: skip
    cut = shifts(s, datetime(2026, 4, 3, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC))  # DST ends 5 April
    offsets = {piece.start.astimezone(s.zone).utcoffset() for piece in cut[1:]}
    assert offsets == {timedelta(hours=11), timedelta(hours=10, minutes=30)}
    assert {piece.start.astimezone(s.zone).time() for piece in cut[1:]} == {time(9)}


def test_a_higher_layer_wins_where_it_has_someone_and_the_lower_one_elsewhere():
    nights = Layer(name="weekend nights", people=["di"], shift="1d", handoff=time(18), start=date(2026, 1, 5),
                   days=["sat", "sun"], hours="18:00-09:00")  # fmt: skip
    s = schedule("Europe/Stockholm", Layer(name="weekly", people=["ana"], shift="1w", start=date(2026, 1, 5)), nights)
    saturday_night = datetime(2026, 1, 10, 22, tzinfo=s.zone)
    sunday_small_hours = datetime(2026, 1, 11, 3, tzinfo=s.zone)  # the window begun on Saturday
    monday_small_hours = datetime(2026, 1, 12, 3, tzinfo=s.zone)  # begun on Sunday: still the night layer
    tuesday_small_hours = datetime(2026, 1, 13, 3, tzinfo=s.zone)  # begun on Monday: not a weekend night
    assert on_call(s, saturday_night).person == "di" and on_call(s, sunday_small_hours).person == "di"
    assert on_call(s, monday_small_hours).person == "di"
    assert on_call(s, tuesday_small_hours).person == "ana" and on_call(s, saturday_night).source == "weekend nights"


def test_an_override_wins_over_every_layer_and_a_later_override_over_an_earlier_one():
    start = datetime(2026, 1, 20, 12, tzinfo=UTC)
    first = Override(person="ed", start=start, end=start + timedelta(hours=6))
    second = Override(person="fa", start=start + timedelta(hours=2), end=start + timedelta(hours=3))
    s = schedule(overrides=[first, second])
    assert on_call(s, start + timedelta(hours=1)).person == "ed"
    assert on_call(s, start + timedelta(hours=2, minutes=30)).person == "fa"
    assert on_call(s, start + timedelta(hours=7)).person in ("ana", "bo", "cy")
    assert next_change(s, start + timedelta(hours=1)) == start + timedelta(hours=2)


def test_a_schedule_with_a_real_hole_reports_it():
    s = schedule("Europe/Stockholm", Layer(name="office hours", people=["ana"], shift="1d", start=date(2026, 1, 5),
                                           hours="09:00-17:00"))  # fmt: skip
    day = datetime(2026, 1, 7, tzinfo=s.zone)
    gaps = holes(s, day, day + timedelta(days=1))
    assert [(g.start.astimezone(s.zone).hour, g.end.astimezone(s.zone).hour) for g in gaps] == [(0, 9), (17, 0)]
    assert on_call(s, day + timedelta(hours=20)).person is None and on_call(s, day).source == "hole"


@pytest.mark.parametrize(("change", "why"), [
    ({"shift": "0m"}, "too short"),
    ({"shift": "30m"}, "too short"),
    ({"end": date(2026, 1, 1)}, "is not after start"),
    ({"days": ["monday"]}, "unknown day"),
])  # fmt: skip
def test_a_layer_that_cannot_work_is_refused_saying_why(change, why):
    fields = {"name": "bad", "people": ["ana"], "shift": "1d", "start": date(2026, 1, 5), **change}
    with pytest.raises(ValidationError, match=why):
        Layer(**fields)


def test_an_unknown_time_zone_and_an_override_that_ends_before_it_starts_are_refused():
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        schedule("Mars/Olympus")
    start = datetime(2026, 1, 20, tzinfo=UTC)
    with pytest.raises(ValidationError, match="ends .* before it starts"):
        Override(person="ana", start=start, end=start - timedelta(hours=1))


def test_a_handoff_in_the_spring_forward_gap_is_read_by_instant_not_by_wall_clock():
    # 02:30 does not exist in New York on 2026-03-08: that hand-off is at 07:30 UTC (03:30 EDT).
    # Found by the property above: asked in the schedule's own zone, 03:29 EDT compared by wall
    # clock as after 02:30 and named the next person a minute early.
    layer = Layer(name="rotation", people=["ana", "bo"], shift=timedelta(hours=8), handoff=time(2, 30),
                  start=date(2026, 1, 1))  # fmt: skip
    s = schedule("America/New_York", layer)
    new_york = ZoneInfo("America/New_York")
    just_before = datetime(2026, 3, 8, 3, 29, 59, tzinfo=new_york)
    assert on_call(s, just_before).person == on_call(s, just_before.astimezone(UTC)).person == "bo"
    assert on_call(s, datetime(2026, 3, 8, 3, 30, tzinfo=new_york)).person == "ana"
