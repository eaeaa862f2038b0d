"""The workflow's main loop waits here: until something changes (a handler, a task ending) or the
agreed timer fires (domain.timers: response and restore targets, warnings, stakeholder updates, pages)."""

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import timers
    from domain.incident_state import IncidentState
    from workflows.agreed_timer import AgreedTimer
    from workflows.steps.paging import Pager


class Waiting:
    def __init__(self, state: IncidentState, pager: Pager, changed: Callable[[], None]) -> None:
        self.state, self.pager, self.changed = state, pager, changed
        self.changes = 0  # moved by wake(): the main loop wakes when it moves
        self.timer = AgreedTimer()

    def wake(self) -> None:
        self.changes += 1

    async def for_change_or_next_timer(self) -> None:
        """Until something changes or the agreed timer fires; an unchanged timer keeps running."""
        incident = self.state.incident
        if self.pager.due():  # a page due now goes out now, not after a timer
            self.pager.page_due_steps()
            return
        seen = self.changes
        self.timer.aim(timers.next_timer(incident, workflow.now()), incident)
        await workflow.wait_condition(lambda: self.changes != seen or self.timer.fired)
        if self.timer.fired:
            due = self.timer.take()
            # a change in the same task may have moved it: then the next aim() starts the right one
            if due is not None and due == timers.next_timer(incident, workflow.now()):
                if due.kind is timers.TimerKind.PAGE:
                    self.pager.page_due_steps()
                else:
                    timers.fire(incident, due.kind, workflow.now())
                    self.changed()
