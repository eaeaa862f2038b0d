"""The floor for B1: a bare Temporal workflow of the same shape as IncidentWorkflow, no-op bodies.

Same control flow as workflows/incident.py: one setup activity (registration, known-error check
and recent changes, as release-2026-12-03 takes them), then a main loop that starts one `record` activity (in the background, beside the timers) and one
`notify` activity when notifying entries are pending, and sleeps on a condition with a timeout (a
timer, as the real agreed times are) between passes; six updates (registered, ack, diagnose, workaround, resolve, confirm); a memo upsert and, at the
end of a workflow task that changed the state, one search-attribute upsert, as the incident makes them. No Postgres, no pydantic, no domain rules:
what is left is Temporal. A no-op record is faster than the real one, so more updates would find
it idle and get a record each, and its loop wakes less often: `records`, `notifies` and
`extra_timers` (from the real histories, counted by B1) make the counts the same. B1 counts both histories and prints them side by side, so a drift in shape shows.

`python -m bench.bare_workflow` runs its worker (INCIDENT_TASK_QUEUE, TEMPORAL_ADDRESS).
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair

STEP_TIMEOUT = timedelta(seconds=30)
EXTRA_TIMER = timedelta(hours=3)  # told apart from the loop's own (2 h) when B1 counts them
STATE = SearchAttributeKey.for_keyword("IncidentState")
# the steps that write a notifying timeline entry in the real workflow (domain: prioritize,
# apply_workaround, resolve, close)
NOTIFYING = frozenset({"open", "workaround", "resolve", "confirm"})


@dataclass
class BareInput:
    name: str
    # How many the real histories hold (counted by B1), so the floor has the same shape although its
    # no-op steps finish sooner; 0: as many as the control flow makes.
    records: int = 0  # record activities in all (the last one at the end)
    notifies: int = 0  # notify activities in all (the last one at the end)
    timers: int = 0  # waits with a timer at most (the later ones wait without one)
    extra_timers: int = 0  # a second timer beside the first waits' own, when the real one makes more waits
    pages: int = 0  # page activities (an urgent incident pages its on-call when prioritized), beside the loop


@dataclass
class BareAction:
    actor: str


@activity.defn
async def bare_step(name: str) -> str:
    return name


@workflow.defn
class BareWorkflow:
    @workflow.init
    def __init__(self, request: BareInput) -> None:
        self.state = self.shown = "logged"
        self.show_due = False
        self.registered = False
        self.closed = False
        self.changes = 0
        self.entries = 0
        self.recorded = 0
        self.records_done = 0
        self.records = request.records
        self.notifies, self.notifies_done = request.notifies, 0
        self.timers, self.extra_timers = request.timers, request.extra_timers
        self.waits = 0  # waits with a timer so far
        self.undelivered = False
        self.notifying: list[bool] = []  # per entry
        self.delivery: asyncio.Task[Any] | None = None
        self.projection: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, request: BareInput) -> str:
        await self._step("first_steps")  # registration, the known-error check and the recent changes
        workflow.upsert_memo({"service_manager": "nobody"})
        self._changed("registered", notify=False)
        self._changed("categorized", notify=False)
        self.registered = True
        self._changed("prioritized", notify=True)
        pages = [workflow.start_activity(bare_step, "page", start_to_close_timeout=STEP_TIMEOUT)
                 for _ in range(request.pages)]  # fmt: skip
        while not self.closed:
            self._start_projection()  # beside the timer, as the real record is
            self._start_delivery()
            if not self.closed:
                await self._wait_for_change()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*pages)
        if self.projection is not None and not self.projection.done():
            await self.projection
        await self._project(final=True)
        while self.undelivered or (self.delivery is not None and not self.delivery.done()):
            if self.delivery is not None and not self.delivery.done():
                await self.delivery
            self._start_delivery(final=True)
        return self.state

    async def _wait_for_change(self) -> None:
        """The real workflow always has an agreed time ahead while open: a wait is a timer."""
        seen = self.changes
        if self.timers and self.waits >= self.timers:
            await workflow.wait_condition(lambda: self.changes != seen)
            return
        self.waits += 1
        extra = None
        if self.extra_timers > 0:  # started and cancelled with the wait, as a timer of the real loop is
            self.extra_timers -= 1
            extra = asyncio.create_task(workflow.sleep(EXTRA_TIMER))
        try:
            await workflow.wait_condition(lambda: self.changes != seen, timeout=timedelta(hours=2))
        except TimeoutError:
            self._changed(self.state, notify=False)
        finally:
            if extra is not None:
                extra.cancel()

    async def _step(self, name: str) -> None:
        await workflow.execute_activity(bare_step, name, start_to_close_timeout=STEP_TIMEOUT)

    def _start_projection(self) -> None:
        """One record at a time in the background; the last one of `records` is kept for the end."""
        if self.projection is not None and not self.projection.done():
            return
        if self.recorded < self.entries and (not self.records or self.records_done < self.records - 1):
            self.projection = asyncio.create_task(self._project())
            self.projection.add_done_callback(lambda _: self._wake())

    async def _project(self, final: bool = False) -> None:
        while self.recorded < self.entries or (final and self.records_done < self.records):
            if self.records and self.records_done >= self.records - 1 and not final:
                return
            entries = self.entries
            await self._step("record")
            self.records_done += 1
            # as in the real workflow, a notification goes out once its entry is recorded
            self.undelivered = self.undelivered or any(self.notifying[self.recorded : entries])
            self.recorded = entries

    def _start_delivery(self, final: bool = False) -> None:
        if not self.undelivered or (self.delivery is not None and not self.delivery.done()):
            return
        if self.notifies and self.notifies_done >= self.notifies - 1 and not final:
            return  # the last delivery is kept for the end
        self.notifies_done += 1
        self.undelivered = False
        self.delivery = workflow.start_activity(bare_step, "notify", start_to_close_timeout=STEP_TIMEOUT)
        self.delivery.add_done_callback(lambda _: self._wake())

    def _wake(self) -> None:
        self.changes += 1

    def _changed(self, state: str, notify: bool) -> None:
        self.changes += 1
        self.entries += 1
        self.notifying.append(notify)
        if state != self.state and not self.show_due:  # as the real Web UI: one upsert per workflow task
            self.show_due = True
            asyncio.get_running_loop().call_soon(self._show)
        self.state = state

    def _show(self) -> None:
        self.show_due = False
        if self.state != self.shown:
            workflow.upsert_search_attributes([SearchAttributePair(STATE, self.state)])
            self.shown = self.state

    def _act(self, step: str, state: str) -> dict[str, Any]:
        self._changed(state, notify=step in NOTIFYING)
        return {"state": self.state, "step": step}

    @workflow.update
    async def registered(self, request: BareAction) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.registered)
        return {"state": self.state}

    @workflow.update
    def ack(self, request: BareAction) -> dict[str, Any]:
        return self._act("ack", "in_progress")

    @workflow.update
    def diagnose(self, request: BareAction) -> dict[str, Any]:
        return self._act("diagnose", "in_progress")

    @workflow.update
    def workaround(self, request: BareAction) -> dict[str, Any]:
        return self._act("workaround", "restored")

    @workflow.update
    def resolve(self, request: BareAction) -> dict[str, Any]:
        return self._act("resolve", "resolved")

    @workflow.update
    def confirm(self, request: BareAction) -> dict[str, Any]:
        self.closed = True
        return self._act("confirm", "closed")


@workflow.defn
class BareTimerWorkflow:
    """The floor for B4's timer lateness: one timer to an absolute deadline, nothing else."""

    @workflow.run
    async def run(self, deadline: str) -> float:
        due = datetime.fromisoformat(deadline)
        await workflow.sleep(0.1)  # first: the cost of a new workflow (the sandbox import) is not the timer's
        await workflow.sleep(max((due - workflow.now()).total_seconds(), 0.001))
        return (workflow.now() - due).total_seconds()


async def _serve() -> None:
    import os
    import signal

    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    # SDK defaults, as worker.build_worker: the ratio measures the product, not the tuning
    from worker import ACTIVITY_SLOTS, WORKFLOW_TASK_SLOTS  # the same slots as the pipeline's worker

    async with Worker(client, task_queue=os.environ["INCIDENT_TASK_QUEUE"], workflows=[BareWorkflow, BareTimerWorkflow],
                      activities=[bare_step], max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
                      max_concurrent_activities=ACTIVITY_SLOTS):  # fmt: skip
        print("bare worker started", flush=True)
        await stop.wait()


if __name__ == "__main__":
    from runtime.process_exit import exit_now

    asyncio.run(_serve())
    exit_now(0)
