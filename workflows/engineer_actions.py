"""The Updates engineers send (incidentctl), registered from workflows.contract.ENGINEER_UPDATES.

Each has a validator, so a refused action never reaches history; each handler checks the state
again, because an earlier update in the same workflow task may have moved the incident since its
validator ran. Names the service does not have (a group, a category) are checked by the validator
alone: validators do not run on replay, so updates older incidents accepted stay accepted. Another
team's group is taken when the sender found it in the catalog (`known_as`: incidentctl checks it).
"""

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.commands import ENGINEER_INPUTS, EngineerInput
    from domain.enums import Action
    from domain.incident import Incident
    from domain.lifecycle import refusal
    from domain.view import incident_view
    from workflows.contract import ENGINEER_UPDATES, ILLEGAL_TRANSITION, name_of


class EngineerActions:
    """Mixed into IncidentWorkflow, which owns `incident` and `_changed()`."""

    incident: Incident
    _changed: Callable[[], None]  # IncidentWorkflow's: wakes the main loop, refreshes the Web UI

    def _register_engineer_updates(self) -> None:
        """Called from the workflow's __init__, before any update can arrive."""
        for name, update in ENGINEER_UPDATES.items():
            handler, validator = self._handlers_for(Action(name), ENGINEER_INPUTS[name])
            workflow.set_update_handler(name_of(update), handler, validator=validator)

    def _handlers_for(
        self, action: Action, model: type[EngineerInput]
    ) -> tuple[Callable[..., Any], Callable[..., None]]:

        # The SDK decodes an update's input by its handler's type hints: `model` is the input model.
        def handle(request: model) -> dict[str, Any]:  # type: ignore[valid-type]
            self._check(action, request.refusal(self.incident))
            request.apply(self.incident, workflow.now())
            self._changed()
            return self._view()

        def validate(request: model) -> None:  # type: ignore[valid-type]
            self._check(action, request.refusal(self.incident) or request.unknown_names(self.incident))

        return handle, validate

    def _view(self, history: bool = False) -> dict[str, Any]:
        return incident_view(self.incident, workflow.now(), history=history)

    def _check(self, action: Action, extra: str | None = None) -> None:
        reason = refusal(self.incident, action) or extra
        if reason is not None:
            raise ApplicationError(reason, type=ILLEGAL_TRANSITION, non_retryable=True)
