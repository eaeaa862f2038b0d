"""The incident record: `incidents` (one row per incident), `incident_events` (its timeline) and the
incident numbers (INC-1042) drawn from `incident_number_seq`.

The number is the incident's workflow id, so the Web UI's list names every incident; the starters
(incidentctl open, the receiver's forwarder) reserve it before they start the workflow, and
registration records it. A reservation that is never used leaves a gap in the numbering, as any
sequence does; a number is never given twice.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import AwareDatetime, BaseModel

from domain.incident import TimelineEntry

# how a number is drawn, wherever it is: reserved by a starter, or drawn by registration itself
DRAWN_NUMBER = "'INC-' || nextval('incident_number_seq')"
NEXT_NUMBER = f"SELECT {DRAWN_NUMBER}"


async def reserve_number(db: asyncpg.Pool | asyncpg.Connection) -> str:
    return str(await db.fetchval(NEXT_NUMBER))


# One statement, one commit: the row a retry already wrote, or a new one (numbered here when no number was
# reserved; nextval runs only then), linked to the latest incident of the workflow id it follows.
REGISTER = f"""
WITH existing AS (
    SELECT number, previous_number FROM incidents WHERE incident_key = $2
), inserted AS (
    INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, logged_at,
                           previous_number)
    SELECT coalesce($1::text, {DRAWN_NUMBER}), $2, $3, $4, $5, $6, 'logged', $7,
        (SELECT number FROM incidents WHERE workflow_id = $8 ORDER BY logged_at DESC LIMIT 1)
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    ON CONFLICT (incident_key) DO NOTHING
    RETURNING number, previous_number
)
SELECT number, previous_number FROM existing UNION ALL SELECT number, previous_number FROM inserted
"""


async def register(
    db: asyncpg.Pool | asyncpg.Connection,
    *,
    incident_key: str,
    workflow_id: str,
    service: str,
    summary: str,
    source: str,
    logged_at: datetime,
    number: str | None,
    previous_workflow_id: str | None,
) -> tuple[str, str | None]:
    """The incident's row, written once: (number, previous incident's number). A retry finds the row it
    already wrote. Without a reserved `number` the next one is drawn here."""
    args = (number, incident_key, workflow_id, service, summary, source, logged_at, previous_workflow_id or workflow_id)
    row = await db.fetchrow(REGISTER, *args)
    if row is None:  # another attempt inserted it between our read and our write: its row stands
        row = await db.fetchrow("SELECT number, previous_number FROM incidents WHERE incident_key = $1", incident_key)
    return row["number"], row["previous_number"]


async def open_of_service(conn: asyncpg.Connection, service: str) -> list[asyncpg.Record]:
    """number, workflow_id and summary of the service's incidents not closed yet, oldest first."""
    return await conn.fetch(
        "SELECT number, workflow_id, summary FROM incidents WHERE service = $1"
        " AND state <> 'closed' ORDER BY logged_at",
        service,
    )


class IncidentSnapshot(BaseModel):
    """The record row's columns as the workflow last saw them."""

    state: str
    outcome: str | None
    priority: str | None
    impact: int | None
    urgency: int | None
    category: str | None
    group: str
    assignee: str
    major: bool
    breached: bool
    acknowledged_at: AwareDatetime | None
    restored_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    response_due: AwareDatetime | None
    restore_due: AwareDatetime | None
    paused_seconds: float
    known_error_id: str | None
    problem: str | None
    occurrences: int
    # Only once closed: what `show` prints after Temporal's retention has let the workflow go.
    closed_view: dict[str, Any] | None = None


# One statement, so one round trip and one commit per batch, however many entries and messages it
# carries (the record is the pipeline's most frequent activity). Data-modifying CTEs all run, on one
# snapshot; every insert is keyed, so a retried or replayed batch inserts nothing twice.
RECORD = """
WITH events AS (
    INSERT INTO incident_events (incident_key, seq, number, at, actor, action, from_state, to_state, detail)
    SELECT $1, e.seq, $2, e.at, e.actor, e.action, e.from_state, e.to_state, e.detail
    FROM unnest($3::int[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
        AS e(seq, at, actor, action, from_state, to_state, detail)
    ON CONFLICT (incident_key, seq) DO NOTHING
    RETURNING 1
), outbox AS (
    INSERT INTO notification_outbox (incident_key, seq, audience, number, service, action, message)
    SELECT $1, o.seq, o.audience, $2, $10, o.action, o.message
    FROM unnest($11::int[], $12::text[], $13::text[], $14::text[]) AS o(seq, audience, action, message)
    ON CONFLICT (incident_key, seq, audience) DO NOTHING
), record AS (
    UPDATE incidents SET state=$15, outcome=$16, priority=$17, impact=$18, urgency=$19, category=$20,
        assignment_group=$21, assignee=$22, major=$23, breached=$24, acknowledged_at=$25, restored_at=$26,
        resolved_at=$27, closed_at=$28, response_due=$29, restore_due=$30, paused_seconds=$31,
        known_error_id=$32, problem=$33, occurrences=$34, last_seq=$35, summary=$36,
        closed_view=COALESCE($37::jsonb, closed_view), updated_at=now()
    WHERE incident_key=$1 AND last_seq <= $35
)
SELECT count(*) FROM events
"""


async def record_timeline(
    pool: asyncpg.Pool,
    *,
    incident_key: str,
    number: str,
    service: str,
    summary: str,
    entries: Sequence[TimelineEntry],
    messages: Sequence[tuple[TimelineEntry, str, str]],
    snapshot: IncidentSnapshot,
) -> int:
    """The entries, their outbox messages ((entry, audience, text)) and the newest snapshot, in one
    commit; an older snapshot never overwrites a newer one. Returns the entries inserted now."""
    s = snapshot
    inserted = await pool.fetchval(
        RECORD,
        incident_key,
        number,
        [e.seq for e in entries],
        [e.at for e in entries],
        [e.actor for e in entries],
        [e.action for e in entries],
        [e.from_state for e in entries],
        [e.to_state for e in entries],
        [e.detail for e in entries],
        service,
        [e.seq for e, _, _ in messages],
        [audience for _, audience, _ in messages],
        [e.action for e, _, _ in messages],
        [text for _, _, text in messages],
        s.state,
        s.outcome,
        s.priority,
        s.impact,
        s.urgency,
        s.category,
        s.group,
        s.assignee,
        s.major,
        s.breached,
        s.acknowledged_at,
        s.restored_at,
        s.resolved_at,
        s.closed_at,
        s.response_due,
        s.restore_due,
        s.paused_seconds,
        s.known_error_id,
        s.problem,
        s.occurrences,
        entries[-1].seq if entries else 0,
        summary,
        json.dumps(s.closed_view) if s.closed_view is not None else None,
    )
    return int(inserted)
