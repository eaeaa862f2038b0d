"""The Updates engineers send (incidentctl). Each has a validator, so a refused action
never reaches history; each handler checks again, because an earlier update in the
same workflow task may have moved the incident since its validator ran.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.errors import ILLEGAL_TRANSITION
    from domain import actions
    from domain.commands import (
        Ack, Assign, Cancel, ChangePriority, Confirm, Diagnose, Escalate, Hold, Note, Reopen, Resolve, Resume,
        Workaround,
    )  # fmt: skip
    from domain.enums import Action, Outcome
    from domain.incident import Incident
    from domain.lifecycle import refusal
    from domain.view import incident_view


class EngineerActions:
    """Mixed into IncidentWorkflow, which owns `incident` and `_changed()`."""

    incident: Incident
    _changed: Callable[[], None]  # IncidentWorkflow's: wakes the main loop, refreshes the Web UI

    def _view(self, history: bool = False) -> dict[str, Any]:
        return incident_view(self.incident, workflow.now(), history=history)

    def _check(self, action: Action, extra: str | None = None) -> None:
        reason = refusal(self.incident, action) or extra
        if reason is not None:
            raise ApplicationError(reason, type=ILLEGAL_TRANSITION, non_retryable=True)

    def _act(self, action: Action, change: Callable[[datetime], None], extra: str | None = None) -> dict[str, Any]:
        self._check(action, extra)
        change(workflow.now())
        self._changed()
        return self._view()

    @workflow.update
    def ack(self, r: Ack) -> dict[str, Any]:
        return self._act(Action.ACK, lambda now: actions.acknowledge(self.incident, r.actor, now))

    @ack.validator
    def _validate_ack(self, r: Ack) -> None:
        self._check(Action.ACK)

    @workflow.update
    def assign(self, r: Assign) -> dict[str, Any]:
        return self._act(Action.ASSIGN, lambda now: actions.assign(self.incident, r.actor, now, r.group, r.person))

    @assign.validator
    def _validate_assign(self, r: Assign) -> None:
        self._check(Action.ASSIGN)

    @workflow.update
    def escalate(self, r: Escalate) -> dict[str, Any]:
        return self._act(Action.ESCALATE, lambda now: actions.escalate(self.incident, r.actor, now, r.to_group, r.reason),
                         actions.escalation_refusal(self.incident, r.to_group))  # fmt: skip

    @escalate.validator
    def _validate_escalate(self, r: Escalate) -> None:
        self._check(Action.ESCALATE, actions.escalation_refusal(self.incident, r.to_group))

    @workflow.update
    def note(self, r: Note) -> dict[str, Any]:
        return self._act(Action.NOTE, lambda now: actions.note(self.incident, r.actor, now, r.text))

    @note.validator
    def _validate_note(self, r: Note) -> None:
        self._check(Action.NOTE)

    @workflow.update
    def diagnose(self, r: Diagnose) -> dict[str, Any]:
        return self._act(Action.DIAGNOSE, lambda now: actions.diagnose(self.incident, r.actor, now, r.finding,
                                                                       self._category(r.category)))  # fmt: skip

    @diagnose.validator
    def _validate_diagnose(self, r: Diagnose) -> None:
        self._check(Action.DIAGNOSE, self._category_refusal(r.category))

    def _category(self, name: str | None) -> Any:
        return self.incident.agreement.category(name) if name and self.incident.agreement else None

    def _category_refusal(self, name: str | None) -> str | None:
        known = [c.name for c in self.incident.agreement.categories] if self.incident.agreement else []
        if name and name not in known:
            return f"{self.incident.display_name}: category {name!r} is not one of {', '.join(known)}"
        return None

    @workflow.update
    def change_priority(self, r: ChangePriority) -> dict[str, Any]:
        return self._act(Action.CHANGE_PRIORITY,
                         lambda now: actions.change_priority(self.incident, r.actor, now, r.impact, r.urgency, r.reason),
                         actions.priority_refusal(self.incident, r.impact, r.urgency))  # fmt: skip

    @change_priority.validator
    def _validate_change_priority(self, r: ChangePriority) -> None:
        self._check(Action.CHANGE_PRIORITY, actions.priority_refusal(self.incident, r.impact, r.urgency))

    @workflow.update
    def hold(self, r: Hold) -> dict[str, Any]:
        return self._act(Action.HOLD, lambda now: actions.hold(self.incident, r.actor, now, r.reason, r.text))

    @hold.validator
    def _validate_hold(self, r: Hold) -> None:
        self._check(Action.HOLD)

    @workflow.update
    def resume(self, r: Resume) -> dict[str, Any]:
        return self._act(Action.RESUME, lambda now: actions.resume(self.incident, r.actor, now))

    @resume.validator
    def _validate_resume(self, r: Resume) -> None:
        self._check(Action.RESUME)

    @workflow.update
    def workaround(self, r: Workaround) -> dict[str, Any]:
        return self._act(Action.WORKAROUND, lambda now: actions.apply_workaround(self.incident, r.actor, now, r.text))

    @workaround.validator
    def _validate_workaround(self, r: Workaround) -> None:
        self._check(Action.WORKAROUND)

    @workflow.update
    def resolve(self, r: Resolve) -> dict[str, Any]:
        return self._act(Action.RESOLVE,
                         lambda now: actions.resolve(self.incident, r.actor, now, r.resolution, r.problem),
                         actions.resolve_refusal(self.incident, r.problem))  # fmt: skip

    @resolve.validator
    def _validate_resolve(self, r: Resolve) -> None:
        self._check(Action.RESOLVE, actions.resolve_refusal(self.incident, r.problem))

    @workflow.update
    def confirm(self, r: Confirm) -> dict[str, Any]:
        return self._act(Action.CONFIRM, lambda now: actions.close(self.incident, r.actor, now, Action.CONFIRM,
                                                                   Outcome.RESOLVED, f"confirmed by {r.actor}"))  # fmt: skip

    @confirm.validator
    def _validate_confirm(self, r: Confirm) -> None:
        self._check(Action.CONFIRM)

    @workflow.update
    def reopen(self, r: Reopen) -> dict[str, Any]:
        return self._act(Action.REOPEN, lambda now: actions.reopen(self.incident, r.actor, now, r.reason))

    @reopen.validator
    def _validate_reopen(self, r: Reopen) -> None:
        self._check(Action.REOPEN)

    @workflow.update
    def cancel(self, r: Cancel) -> dict[str, Any]:
        return self._act(Action.CANCEL, lambda now: actions.close(self.incident, r.actor, now, Action.CANCEL,
                                                                  Outcome.CANCELLED, f"cancelled: {r.reason}"))  # fmt: skip

    @cancel.validator
    def _validate_cancel(self, r: Cancel) -> None:
        self._check(Action.CANCEL)
