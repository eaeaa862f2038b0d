"""`incidentctl list`: incidents from the Postgres record, in one query, never dropped silently.

One query answers the filters, the order and the total (a window count), so 1,000 incidents
cost about what one `temporal workflow list` of them costs (make bench B6), and a cut by
--limit is said: `showing 200 of 560 (use --limit)`. The record follows the workflows within
moments (the projection; `open` answers once its incident is in it).
"""

from datetime import UTC, datetime
from typing import Any

LIST_SQL = """
SELECT number, workflow_id, state, outcome, priority, impact, urgency, service, category, assignment_group,
       assignee, summary, source, major, breached, logged_at, acknowledged_at, restored_at, resolved_at, closed_at,
       response_due, restore_due, occurrences, previous_number, count(*) OVER () AS total
FROM incidents
WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR priority = $2) AND ($3::text IS NULL OR service = $3)
  AND (NOT $4 OR breached) AND ($5 OR state <> 'closed')
ORDER BY priority NULLS LAST, logged_at
LIMIT $6
"""
RESTORE_RUNNING = frozenset({"prioritized", "in_progress"})  # on_hold pauses it; restored and later stop it


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_object(row: Any, now: datetime) -> dict[str, Any]:
    """The contract's incident object (DESIGN section 5), from the record row."""
    from domain.durations import format_duration

    state, due = row["state"], row["restore_due"]
    running = state in RESTORE_RUNNING and due is not None
    return {
        "number": row["number"], "workflow_id": row["workflow_id"], "state": state, "outcome": row["outcome"],
        "priority": row["priority"], "impact": row["impact"], "urgency": row["urgency"], "service": row["service"],
        "category": row["category"], "group": row["assignment_group"] or None, "assignee": row["assignee"] or None,
        "summary": row["summary"], "source": row["source"], "major": row["major"],
        "logged_at": _iso(row["logged_at"]), "acknowledged_at": _iso(row["acknowledged_at"]),
        "restored_at": _iso(row["restored_at"]), "resolved_at": _iso(row["resolved_at"]),
        "closed_at": _iso(row["closed_at"]), "previous_number": row["previous_number"],
        "alerts": {"occurrences": row["occurrences"]},
        "sla": {"response_due": _iso(row["response_due"]), "restore_due": _iso(due),
                "restore_paused": state == "on_hold",
                "restore_left": format_duration(due - now) if running else None, "breached": row["breached"]},
    }  # fmt: skip


async def list_incidents(conn: Any, *, state: str | None, priority: str | None, service: str | None,
                         breached: bool, all_: bool, limit: int) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """The incidents (at most `limit`) and how many match in all."""
    rows = await conn.fetch(LIST_SQL, state, priority, service, breached, all_, limit)
    now = datetime.now(UTC)
    return [incident_object(r, now) for r in rows], int(rows[0]["total"]) if rows else 0
