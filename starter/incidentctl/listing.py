"""`incidentctl list`: incidents from the Postgres record, in one query (stores/incident_views.py), never
dropped silently: a cut by --limit is said, `showing 200 of 560 (use --limit)`. The record follows the
workflows within moments (the projection; `open` answers once its incident is in it).
"""

from datetime import UTC, datetime
from typing import Any

from stores.incident_views import listed

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
    conn: Any, *, state: str | None, priority: str | None, service: str | None, breached: bool, all_: bool, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The incidents (at most `limit`) and how many match in all."""
    rows = await listed(
        conn, state=state, priority=priority, service=service, breached=breached, all_=all_, limit=limit
    )
    now = datetime.now(UTC)
    return [incident_object(r, now) for r in rows], int(rows[0]["total"]) if rows else 0
