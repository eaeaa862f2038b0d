"""The incident's projection in Postgres: the record row, the audit trail and the outbox.

One activity writes a batch of timeline entries in one transaction. Each entry is
keyed by (incident_key, seq), so a retried or replayed batch inserts nothing twice
and an older snapshot never overwrites a newer one.
"""

from datetime import datetime

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from domain.incident import Incident, TimelineEntry
from domain.sla import deadlines
from domain.view import incident_view
from stores import incidents
from stores.incidents import IncidentSnapshot


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
        state=incident.state,
        outcome=incident.outcome,
        priority=incident.priority,
        impact=incident.impact,
        urgency=incident.urgency,
        category=incident.category,
        group=incident.group,
        assignee=incident.assignee,
        major=incident.major,
        breached=incident.breached,
        acknowledged_at=incident.acknowledged_at,
        restored_at=incident.restored_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        response_due=due.response_due,
        restore_due=due.restore_due,
        paused_seconds=incident.paused_seconds,
        known_error_id=incident.known_error_id,
        problem=incident.problem,
        occurrences=sum(o.count for o in incident.occurrences.values()),
        closed_view=incident_view(incident, now) if incident.is_closed else None,
    )


def notification_text(batch: TimelineBatch, entry: TimelineEntry) -> str:
    priority = batch.snapshot.priority or "--"
    return f"{batch.number} {priority} {batch.service} [{entry.to_state}] {entry.action}: {entry.detail}"


class RecordActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_timeline(self, batch: TimelineBatch) -> int:
        """Write the entries, their notifications and the newest snapshot. Returns rows inserted."""
        messages = [
            (entry, audience, notification_text(batch, entry)) for entry in batch.entries for audience in entry.notify
        ]
        return await incidents.record_timeline(
            self._pool,
            incident_key=batch.incident_key,
            number=batch.number,
            service=batch.service,
            summary=batch.summary,
            entries=batch.entries,
            messages=messages,
            snapshot=batch.snapshot,
        )
