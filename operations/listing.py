"""`list` (incidentctl, GET /v1/incidents): incidents from the Postgres record in keyset pages and their
exact total (stores/incident_views.py: both from indexes and maintained counts, so a record of 300,000
costs what one of 300 does: make bench B11), never dropped silently: a cut by --limit is said,
`showing 200 of 560 (use --limit)`. The record follows the workflows within moments (the projection;
`open` answers once its incident is in it).
"""

from datetime import UTC, datetime
from typing import Any

from operations.outcomes import UnknownName
from stores.incident_views import page_of, total_of

RESTORE_RUNNING = frozenset({"prioritized", "in_progress"})  # on_hold pauses it; restored and later stop it


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def record_fields(row: Any) -> dict[str, Any]:
    """The incident object's fields that the record row holds as they are, in the contract's order."""
    return {
        "number": row["number"],
        "workflow_id": row["workflow_id"],
        "state": row["state"],
        "outcome": row["outcome"],
        "priority": row["priority"],
        "impact": row["impact"],
        "urgency": row["urgency"],
        "service": row["service"],
        "category": row["category"],
        "group": row["assignment_group"] or None,
        "assignee": row["assignee"] or None,
        "summary": row["summary"],
        "source": row["source"],
        "major": row["major"],
        "logged_at": _iso(row["logged_at"]),
        "acknowledged_at": _iso(row["acknowledged_at"]),
        "restored_at": _iso(row["restored_at"]),
        "resolved_at": _iso(row["resolved_at"]),
        "closed_at": _iso(row["closed_at"]),
    }


def incident_object(row: Any, now: datetime) -> dict[str, Any]:
    """The contract's incident object (DESIGN section 5), from the record row."""
    from domain.durations import format_duration

    state, due = row["state"], row["restore_due"]
    running = state in RESTORE_RUNNING and due is not None
    return {
        **record_fields(row),
        "previous_number": row["previous_number"],
        "alerts": {"occurrences": row["occurrences"]},
        "sla": {
            "response_due": _iso(row["response_due"]),
            "restore_due": _iso(due),
            "restore_paused": state == "on_hold",
            "restore_left": format_duration(due - now) if running else None,
            "breached": row["breached"],
        },
    }


async def list_incidents(
    conn: Any,
    *,
    state: str | None,
    priority: str | None,
    service: str | None,
    breached: bool,
    all_: bool,
    limit: int,
    after: tuple[str, datetime, str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The incidents (at most `limit`, after the row `after` names: page_key of the last item of the
    page before) and how many match in all. A state or service nobody knows is refused (UnknownName),
    with the closest match."""
    from domain.enums import State
    from domain.names import unknown_name
    from stores.catalog import agreed_services

    states = [s.value for s in State]
    if state is not None and state not in states:
        raise UnknownName(unknown_name("a state", state, states))
    if service is not None:
        services = await agreed_services(conn)
        if service not in services:
            raise UnknownName(unknown_name("a service of the agreed catalog", service, services))
    rows = await page_of(conn, state=state, priority=priority, service=service, breached=breached, all_=all_,
                         limit=limit, after=after)  # fmt: skip
    total = await total_of(conn, state=state, priority=priority, service=service, breached=breached, all_=all_)
    now = datetime.now(UTC)
    return [incident_object(r, now) for r in rows], total


def page_key(item: dict[str, Any]) -> tuple[str, datetime, str]:
    """Where the page after this incident object starts (stores.incident_views.page_key of its row)."""
    return item["priority"] or "P9", datetime.fromisoformat(item["logged_at"]), item["number"]
