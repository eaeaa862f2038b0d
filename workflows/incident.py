"""IncidentWorkflow: one durable workflow per incident, from registration to closure.

`run()` reads like the process. Engineer actions arrive as Updates whose validators
refuse illegal transitions before they reach history; alert deliveries arrive as
signals. Handlers change state synchronously (no awaits), so they cannot interleave;
the main loop alone writes the projection to Postgres and sleeps until the next
agreed time.
"""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import DeliverNotifications, NotificationActivities
    from activities.records import RecordActivities, TimelineBatch, snapshot_of
    from domain import alerts, paging_rules, process, timers
    from domain.alerts import AlertEvent
    from domain.commands import AlertBatch, IncidentResult, OpenIncident, ViewRequest, WaitRegistered
    from domain.incident import Incident
    from workflows import visibility
    from workflows.agreed_timer import AgreedTimer
    from workflows.contract import INCIDENT_CLOSED, SERVICE_NOT_IN_CATALOG
    from workflows.engineer_actions import EngineerActions
    from workflows.known_error_offers import KnownErrorOffers
    from workflows.paging_steps import PagingSteps
    from workflows.registration_steps import RegistrationSteps
    from workflows.releases import Patches
    from workflows.timeouts import DATABASE_RETRY, DATABASE_TIMEOUT

# A webhook may be down for hours: keep trying, gently, without holding up the incident.
NOTIFY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                           maximum_interval=timedelta(minutes=5))  # fmt: skip
NOTIFY_TIMEOUT = timedelta(minutes=2)
# Far below the server's 50k-event limit, so a long, noisy incident hands over in good time.
HISTORY_HANDOVER_EVENTS = 10_000


@workflow.defn
class IncidentWorkflow(RegistrationSteps, EngineerActions, PagingSteps, KnownErrorOffers):
    @workflow.init
    def __init__(self, request: OpenIncident) -> None:
        self.patches = Patches()  # first: a new incident's release marker precedes every other command
        self.incident = request.continued or Incident(
            workflow_id=workflow.info().workflow_id, service=request.service, summary=request.summary,
            source=request.source, caller=request.caller, supplier=request.supplier, ci=request.ci,
            impact=request.impact, urgency=request.urgency, severity=request.severity, logged_at=workflow.now(),
            inbox_seen=request.inbox_seen,
        )  # fmt: skip
        self.recorded_seq = request.recorded_seq
        self.generation = request.generation
        self.reserved_number = request.number
        self.previous_workflow_id = request.previous_workflow_id
        self.late_alerts: list[AlertEvent] = []
        self.rejection: str | None = None
        self.changes = 0
        self.upserted: dict[str, object] = {}
        self.undelivered = False  # projected entries carry notifications not yet handed to delivery
        self.delivery: asyncio.Task[Any] | None = None
        self.projection: asyncio.Task[None] | None = None
        self.timer = AgreedTimer()
        self.page_tasks: list[asyncio.Task[Any]] = []
        self.redeliveries: list[asyncio.Task[Any]] = []
        self._register_engineer_updates()

    @workflow.run
    async def run(self, request: OpenIncident) -> IncidentResult:
        if request.continued is None:
            if request.late_alerts:  # the alerts that re-fired after the previous incident closed
                alerts.apply_alerts(self.incident, request.late_alerts, str(self.incident.source))
            if not await self._first_steps(request.category):
                return IncidentResult(number=None, state="rejected", outcome=None, rejected=self.rejection)
            if not self.incident.is_closed:
                process.prioritize(self.incident, workflow.now())
                alerts.settle_alerts(self.incident, workflow.now(), str(self.incident.source))
                self._changed()
        else:
            self._changed()  # current details do not carry over continue-as-new
        while not self.incident.is_closed:
            # the record is written beside the timers, so a database outage cannot hold up an agreed time
            self._start_projection()
            if self._history_is_long():
                await self._hand_over()
            self._start_delivery()
            if not self.incident.is_closed:
                await self._wait_for_change_or_next_timer()
        await self._settle()
        if any(event.status == "firing" for event in self.late_alerts):
            self._open_next_incident(request)
        return IncidentResult(number=self.incident.number, state=self.incident.state,
                              outcome=self.incident.outcome)  # fmt: skip

    # -- the process steps -------------------------------------------------------------------

    async def _wait_for_change_or_next_timer(self) -> None:
        """Until something changes or the agreed timer fires; an unchanged timer keeps running."""
        if self._pages_due():  # a page due now goes out now, not after a timer
            self._page_due_steps()
            return
        seen = self.changes
        self.timer.aim(timers.next_timer(self.incident, workflow.now()), self.incident)
        await workflow.wait_condition(lambda: self.changes != seen or self.timer.fired)
        if self.timer.fired:
            due = self.timer.take()
            # a change in the same task may have moved it: then the next aim() starts the right one
            if due is not None and due == timers.next_timer(self.incident, workflow.now()):
                if due.kind is timers.TimerKind.PAGE:
                    self._page_due_steps()
                else:
                    timers.fire(self.incident, due.kind, workflow.now())
                    self._changed()

    async def _project(self) -> None:
        """Write every timeline entry not yet in Postgres, in order, in batches."""
        while self.recorded_seq < len(self.incident.timeline) and self.incident.number:
            entries = self.incident.timeline[self.recorded_seq :]
            last = entries[-1]
            await workflow.execute_activity_method(
                RecordActivities.record_timeline,
                TimelineBatch(incident_key=self._incident_key(), number=self.incident.number,
                              service=self.incident.service, summary=self.incident.summary, entries=entries,
                              snapshot=snapshot_of(self.incident, workflow.now())),  # fmt: skip
                start_to_close_timeout=DATABASE_TIMEOUT, retry_policy=DATABASE_RETRY,
                summary=f"{self.incident.number}: record {last.action} -> {last.to_state}",
            )  # fmt: skip
            self.recorded_seq = last.seq
            self.undelivered = self.undelivered or any(entry.notify for entry in entries)

    def _start_projection(self) -> None:
        """One projection at a time, in the background; its end wakes the main loop."""
        if self.projection is not None and not self.projection.done():
            return
        if self.recorded_seq < len(self.incident.timeline) and self.incident.number:
            self.projection = asyncio.create_task(self._project())
            self.projection.add_done_callback(lambda _: self._wake())

    async def _drain_projection(self) -> None:
        if self.projection is not None and not self.projection.done():
            await self.projection
        await self._project()

    def _start_delivery(self) -> None:
        """Deliver notifications beside the incident, one delivery at a time, never blocking its timers."""
        if not self.undelivered or (self.delivery is not None and not self.delivery.done()):
            return
        self.undelivered = False
        self.delivery = workflow.start_activity_method(
            NotificationActivities.deliver_notifications,
            DeliverNotifications(incident_key=self._incident_key(), service=self.incident.service),
            start_to_close_timeout=NOTIFY_TIMEOUT, retry_policy=NOTIFY_RETRY,
            summary=f"{self.incident.number}: notify",
        )  # fmt: skip
        self.delivery.add_done_callback(lambda _: self._wake())

    async def _finish_delivery(self) -> None:
        """Every message is out before the incident's workflow ends."""
        while True:
            if self.delivery is not None and not self.delivery.done():
                await self.delivery
            if not self.undelivered:
                return
            self._start_delivery()

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_HANDOVER_EVENTS

    async def _settle(self) -> None:
        """Before this run ends: every update answered, every entry recorded, every message out
        (an activity still running would be orphaned by a new run)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._finish_pages()  # before the record: a page's result is a timeline entry
        await self._drain_projection()
        await self._finish_delivery()

    async def _hand_over(self) -> None:
        await self._settle()
        # the generation keys the record: without it a second incident on this id wrote under the first's key
        workflow.continue_as_new(OpenIncident(service=self.incident.service, summary=self.incident.summary,
                                              continued=self.incident, recorded_seq=self.recorded_seq,
                                              generation=self.generation))  # fmt: skip

    def _open_next_incident(self, request: OpenIncident) -> None:
        """Late alerts became a new incident, linked to this one by registration (previous_number)."""
        incident = self.incident
        workflow.continue_as_new(OpenIncident(
            service=incident.service, summary=incident.summary, source=incident.source, severity=incident.severity,
            impact=request.impact, urgency=request.urgency, generation=self.generation + 1,
            late_alerts=self.late_alerts, inbox_seen=incident.inbox_seen,
        ))  # fmt: skip

    def _incident_key(self) -> str:
        # stable across continue-as-new; a new incident on the same workflow id gets a new key
        key = f"{workflow.info().workflow_id}/{workflow.info().first_execution_run_id}"
        return f"{key}/{self.generation}" if self.generation else key

    def _wake(self) -> None:
        self.changes += 1

    def _changed(self) -> None:
        """Every change wakes the main loop, starts or stops paging, and refreshes what the Web UI shows."""
        self._wake()
        now = workflow.now()
        paging_rules.respond(self.incident, now)
        current = visibility.search_attribute_values(self.incident, now, self.patches.release)
        pairs = visibility.changed_pairs(current, self.upserted)
        if pairs:
            workflow.upsert_search_attributes(pairs)
            self.upserted = current
        workflow.set_current_details(visibility.current_details(self.incident, now))

    # -- queries, signals and the updates engineers send -------------------------------------

    @workflow.query
    def view(self, request: ViewRequest) -> dict[str, Any]:
        return self._view(history=request.history)

    @workflow.update
    def alerts(self, batch: AlertBatch) -> str:
        """Alert deliveries from the receiver's inbox. An Update, so a closed incident can say no: the
        receiver then opens the next incident under a new number (a signal cannot be refused)."""
        self._take_alerts(batch)
        return "applied"

    @alerts.validator
    def _validate_alerts(self, batch: AlertBatch) -> None:
        if self.incident.is_closed or self.rejection is not None:
            state = "refused" if self.rejection is not None else f"closed ({self.incident.outcome})"
            raise ApplicationError(f"{self.incident.display_name} is {state}", type=INCIDENT_CLOSED,
                                   non_retryable=True)  # fmt: skip

    @workflow.signal
    def alert(self, batch: AlertBatch) -> None:
        """The receiver's start signal (signal-with-start opens an incident with its first alerts)."""
        self._take_alerts(batch)

    def _take_alerts(self, batch: AlertBatch) -> None:
        events = batch.events
        # Rows of the receiver's inbox may come twice (at least once); only they carry a seq.
        if any(e.inbox_seq is not None for e in events):
            events = alerts.first_sight(self.incident, events)
            if not events:
                return
        if self.incident.is_closed:
            # closed, but this run is still finishing (notifications): keep what fires for the next incident
            self.late_alerts.extend(events)
            self._wake()
            return
        alerts.apply_alerts(self.incident, events, batch.actor)
        self._changed()

    @workflow.update
    async def registered(self, request: WaitRegistered) -> dict[str, Any]:
        """Returns once registration, categorization and prioritization are done (for `open`)."""
        await workflow.wait_condition(
            lambda: self.rejection is not None or self.incident.is_closed or self.incident.priority is not None
        )
        if self.rejection is None:
            # `incidentctl list` reads the record: an incident just opened must be in it
            written = len(self.incident.timeline)
            await workflow.wait_condition(lambda: self.recorded_seq >= written or self.incident.is_closed)
        if self.rejection is not None:
            raise ApplicationError(self.rejection, type=SERVICE_NOT_IN_CATALOG, non_retryable=True)
        return self._view()
