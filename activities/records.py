"""The incident's projection in Postgres: the record row, the audit trail and the outbox.

One activity writes a batch of timeline entries in one transaction. Each entry is
keyed by (incident_key, seq), so a retried or replayed batch inserts nothing twice
and an older snapshot never overwrites a newer one.
"""

import json
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import AwareDatetime, BaseModel
from temporalio import activity

from domain.incident import Incident, TimelineEntry
from domain.sla import deadlines
from domain.view import incident_view


class IncidentSnapshot(BaseModel):
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


class TimelineBatch(BaseModel):
    incident_key: str
    number: str
    service: str
    summary: str
    entries: list[TimelineEntry]
    snapshot: IncidentSnapshot


def snapshot_of(incident: Incident, now: datetime) -> IncidentSnapshot:
    due = deadlines(incident, now)
    return IncidentSnapshot(
        state=incident.state, outcome=incident.outcome, priority=incident.priority,
        impact=incident.impact, urgency=incident.urgency, category=incident.category,
        group=incident.group, assignee=incident.assignee, major=incident.major, breached=incident.breached,
        acknowledged_at=incident.acknowledged_at, restored_at=incident.restored_at,
        resolved_at=incident.resolved_at, closed_at=incident.closed_at,
        response_due=due.response_due, restore_due=due.restore_due, paused_seconds=incident.paused_seconds,
        known_error_id=incident.known_error_id, problem=incident.problem,
        occurrences=sum(o.count for o in incident.occurrences.values()),
        closed_view=incident_view(incident, now) if incident.is_closed else None,
    )  # fmt: skip


def notification_text(batch: TimelineBatch, entry: TimelineEntry) -> str:
    priority = batch.snapshot.priority or "--"
    return f"{batch.number} {priority} {batch.service} [{entry.to_state}] {entry.action}: {entry.detail}"


# One statement, so one round trip and one commit per batch, however many entries and messages it
# carries (B1: the record is the pipeline's most frequent activity). Data-modifying CTEs all run,
# on one snapshot; every insert is keyed, so a retried or replayed batch inserts nothing twice.
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


class RecordActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_timeline(self, batch: TimelineBatch) -> int:
        """Write the entries, their notifications and the newest snapshot. Returns rows inserted."""
        entries, s = batch.entries, batch.snapshot
        messages = [(entry, audience) for entry in entries for audience in entry.notify]
        inserted = await self._pool.fetchval(
            RECORD, batch.incident_key, batch.number,
            [e.seq for e in entries], [e.at for e in entries], [e.actor for e in entries],
            [e.action for e in entries], [e.from_state for e in entries], [e.to_state for e in entries],
            [e.detail for e in entries],
            batch.service, [e.seq for e, _ in messages], [audience for _, audience in messages],
            [e.action for e, _ in messages], [notification_text(batch, e) for e, _ in messages],
            s.state, s.outcome, s.priority, s.impact, s.urgency, s.category, s.group, s.assignee, s.major,
            s.breached, s.acknowledged_at, s.restored_at, s.resolved_at, s.closed_at, s.response_due,
            s.restore_due, s.paused_seconds, s.known_error_id, s.problem, s.occurrences,
            entries[-1].seq if entries else 0, batch.summary,
            json.dumps(s.closed_view) if s.closed_view is not None else None,
        )  # fmt: skip
        return int(inserted)
