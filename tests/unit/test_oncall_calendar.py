"""The calendar feed's shifts keep their UIDs whatever instant the feed's window is cut at (domain.oncall_calendar)."""

from datetime import UTC, date, datetime, time, timedelta

from domain.oncall import Layer, Override, Schedule, shifts
from domain.oncall_calendar import calendar_shifts

WEEKLY = Layer(name="weekly", people=["ana", "bo", "cy"], shift="1w", handoff=time(9), start=date(2026, 1, 5))


def schedule(*layers: Layer, overrides: list[Override] | None = None) -> Schedule:
    return Schedule(name="checkout-oncall", time_zone="Europe/Stockholm", layers=list(layers) or [WEEKLY],
                    overrides=overrides or [])  # fmt: skip


def feed(s: Schedule, now: datetime) -> dict[str, tuple[datetime, datetime]]:
    return {
        c.uid: (c.shift.start, c.shift.end)
        for c in calendar_shifts(s, now - timedelta(days=7), now + timedelta(days=120))
    }


def test_the_same_shift_has_the_same_uid_and_start_in_feeds_cut_a_second_and_a_day_apart() -> None:
    s = schedule()
    now = datetime(2026, 3, 11, 14, 3, 27, tzinfo=UTC)
    first, later, next_day = feed(s, now), feed(s, now + timedelta(seconds=1)), feed(s, now + timedelta(days=1))
    assert first.keys() == later.keys() and first.keys() <= next_day.keys() and len(first) == 19
    for uid in first:
        assert first[uid][0] == later[uid][0] == next_day[uid][0], uid


def test_the_first_event_is_the_whole_shift_under_way_a_week_back_from_its_own_start() -> None:
    now = datetime(2026, 3, 11, 14, 3, 27, tzinfo=UTC)
    [first, *_] = calendar_shifts(schedule(), now - timedelta(days=7), now + timedelta(days=120))
    assert first.shift.start == datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 09:00 in Stockholm
    assert first.shift.person == "cy" and first.uid == "checkout-oncall/weekly/cy/20260302T080000Z@incident-pipeline"


def test_one_person_covering_for_months_is_one_event_from_the_layers_first_hand_off() -> None:
    alone = Layer(name="solo", people=["ana"], shift="12h", handoff=time(9), start=date(2025, 6, 2))
    now = datetime(2026, 3, 11, 14, 3, 27, tzinfo=UTC)
    [only] = calendar_shifts(schedule(alone), now - timedelta(days=7), now + timedelta(days=120))
    assert only.shift.start == datetime(2025, 6, 2, 7, tzinfo=UTC) and only.shift.end == now + timedelta(days=120)
    assert feed(schedule(alone), now + timedelta(hours=5)).keys() == {only.uid}


def test_an_override_that_ended_before_the_window_still_fixes_where_the_next_shift_begins() -> None:
    alone = Layer(name="solo", people=["ana"], shift="1d", handoff=time(9), start=date(2025, 6, 2))
    cover = Override(person="bo", start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 3, tzinfo=UTC))
    now = datetime(2026, 3, 11, tzinfo=UTC)
    [first] = calendar_shifts(schedule(alone, overrides=[cover]), now - timedelta(days=7), now + timedelta(days=30))
    assert first.shift.start == cover.end and first.shift.person == "ana"


def test_the_hole_before_a_schedule_begins_is_named_by_its_end_and_shown_from_the_window() -> None:
    later = Layer(name="weekly", people=["ana"], shift="1w", handoff=time(9), start=date(2026, 3, 16))
    now = datetime(2026, 3, 11, 14, tzinfo=UTC)
    for moment in (now, now + timedelta(hours=3)):
        hole, ana = calendar_shifts(schedule(later), moment - timedelta(days=7), moment + timedelta(days=30))
        assert hole.shift.person is None and hole.shift.start == moment - timedelta(days=7)
        assert hole.uid == "checkout-oncall/hole/nobody/until-20260316T080000Z@incident-pipeline"
        assert ana.shift.start == hole.shift.end


def test_the_events_cover_the_window_as_the_schedule_does_without_gap_or_overlap() -> None:
    nights = Layer(name="nights", people=["di", "ed"], shift="1d", handoff=time(18), start=date(2026, 1, 5),
                   hours="18:00-09:00")  # fmt: skip
    s = schedule(WEEKLY, nights)
    start, end = datetime(2026, 3, 20, 10, 30, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    events = [c.shift for c in calendar_shifts(s, start, end)]
    assert events[0].start <= start and events[-1].end == end
    assert all(a.end == b.start for a, b in zip(events, events[1:]))
    assert events[1:] == shifts(s, start, end)[1:]  # across the DST change of 29 March too
