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
    affects_service,
    day_bars,
    page_indicator,
    public_incident,
    service_status,
    uptime,
)

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
CS = ComponentStatus


def record(**fields: object) -> RecordedIncident:
    base: dict[str, object] = dict(number="INC-1", service="checkout", state="prioritized", outcome=None,
                                   priority="P1", impact=1, logged_at=T0, acknowledged_at=None, restored_at=None,
                                   closed_at=None)  # fmt: skip
    return RecordedIncident(**{**base, **fields})  # type: ignore[arg-type]


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


def test_updates_people_wrote_come_newest_first_with_default_lines_only_where_none_was_written() -> None:
    closed = record(state="closed", outcome="resolved", acknowledged_at=T0 + H, restored_at=T0 + 2 * H,
                    closed_at=T0 + 5 * H)  # fmt: skip
    incident = public_incident(closed, [(T0 + 90 * timedelta(minutes=1), "We are restoring card payments")])
    assert [(u.status, u.body) for u in incident.updates] == [
        ("resolved", "This incident has been resolved."),
        ("monitoring", "Service restored. We are monitoring."),
        ("identified", "We are restoring card payments"),
        ("investigating", "We are investigating a problem with checkout."),
    ]
    assert (incident.status, incident.resolved_at, incident.impact) == ("resolved", T0 + 5 * H, "critical")
    written = public_incident(closed, [(T0 + 3 * H, "Payments are back")])
    assert [u.body for u in written.updates if u.status == "monitoring"] == ["Payments are back"]


def test_nothing_but_the_named_fields_can_reach_the_page() -> None:
    # the record the page is built from has no summary, notes, assignee, alert labels or details at all
    assert {f.name for f in dataclasses.fields(RecordedIncident)} == {
        "number", "service", "state", "outcome", "priority", "impact", "logged_at", "acknowledged_at",
        "restored_at", "closed_at"}  # fmt: skip
    incident = public_incident(record(), [])
    assert incident.name == "Major outage of checkout"


def test_ninety_bars_oldest_first_coloured_by_the_worst_of_each_day() -> None:
    today = T0.date()
    two_hours_down = record(logged_at=T0 - timedelta(days=2), restored_at=T0 - timedelta(days=2) + 2 * H,
                            state="closed", outcome="resolved", closed_at=T0)  # fmt: skip
    slow = record(number="INC-2", priority="P3", impact=2, logged_at=T0 - timedelta(days=2) + 5 * H,
                  restored_at=T0 - timedelta(days=2) + 6 * H, state="restored")  # fmt: skip
    known = record(number="INC-3", outcome="known_error", state="closed", logged_at=T0 - timedelta(days=5))
    bars = day_bars("checkout", [two_hours_down, slow, known], today)
    assert len(bars) == 90 and bars[0].day == today - timedelta(days=89) and bars[-1].day == today
    two_days_ago = bars[-3]
    assert two_days_ago.status is CS.MAJOR_OUTAGE and two_days_ago.uptime == pytest.approx(22 / 24)
    assert all(b.status is CS.OPERATIONAL and b.uptime == 1 for b in bars if b is not two_days_ago)
    assert uptime(bars) == pytest.approx(1 - 2 / 24 / 90)


def test_an_outage_over_midnight_counts_on_both_days() -> None:
    start = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    bars = day_bars("checkout", [record(logged_at=start, restored_at=start + 2 * H, state="restored")],
                    datetime(2026, 12, 2, tzinfo=UTC).date())  # fmt: skip
    assert [round(b.uptime * 24, 3) for b in bars[-2:]] == [23, 23]
