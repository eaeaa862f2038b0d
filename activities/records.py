"""The incident's projection in Postgres: the record row, the audit trail and the outbox.

One activity writes a batch of timeline entries in one transaction. Each entry is
keyed by (incident_key, seq), so a retried or replayed batch inserts nothing twice
and an older snapshot never overwrites a newer one.
"""

from datetime import datetime

import asyncpg
from pydantic import AwareDatetime, BaseModel
from temporalio import activity

from domain.incident import Incident, TimelineEntry
from domain.sla import deadlines


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
    )  # fmt: skip


def notification_text(batch: TimelineBatch, entry: TimelineEntry) -> str:
    priority = batch.snapshot.priority or "--"
    return f"{batch.number} {priority} {batch.service} [{entry.to_state}] {entry.action}: {entry.detail}"


class RecordActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_timeline(self, batch: TimelineBatch) -> int:
        """Write the entries, their notifications and the newest snapshot. Returns rows inserted."""
        inserted = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for entry in batch.entries:
                status = await conn.execute(
                    "INSERT INTO incident_events (incident_key, seq, number, at, actor, action, from_state,"
                    " to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    " ON CONFLICT (incident_key, seq) DO NOTHING",
                    batch.incident_key, entry.seq, batch.number, entry.at, entry.actor, entry.action,
                    entry.from_state, entry.to_state, entry.detail,
                )  # fmt: skip
                inserted += int(status.rsplit(" ", 1)[-1])
                for audience in entry.notify:
                    await conn.execute(
                        "INSERT INTO notification_outbox (incident_key, seq, audience, number, service, action,"
                        " message) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        " ON CONFLICT (incident_key, seq, audience) DO NOTHING",
                        batch.incident_key, entry.seq, audience, batch.number, batch.service, entry.action,
                        notification_text(batch, entry),
                    )  # fmt: skip
            await self._update_record(conn, batch)
        return inserted

    async def _update_record(self, conn: asyncpg.Connection, batch: TimelineBatch) -> None:
        s = batch.snapshot
        last_seq = batch.entries[-1].seq if batch.entries else 0
        await conn.execute(
            "UPDATE incidents SET state=$2, outcome=$3, priority=$4, impact=$5, urgency=$6, category=$7,"
            " assignment_group=$8, assignee=$9, major=$10, breached=$11, acknowledged_at=$12, restored_at=$13,"
            " resolved_at=$14, closed_at=$15, response_due=$16, restore_due=$17, paused_seconds=$18,"
            " known_error_id=$19, problem=$20, occurrences=$21, last_seq=$22, summary=$23, updated_at=now()"
            " WHERE incident_key=$1 AND last_seq <= $22",
            batch.incident_key, s.state, s.outcome, s.priority, s.impact, s.urgency, s.category, s.group,
            s.assignee, s.major, s.breached, s.acknowledged_at, s.restored_at, s.resolved_at, s.closed_at,
            s.response_due, s.restore_due, s.paused_seconds, s.known_error_id, s.problem, s.occurrences,
            last_seq, batch.summary,
        )  # fmt: skip
