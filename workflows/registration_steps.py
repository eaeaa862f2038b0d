"""The first steps of every incident, as IncidentWorkflow takes them: registration (its number, or a
refusal that is visible as refused), categorization with the known-error check, and the changes made
to the service just before it was logged. A mixin: IncidentWorkflow owns the state and the loop.

The database answers all three in one activity: one round trip before the incident is prioritized
and paged."""

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.registration import FirstSteps, RegisterIncident, Registration, RegistrationActivities
    from domain import process
    from domain.catalog import KnownError
    from domain.incident import Incident
    from workflows import visibility
    from workflows.timeouts import DATABASE_RETRY, DATABASE_TIMEOUT


class RegistrationSteps:
    """Mixed into IncidentWorkflow, which owns `incident`, `rejection`, `reserved_number`,
    `previous_workflow_id`, `_incident_key()` and `_changed()`."""

    incident: Incident
    rejection: str | None
    reserved_number: str | None
    previous_workflow_id: str | None
    _incident_key: Callable[[], str]
    _changed: Callable[[], None]

    async def _first_steps(self, category_hint: str | None) -> bool:
        """Registered, categorized (closed at once when a known error matches) and the recent changes
        noted; False when the service is outside the agreements (refused: no incident)."""
        incident = self.incident
        steps: FirstSteps = await workflow.execute_activity_method(
            RegistrationActivities.register_and_look_up, self._registration_request(),
            start_to_close_timeout=DATABASE_TIMEOUT, retry_policy=DATABASE_RETRY,
            summary=f"register {self.reserved_number or incident.service} incident, known-error check, recent changes",
        )  # fmt: skip
        if not self._take_registration(steps.registration):
            return False
        self._categorize_by_summary(category_hint)
        self._take_known_error(steps.known_error)
        if not incident.is_closed and steps.recent is not None:
            process.note_recent_changes(incident, steps.recent.changes, steps.recent.total, workflow.now())
        return True

    def _registration_request(self) -> RegisterIncident:
        incident = self.incident
        return RegisterIncident(incident_key=self._incident_key(), workflow_id=incident.workflow_id,
                                service=incident.service, summary=incident.summary, source=incident.source,
                                logged_at=incident.logged_at, number=self.reserved_number,
                                previous_workflow_id=self.previous_workflow_id)  # fmt: skip

    def _take_registration(self, registration: Registration) -> bool:
        incident = self.incident
        if registration.refused is not None:
            self._refuse(registration.refused)
            return False
        assert registration.number is not None and registration.agreement is not None
        process.register(incident, number=registration.number, agreement=registration.agreement,
                         previous_number=registration.previous_number, at=workflow.now())  # fmt: skip
        workflow.upsert_memo({"service_manager": registration.agreement.service_manager,
                              "support_lines": registration.agreement.support_lines,
                              "previous_incident": registration.previous_number})  # fmt: skip
        self._changed()
        return True

    def _refuse(self, reason: str) -> None:
        """Outside the agreements: no incident. The auditors' list shows the start as refused, not logged."""
        self.rejection = reason
        workflow.upsert_search_attributes(visibility.refused_pairs())
        workflow.set_current_details(f"refused: {reason}")

    def _categorize_by_summary(self, hint: str | None) -> None:
        incident = self.incident
        assert incident.agreement is not None
        process.categorize(incident, process.choose_category(incident.agreement, incident.summary, hint),
                           workflow.now())  # fmt: skip

    def _take_known_error(self, known: KnownError | None) -> None:
        incident = self.incident
        if known is not None:
            process.close_as_known_error(incident, known, workflow.now())
        self._changed()
