"""What the status page says of services and incidents (domain/status.py): the mapping from priority
and impact, the business-facing updates with their default lines, the 90-day bars, and that nothing
but the named fields can reach the page."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain.status import (
    ComponentStatus,
    Maintenance,
    RecordedIncident,
    RecordedStep,
    affects_service,
    day_bars,
    page_indicator,
    public_incident,
    service_status,
    still_listed,
    uptime,
)

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
CS = ComponentStatus


def record(**fields: object) -> RecordedIncident:
    base: dict[str, object] = dict(number="INC-1", service="checkout", state="prioritized", outcome=None,
                                   priority="P1", impact=1, logged_at=T0, acknowledged_at=None, restored_at=None,
                                   resolved_at=None, closed_at=None)  # fmt: skip
    return RecordedIncident(**{**base, **fields})  # type: ignore[arg-type]


def steps(*entries: tuple[timedelta, str, str] | tuple[timedelta, str, str, str]) -> list[RecordedStep]:
    """(time after T0, action, state after it[, public text]) in timeline order, numbered from 1."""
    return [RecordedStep(n, T0 + e[0], e[1], e[2], e[3] if len(e) > 3 else "")  # type: ignore[misc]
            for n, e in enumerate(entries, start=1)]  # fmt: skip


M = timedelta(minutes=1)
# a P1 logged, acknowledged, a public update, restored by a workaround, resolved, confirmed
LIFE = steps((0 * M, "register", "logged"), (0 * M, "categorize", "categorized"), (0 * M, "prioritize", "prioritized"),
             (5 * M, "ack", "in_progress"), (6 * M, "note", "in_progress"),
             (90 * M, "update", "in_progress", "We are restoring card payments"),
             (2 * H, "workaround", "restored"), (5 * H, "resolve", "resolved"), (8 * H, "confirm", "closed"))  # fmt: skip


@pytest.mark.parametrize(
    ("priority", "impact", "expected"),
    [("P1", 1, CS.MAJOR_OUTAGE), ("P2", 1, CS.PARTIAL_OUTAGE), ("P2", 2, CS.PARTIAL_OUTAGE),
     ("P3", 2, CS.DEGRADED_PERFORMANCE), ("P3", 1, CS.PARTIAL_OUTAGE), ("P4", 2, CS.OPERATIONAL),
     ("P5", 3, CS.OPERATIONAL), (None, None, CS.OPERATIONAL)],
)  # fmt: skip
def test_priority_and_impact_say_how_much_of_the_service_is_down(priority, impact, expected) -> None:
    # impact 1 is widespread: at least a partial outage even when it is not urgent
    assert affects_service(priority, impact) is expected


def test_an_unrestored_incident_sets_its_service_and_a_restore_clears_it() -> None:
    down = public_incident(record(), [])
    assert service_status("checkout", [down], [], T0) is CS.MAJOR_OUTAGE
    assert service_status("payroll", [down], [], T0) is CS.OPERATIONAL
    restored = public_incident(record(state="restored", acknowledged_at=T0 + H, restored_at=T0 + 2 * H), [])
    assert service_status("checkout", [restored], [], T0 + 3 * H) is CS.OPERATIONAL
    assert restored.status == "monitoring" and page_indicator([restored]) == "critical"  # unresolved still


def test_the_worst_incident_wins_and_maintenance_shows_when_nothing_is_worse() -> None:
    minor = public_incident(record(number="INC-2", priority="P3", impact=2), [])
    major = public_incident(record(number="INC-3", priority="P2", impact=2), [])
    window = Maintenance(id=1, service="checkout", starts_at=T0 - H, ends_at=T0 + H, summary="upgrade")
    assert service_status("checkout", [minor, major], [window], T0) is CS.PARTIAL_OUTAGE
    assert service_status("checkout", [], [window], T0) is CS.UNDER_MAINTENANCE
    assert service_status("checkout", [], [window], T0 + 2 * H) is CS.OPERATIONAL
    assert (window.status(T0 - 2 * H), window.status(T0), window.status(T0 + H)) == ("scheduled", "in_progress",
                                                                                     "completed")  # fmt: skip


def test_updates_come_newest_first_each_named_by_its_step_with_the_pages_own_line_at_each_change() -> None:
    closed = record(state="closed", outcome="resolved", acknowledged_at=T0 + 5 * M, restored_at=T0 + 2 * H,
                    resolved_at=T0 + 5 * H, closed_at=T0 + 8 * H)  # fmt: skip
    incident = public_incident(closed, LIFE)
    assert [(u.id, u.status, u.body) for u in incident.updates] == [
        ("INC-1-8", "resolved", "This incident has been resolved."),
        ("INC-1-7", "monitoring", "Service restored. We are monitoring."),
        ("INC-1-6", "identified", "We are restoring card payments"),
        ("INC-1-4", "identified", "The problem has been identified and we are working on it."),
        ("INC-1-1", "investigating", "We are investigating a problem with checkout."),
    ]
    # resolved when it was resolved, not when the resolution was confirmed and it closed
    assert (incident.status, incident.resolved_at, incident.impact) == ("resolved", T0 + 5 * H, "critical")


def test_an_update_once_published_keeps_its_id_words_and_time_whatever_happens_after() -> None:
    published: dict[str, tuple[datetime, str, str]] = {}
    for upto in range(1, len(LIFE) + 1):  # the page as a reader that keeps ids sees it after every step
        updates = public_incident(record(), LIFE[:upto]).updates
        assert set(published) <= {u.id for u in updates}, f"an id disappeared after step {upto}"
        for u in updates:
            assert published.setdefault(u.id, (u.at, u.status, u.body)) == (u.at, u.status, u.body), u.id
    assert published["INC-1-6"][2] == "We are restoring card payments" and len(published) == 5


def test_an_acknowledgement_adds_an_update_so_the_newest_says_what_the_incident_is() -> None:
    acked = public_incident(record(state="in_progress", acknowledged_at=T0 + 5 * M), LIFE[:4])
    assert acked.status == "identified" and acked.updates[0].status == "identified"
    assert acked.updates[0].at == T0 + 5 * M
    reopened = [*LIFE[:8], RecordedStep(9, T0 + 6 * H, "reopen", "in_progress")]
    again = public_incident(record(state="in_progress", acknowledged_at=T0 + 5 * M), reopened)
    assert [(u.id, u.status) for u in again.updates[:2]] == [("INC-1-9", "identified"), ("INC-1-8", "resolved")]
    assert again.status == again.updates[0].status == "identified"


def test_a_resolved_incident_stays_listed_for_a_week_after_it_was_resolved_closed_or_not() -> None:
    resolved = record(state="resolved", acknowledged_at=T0, restored_at=T0 + H, resolved_at=T0 + 2 * H)
    incident = public_incident(resolved, LIFE[:8])
    assert (incident.status, incident.resolved_at, incident.unresolved) == ("resolved", T0 + 2 * H, False)
    week = timedelta(days=7)
    assert still_listed(resolved, T0 + 3 * H, week) and not still_listed(resolved, T0 + 2 * H + week, week)
    assert still_listed(record(), T0 + 100 * week, week)
    confirmed = dataclasses.replace(resolved, state="closed", outcome="resolved", closed_at=T0 + 6 * week)
    assert not still_listed(confirmed, T0 + 6 * week, week)  # the week counts from the resolve


def test_nothing_but_the_named_fields_can_reach_the_page() -> None:
    # the record the page is built from has no summary, notes, assignee, alert labels or details at all
    assert {f.name for f in dataclasses.fields(RecordedIncident)} == {
        "number", "service", "state", "outcome", "priority", "impact", "logged_at", "acknowledged_at",
        "restored_at", "resolved_at", "closed_at"}  # fmt: skip
    # and of the timeline, only a public update's words are read
    assert {f.name for f in dataclasses.fields(RecordedStep)} == {"seq", "at", "action", "to_state", "public_text"}
    incident = public_incident(record(), [])
    assert incident.name == "Major outage of checkout"


def test_ninety_bars_oldest_first_coloured_by_the_worst_of_each_day() -> None:
    today = T0.date()
    two_hours_down = record(logged_at=T0 - timedelta(days=2), restored_at=T0 - timedelta(days=2) + 2 * H,
                            state="closed", outcome="resolved", closed_at=T0)  # fmt: skip
    slow = record(number="INC-2", priority="P3", impact=2, logged_at=T0 - timedelta(days=2) + 5 * H,
                  restored_at=T0 - timedelta(days=2) + 6 * H, state="restored")  # fmt: skip
    known = record(number="INC-3", outcome="known_error", state="closed", logged_at=T0 - timedelta(days=5))
    bars = day_bars("checkout", [two_hours_down, slow, known], T0)
    assert len(bars) == 90 and bars[0].day == today - timedelta(days=89) and bars[-1].day == today
    two_days_ago = bars[-3]
    assert two_days_ago.status is CS.MAJOR_OUTAGE and two_days_ago.uptime == pytest.approx(22 / 24)
    assert all(b.status is CS.OPERATIONAL and b.uptime == 1 for b in bars if b is not two_days_ago)
    # 89 whole days and the 9 hours of today so far
    assert uptime(bars) == pytest.approx(1 - 2 / (89 * 24 + 9))


def test_an_outage_over_midnight_counts_on_both_days() -> None:
    start = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    bars = day_bars("checkout", [record(logged_at=start, restored_at=start + 2 * H, state="restored")],
                    datetime(2026, 12, 3, tzinfo=UTC))  # fmt: skip
    assert [round(b.uptime * 24, 3) for b in bars[-3:-1]] == [23, 23]


def test_overlapping_outages_of_one_service_count_once() -> None:
    # a P1 down 10:00-14:00 the day before, and a P2 logged inside it at 11:00 and restored at 15:00
    day = T0 - timedelta(days=1)
    first = record(logged_at=day + H, restored_at=day + 5 * H, state="restored")
    inside = record(number="INC-2", priority="P2", impact=2, logged_at=day + 2 * H, restored_at=day + 6 * H,
                    state="restored")  # fmt: skip
    other = record(number="INC-3", service="payroll", logged_at=day + H, restored_at=day + 9 * H, state="restored")
    bars = day_bars("checkout", [first, inside, other], T0)
    assert bars[-2].down_seconds == 5 * 3600 and bars[-2].status is CS.MAJOR_OUTAGE
    assert uptime(bars) == pytest.approx(1 - 5 / (89 * 24 + 9))


def test_an_open_outage_counts_up_to_now_and_nothing_after() -> None:
    open_since = record(logged_at=T0 - 2 * H)  # still down at T0 (09:00)
    bars = day_bars("checkout", [open_since], T0)
    assert (bars[-1].down_seconds, bars[-1].seconds) == (2 * 3600, 9 * 3600)
    assert bars[-1].uptime == pytest.approx(7 / 9) and bars[-1].status is CS.MAJOR_OUTAGE
    assert uptime(bars) == pytest.approx(1 - 2 / (89 * 24 + 9))
    long_ago = record(logged_at=T0 - timedelta(days=200))  # down since before the 90 days began
    assert uptime(day_bars("checkout", [long_ago], T0)) == 0
