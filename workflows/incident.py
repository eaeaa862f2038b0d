"""IncidentWorkflow: one durable workflow per incident, from registration to closure.

`run()` reads as the process: register, categorize, prioritize; diagnosis, restoration and
resolution arrive as engineers' updates and alerts while the agreed times run; close. Every handler
is declared here (workflows/contract.py is what callers hold of them); engineers' updates have
validators that refuse illegal transitions before they reach history. Handlers change the state
synchronously (no awaits), so they cannot interleave; the main loop alone sleeps until the next
agreed time. The state is one IncidentState, carried whole across continue-as-new; the steps are
helpers in workflows/steps/.
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import alerts, commands, paging_rules, process
    from domain.commands import AlertBatch, IncidentResult, KnownErrorOffer, OpenIncident, PageAck, ViewRequest
    from domain.enums import Action
    from domain.incident import Incident
    from domain.incident_state import IncidentState
    from domain.view import incident_view
    from workflows import visibility
    from workflows.contract import SERVICE_NOT_IN_CATALOG
    from workflows.releases import Patches
    from workflows.steps.alert_intake import AlertIntake
    from workflows.steps.engineers import Engineers
    from workflows.steps.paging import Pager
    from workflows.steps.record import Record
    from workflows.steps.registration import Registration
    from workflows.steps.waiting import Waiting

# Far below the server's 50k-event limit, so a long, noisy incident hands over in good time.
HISTORY_HANDOVER_EVENTS = 10_000
View = dict[str, Any]


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, request: OpenIncident) -> None:
        self.patches = Patches()  # first: a new incident's release marker precedes every other command
        self.state = request.carried or IncidentState(
            generation=request.generation,
            incident=Incident(
                workflow_id=workflow.info().workflow_id,
                service=request.service,
                summary=request.summary,
                source=request.source,
                caller=request.caller,
                supplier=request.supplier,
                ci=request.ci,
                impact=request.impact,
                urgency=request.urgency,
                severity=request.severity,
                logged_at=workflow.now(),
                inbox_seen=request.inbox_seen,
            ),
        )
        self.web_ui = visibility.WebUi(
            self.patches.release,
            once_per_task=self.patches("web-ui-once-per-task"),
            only_what_moved=self.patches("web-ui-only-what-moved"),
        )
        self.registration = Registration(self.state, request, self._incident_key, self._changed, self.patches)
        self.record = Record(self.state, self._incident_key, self._wake)
        self.pager = Pager(self.state, self._incident_key, self._changed, self.patches)
        self.intake = AlertIntake(self.state, self._changed, self._wake)
        self.engineers = Engineers(self.state, self._changed)
        self.waiting = Waiting(self.state, self.pager, self._changed)

    @workflow.run
    async def run(self, request: OpenIncident) -> IncidentResult:
        incident = self.state.incident
        if request.carried is None:  # a new incident (a handed-over one took these steps in an earlier run)
            if request.late_alerts:  # the alerts that re-fired after the previous incident closed
                alerts.apply_alerts(incident, request.late_alerts, str(incident.source))
            registered = await self.registration.register()
            if registered is None:
                return IncidentResult(number=None, state="rejected", outcome=None, rejected=self.state.rejection)
            self.registration.categorize(registered, request.category)
            self._prioritize()
        else:
            self._changed()  # current details do not carry over continue-as-new
        await self._work_until_closed()
        await self._close(request)
        return IncidentResult(number=incident.number, state=incident.state, outcome=incident.outcome)

    # -- the process ---------------------------------------------------------------------------

    def _prioritize(self) -> None:
        incident = self.state.incident
        if not incident.is_closed:  # closed as a known error: nothing to prioritize
            process.prioritize(incident, workflow.now())
            alerts.settle_alerts(incident, workflow.now(), str(incident.source))
            self._changed()

    async def _work_until_closed(self) -> None:
        """Diagnosis, restoration and resolution arrive as updates; meanwhile the record is written,
        notifications and pages go out, and the agreed times fire."""
        while not self.state.incident.is_closed:
            self.record.start()  # beside the timers: a database outage cannot hold up an agreed time
            if self._history_is_long():
                await self._hand_over()
            self.record.start_delivery()
            if not self.state.incident.is_closed:
                await self.waiting.for_change_or_next_timer()

    async def _close(self, request: OpenIncident) -> None:
        await self._settle()
        if any(event.status == "firing" for event in self.state.late_alerts):
            self._open_next_incident(request)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_HANDOVER_EVENTS

    async def _settle(self) -> None:
        """Before this run ends: every update answered, every entry recorded, every message out
        (an activity still running would be orphaned by a new run)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.pager.finish()  # before the record: a page's result is a timeline entry
        await self.record.drain()
        await self.record.finish_delivery()

    async def _hand_over(self) -> None:
        await self._settle()
        incident = self.state.incident
        workflow.continue_as_new(OpenIncident(service=incident.service, summary=incident.summary, carried=self.state))

    def _open_next_incident(self, request: OpenIncident) -> None:
        """Late alerts became a new incident, linked to this one by registration (previous_number)."""
        incident = self.state.incident
        workflow.continue_as_new(
            OpenIncident(
                service=incident.service,
                summary=incident.summary,
                source=incident.source,
                severity=incident.severity,
                impact=request.impact,
                urgency=request.urgency,
                generation=self.state.generation + 1,
                late_alerts=self.state.late_alerts,
                inbox_seen=incident.inbox_seen,
            )
        )

    def _incident_key(self) -> str:
        # stable across continue-as-new; a new incident on the same workflow id gets a new key
        key = f"{workflow.info().workflow_id}/{workflow.info().first_execution_run_id}"
        return f"{key}/{self.state.generation}" if self.state.generation else key

    def _wake(self) -> None:
        self.waiting.wake()

    def _changed(self) -> None:
        """Every change wakes the main loop, starts or stops paging, and refreshes what the Web UI shows."""
        self._wake()
        paging_rules.respond(self.state.incident, workflow.now())
        self.web_ui.show(self.state.incident, workflow.now())

    def _view(self, history: bool = False) -> View:
        return incident_view(self.state.incident, workflow.now(), history=history)

    # -- what callers ask and send (workflows/contract.py) --------------------------------------

    @workflow.query
    def view(self, request: ViewRequest) -> View:
        return self._view(history=request.history)

    @workflow.update
    async def registered(self, request: commands.WaitRegistered) -> View:
        """Returns once registration, categorization and prioritization are done (for `open`)."""
        state = self.state
        await workflow.wait_condition(
            lambda: state.rejection is not None or state.incident.is_closed or state.incident.priority is not None
        )
        if state.rejection is None:
            # `incidentctl list` reads the record: an incident just opened must be in it
            written = len(state.incident.timeline)
            await workflow.wait_condition(lambda: state.recorded_seq >= written or state.incident.is_closed)
        if state.rejection is not None:
            raise ApplicationError(state.rejection, type=SERVICE_NOT_IN_CATALOG, non_retryable=True)
        return self._view()

    @workflow.update
    def alerts(self, batch: AlertBatch) -> str:
        """Alert deliveries from the receiver's inbox. An Update, so a closed incident can say no: the
        receiver then opens the next incident under a new number (a signal cannot be refused)."""
        self.intake.take(batch)
        return "applied"

    @alerts.validator
    def _alerts_ok(self, batch: AlertBatch) -> None:
        self.intake.check_open()

    @workflow.signal
    def alert(self, batch: AlertBatch) -> None:
        """The receiver's start signal (signal-with-start opens an incident with its first alerts)."""
        self.intake.take(batch)

    @workflow.update
    def acknowledge_page(self, request: PageAck) -> View:
        self.pager.acknowledge(request)
        return self._view()

    @acknowledge_page.validator
    def _acknowledge_page_ok(self, request: PageAck) -> None:
        self.pager.check_acknowledgement()

    @workflow.signal
    def known_error_published(self, offer: KnownErrorOffer) -> None:
        """Published while this incident is open (KnownErrorLinks): its workaround is offered."""
        # matched again here, on the incident as it is now: the publisher read the record a moment ago
        if process.offer_known_error(self.state.incident, offer.known_error, workflow.now()):
            self._changed()

    # -- engineers' updates (incidentctl), each with its validator (workflows/steps/engineers.py)

    def _engineer(self, action: Action, request: commands.EngineerInput) -> View:
        self.engineers.act(action, request)
        return self._view()

    @workflow.update
    def ack(self, request: commands.Ack) -> View:
        return self._engineer(Action.ACK, request)

    @ack.validator
    def _ack_ok(self, request: commands.Ack) -> None:
        self.engineers.validate(Action.ACK, request)

    @workflow.update
    def assign(self, request: commands.Assign) -> View:
        return self._engineer(Action.ASSIGN, request)

    @assign.validator
    def _assign_ok(self, request: commands.Assign) -> None:
        self.engineers.validate(Action.ASSIGN, request)

    @workflow.update
    def escalate(self, request: commands.Escalate) -> View:
        return self._engineer(Action.ESCALATE, request)

    @escalate.validator
    def _escalate_ok(self, request: commands.Escalate) -> None:
        self.engineers.validate(Action.ESCALATE, request)

    @workflow.update
    def note(self, request: commands.Note) -> View:
        return self._engineer(Action.NOTE, request)

    @note.validator
    def _note_ok(self, request: commands.Note) -> None:
        self.engineers.validate(Action.NOTE, request)

    @workflow.update
    def public_update(self, request: commands.PublicUpdate) -> View:
        return self._engineer(Action.PUBLIC_UPDATE, request)

    @public_update.validator
    def _public_update_ok(self, request: commands.PublicUpdate) -> None:
        self.engineers.validate(Action.PUBLIC_UPDATE, request)

    @workflow.update
    def diagnose(self, request: commands.Diagnose) -> View:
        return self._engineer(Action.DIAGNOSE, request)

    @diagnose.validator
    def _diagnose_ok(self, request: commands.Diagnose) -> None:
        self.engineers.validate(Action.DIAGNOSE, request)

    @workflow.update
    def change_priority(self, request: commands.ChangePriority) -> View:
        return self._engineer(Action.CHANGE_PRIORITY, request)

    @change_priority.validator
    def _change_priority_ok(self, request: commands.ChangePriority) -> None:
        self.engineers.validate(Action.CHANGE_PRIORITY, request)

    @workflow.update
    def hold(self, request: commands.Hold) -> View:
        return self._engineer(Action.HOLD, request)

    @hold.validator
    def _hold_ok(self, request: commands.Hold) -> None:
        self.engineers.validate(Action.HOLD, request)

    @workflow.update
    def resume(self, request: commands.Resume) -> View:
        return self._engineer(Action.RESUME, request)

    @resume.validator
    def _resume_ok(self, request: commands.Resume) -> None:
        self.engineers.validate(Action.RESUME, request)

    @workflow.update
    def workaround(self, request: commands.Workaround) -> View:
        return self._engineer(Action.WORKAROUND, request)

    @workaround.validator
    def _workaround_ok(self, request: commands.Workaround) -> None:
        self.engineers.validate(Action.WORKAROUND, request)

    @workflow.update
    def resolve(self, request: commands.Resolve) -> View:
        return self._engineer(Action.RESOLVE, request)

    @resolve.validator
    def _resolve_ok(self, request: commands.Resolve) -> None:
        self.engineers.validate(Action.RESOLVE, request)

    @workflow.update
    def confirm(self, request: commands.Confirm) -> View:
        return self._engineer(Action.CONFIRM, request)

    @confirm.validator
    def _confirm_ok(self, request: commands.Confirm) -> None:
        self.engineers.validate(Action.CONFIRM, request)

    @workflow.update
    def reopen(self, request: commands.Reopen) -> View:
        return self._engineer(Action.REOPEN, request)

    @reopen.validator
    def _reopen_ok(self, request: commands.Reopen) -> None:
        self.engineers.validate(Action.REOPEN, request)

    @workflow.update
    def cancel(self, request: commands.Cancel) -> View:
        return self._engineer(Action.CANCEL, request)

    @cancel.validator
    def _cancel_ok(self, request: commands.Cancel) -> None:
        self.engineers.validate(Action.CANCEL, request)
