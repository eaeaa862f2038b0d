"""The first steps of a new incident: registration (its number, or a refusal visible as refused), then
categorization with the known-error check, and the changes made to the service just before it was logged.

The database answers all three in one activity: one round trip before the incident is prioritized
and paged. From release 1.2 it runs as a local activity, inside the incident's first workflow task: its
page is scheduled in the same task, without a trip through a task queue and a second workflow task in
between, the two waits that stretch most while a storm keeps the server busy (make bench B7)."""

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.registration import FirstSteps, RegisterIncident, RegistrationActivities
    from domain import process
    from domain.commands import OpenIncident
    from domain.incident_state import IncidentState
    from workflows import visibility
    from workflows.releases import Patches
    from workflows.timeouts import DATABASE_RETRY, DATABASE_TIMEOUT


class Registration:
    def __init__(
        self,
        state: IncidentState,
        request: OpenIncident,
        incident_key: Callable[[], str],
        changed: Callable[[], None],
        patches: Patches,
    ) -> None:
        self.state, self.incident_key, self.changed, self.patches = state, incident_key, changed, patches
        self.number = request.number  # reserved at intake; None: the next incident on a closed one's id
        self.previous_workflow_id = request.previous_workflow_id

    async def register(self) -> FirstSteps | None:
        """Registered under its number, with its agreement; None when the service is outside the
        agreements (refused: no incident). The answer holds what categorization needs too."""
        incident = self.state.incident
        execute = (
            workflow.execute_local_activity_method
            if self.patches("registration-in-the-workflow-task")
            else workflow.execute_activity_method
        )
        steps: FirstSteps = await execute(
            RegistrationActivities.register_and_look_up,
            self._request(),
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=DATABASE_RETRY,
            summary=f"register {self.number or incident.service} incident, known-error check, recent changes",
        )
        registration = steps.registration
        if registration.refused is not None:
            self._refuse(registration.refused)
            return None
        assert registration.number is not None and registration.agreement is not None
        process.register(
            incident,
            number=registration.number,
            agreement=registration.agreement,
            previous_number=registration.previous_number,
            at=workflow.now(),
        )
        workflow.upsert_memo(
            {
                "service_manager": registration.agreement.service_manager,
                "support_lines": registration.agreement.support_lines,
                "previous_incident": registration.previous_number,
            }
        )
        self.changed()
        return steps

    def categorize(self, steps: FirstSteps, hint: str | None) -> None:
        """Categorized by its summary (or the reporter's hint), closed at once when a known error
        matches, and the service's recent changes noted for the diagnosis."""
        incident = self.state.incident
        assert incident.agreement is not None
        process.categorize(
            incident, process.choose_category(incident.agreement, incident.summary, hint), workflow.now()
        )
        if steps.known_error is not None:
            process.close_as_known_error(incident, steps.known_error, workflow.now())
        self.changed()
        if not incident.is_closed and steps.recent is not None:
            process.note_recent_changes(incident, steps.recent.changes, steps.recent.total, workflow.now())

    def _request(self) -> RegisterIncident:
        incident = self.state.incident
        return RegisterIncident(
            incident_key=self.incident_key(),
            workflow_id=incident.workflow_id,
            service=incident.service,
            summary=incident.summary,
            source=incident.source,
            logged_at=incident.logged_at,
            number=self.number,
            previous_workflow_id=self.previous_workflow_id,
        )

    def _refuse(self, reason: str) -> None:
        """Outside the agreements: no incident. The auditors' list shows the start as refused, not logged."""
        self.state.rejection = reason
        workflow.upsert_search_attributes(visibility.refused_pairs())
        workflow.set_current_details(f"refused: {reason}")
