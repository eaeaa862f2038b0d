"""The incident's record in Postgres and its notifications, written beside the incident: a database
or webhook outage never holds up an agreed time. One projection and one delivery at a time; the end
of either wakes the workflow's main loop."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications import DeliverNotifications, NotificationActivities
    from activities.records import RecordActivities, TimelineBatch, snapshot_of
    from domain.incident_state import IncidentState
    from workflows.timeouts import DATABASE_RETRY, DATABASE_TIMEOUT

# A webhook may be down for hours: keep trying, gently, without holding up the incident.
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
)
NOTIFY_TIMEOUT = timedelta(minutes=2)


class Record:
    def __init__(self, state: IncidentState, incident_key: Callable[[], str], wake: Callable[[], None]) -> None:
        self.state, self.incident_key, self.wake = state, incident_key, wake
        self.projection: asyncio.Task[None] | None = None
        self.delivery: asyncio.Task[Any] | None = None

    def start(self) -> None:
        """Write what the record lacks, in the background (unless a projection is running already)."""
        if self.projection is not None and not self.projection.done():
            return
        if self._behind():
            self.projection = asyncio.create_task(self._project())
            self.projection.add_done_callback(lambda _: self.wake())

    async def drain(self) -> None:
        """Every timeline entry is in Postgres."""
        if self.projection is not None and not self.projection.done():
            await self.projection
        await self._project()

    def start_delivery(self) -> None:
        """Deliver notifications beside the incident, one delivery at a time, never blocking its timers."""
        if not self.state.undelivered or (self.delivery is not None and not self.delivery.done()):
            return
        self.state.undelivered = False
        incident = self.state.incident
        self.delivery = workflow.start_activity_method(
            NotificationActivities.deliver_notifications,
            DeliverNotifications(incident_key=self.incident_key(), service=incident.service),
            start_to_close_timeout=NOTIFY_TIMEOUT,
            retry_policy=NOTIFY_RETRY,
            summary=f"{incident.number}: notify",
        )
        self.delivery.add_done_callback(lambda _: self.wake())

    async def finish_delivery(self) -> None:
        """Every message is out before the incident's run ends."""
        while True:
            if self.delivery is not None and not self.delivery.done():
                await self.delivery
            if not self.state.undelivered:
                return
            self.start_delivery()

    def _behind(self) -> bool:
        return self.state.recorded_seq < len(self.state.incident.timeline) and bool(self.state.incident.number)

    async def _project(self) -> None:
        """Write every timeline entry not yet in Postgres, in order, in batches."""
        state, incident = self.state, self.state.incident
        while self._behind():
            entries = incident.timeline[state.recorded_seq :]
            last = entries[-1]
            await workflow.execute_activity_method(
                RecordActivities.record_timeline,
                TimelineBatch(
                    incident_key=self.incident_key(),
                    number=incident.number,
                    service=incident.service,
                    summary=incident.summary,
                    entries=entries,
                    snapshot=snapshot_of(incident, workflow.now()),
                ),
                start_to_close_timeout=DATABASE_TIMEOUT,
                retry_policy=DATABASE_RETRY,
                summary=f"{incident.number}: record {last.action} -> {last.to_state}",
            )
            state.recorded_seq = last.seq
            state.undelivered = state.undelivered or any(entry.notify for entry in entries)
