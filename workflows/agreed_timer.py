"""The one durable timer an incident keeps running: for the next agreed time (domain.timers).

A timer is started only when the next agreed time changes, not again at every change of the
incident: a note, an acknowledgement or a record written leave the restore target where it was,
and restarting its timer each time filled the history with started/cancelled pairs (the README
walk-through: 136 events, `response target` started 3 times, `stakeholder update` 4).
"""

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.incident import Incident
    from domain.timers import DueTimer

SHORTEST_WAIT = timedelta(milliseconds=1)  # a deadline already passed fires at once


class AgreedTimer:
    def __init__(self) -> None:
        self.due: DueTimer | None = None
        self._task: asyncio.Task[None] | None = None

    def aim(self, due: DueTimer | None, incident: Incident) -> None:
        """Keep the running timer if it is for `due`; otherwise cancel it and start one for `due`."""
        if due == self.due and self._task is not None:
            return
        if self._task is not None and not self._task.done() and self.due is not None and self.due.at > workflow.now():
            # a timer whose time has come may have fired in this very activation: cancelling it then
            # is a command for a timer that is gone (the time-skipping server refuses the whole task)
            self._task.cancel()
        self.due, self._task = due, None
        if due is not None:
            wait = max(due.at - workflow.now(), SHORTEST_WAIT)
            self._task = asyncio.ensure_future(workflow.sleep(wait, summary=due.summary(incident)))

    @property
    def fired(self) -> bool:
        return self._task is not None and self._task.done() and not self._task.cancelled()

    def take(self) -> DueTimer | None:
        """The agreed time that came, once; the next aim() starts the timer after it."""
        due, self.due, self._task = self.due, None, None
        return due
