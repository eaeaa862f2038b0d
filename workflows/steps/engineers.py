"""What engineers send (incidentctl's updates), checked and applied to the incident.

A validator keeps a refusal out of history; the handler checks again, since an earlier update of the
same workflow task may have moved the incident since its validator ran. Names the service does not
have (a group, a category) are checked by the validator alone: validators do not run on replay, so
what an incident accepted stays accepted. Another team's group is taken when the sender found it in
the catalog (`known_as`: incidentctl checks it).
"""

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.commands import EngineerInput
    from domain.enums import Action
    from domain.incident_state import IncidentState
    from workflows.contract import ILLEGAL_TRANSITION


class Engineers:
    def __init__(self, state: IncidentState, changed: Callable[[], None]) -> None:
        self.state, self.changed = state, changed

    def act(self, action: Action, request: EngineerInput) -> None:
        incident = self.state.incident
        _refuse_if(request.state_refusal(incident, action) or request.refusal(incident))
        request.act(incident, workflow.now())
        self.changed()

    def validate(self, action: Action, request: EngineerInput) -> None:
        incident = self.state.incident
        _refuse_if(
            request.state_refusal(incident, action) or request.refusal(incident) or request.unknown_names(incident)
        )


def _refuse_if(reason: str | None) -> None:
    if reason is not None:
        raise ApplicationError(reason, type=ILLEGAL_TRANSITION, non_retryable=True)
