"""The floor for B1: a bare Temporal workflow of the same shape as IncidentWorkflow, no-op bodies.

Same control flow as workflows/incident.py: two setup activities (register, known-error check),
then a main loop that runs one `record` activity per pass and starts one `notify` activity beside
it when notifying entries are pending, sleeping on a condition with a timeout (a timer) between
passes; six updates (registered, ack, diagnose, workaround, resolve, confirm); a search-attribute
upsert and a memo upsert where the incident makes them. No Postgres, no pydantic, no domain rules:
what is left is Temporal. A no-op record is faster than the real one, so more updates would find
it idle and get a record each: `records` (counted in the real histories by B1) fixes how many
there are. B1 counts both histories and prints them side by side, so a drift in shape shows.

`python -m bench.bare_workflow` runs its worker (INCIDENT_TASK_QUEUE, TEMPORAL_ADDRESS).
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair

STEP_TIMEOUT = timedelta(seconds=30)
STATE = SearchAttributeKey.for_keyword("IncidentState")
# the steps that write a notifying timeline entry in the real workflow (domain: prioritize,
# apply_workaround, resolve, close)
NOTIFYING = frozenset({"open", "workaround", "resolve", "confirm"})


@dataclass
class BareInput:
    name: str
    records: int = 0  # record activities in all (the last one at the end); 0: one per pass


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
        self.state = "logged"
        self.registered = False
        self.closed = False
        self.changes = 0
        self.entries = 0
        self.recorded = 0
        self.records_done = 0
        self.records = request.records
        self.undelivered = False
        self.delivery: asyncio.Task[Any] | None = None

    @workflow.run
    async def run(self, request: BareInput) -> str:
        await self._step("register")
        workflow.upsert_memo({"service_manager": "nobody"})
        self._changed("registered", notify=False)
        await self._step("known_error")
        self._changed("categorized", notify=False)
        self.registered = True
        self._changed("prioritized", notify=True)
        while not self.closed:
            await self._project()
            self._start_delivery()
            if not self.closed:
                seen = self.changes
                try:
                    await workflow.wait_condition(lambda: self.changes != seen, timeout=timedelta(hours=2))
                except asyncio.TimeoutError:
                    self._changed(self.state, notify=False)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._project(final=True)
        while self.undelivered or (self.delivery is not None and not self.delivery.done()):
            if self.delivery is not None and not self.delivery.done():
                await self.delivery
            self._start_delivery()
        return self.state

    async def _step(self, name: str) -> None:
        await workflow.execute_activity(bare_step, name, start_to_close_timeout=STEP_TIMEOUT)

    async def _project(self, final: bool = False) -> None:
        while self.recorded < self.entries or (final and self.records_done < self.records):
            if self.records and self.records_done >= self.records - 1 and not final:
                # the last record is kept for the end; as in the real loop, which keeps recording
                # while updates keep coming, no timer is started meanwhile
                await workflow.wait_condition(lambda: self.closed)
                return
            entries = self.entries
            await self._step("record")
            self.records_done += 1
            self.recorded = entries

    def _start_delivery(self) -> None:
        if not self.undelivered or (self.delivery is not None and not self.delivery.done()):
            return
        workflow.patched("deliver-notifications")  # a marker and an upsert, as in the real workflow
        self.undelivered = False
        self.delivery = workflow.start_activity(bare_step, "notify", start_to_close_timeout=STEP_TIMEOUT)
        self.delivery.add_done_callback(lambda _: self._wake())

    def _wake(self) -> None:
        self.changes += 1

    def _changed(self, state: str, notify: bool) -> None:
        self.changes += 1
        self.entries += 1
        self.undelivered = self.undelivered or notify
        if state != self.state:
            workflow.upsert_search_attributes([SearchAttributePair(STATE, state)])
        self.state = state

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
    async with Worker(client, task_queue=os.environ["INCIDENT_TASK_QUEUE"], workflows=[BareWorkflow, BareTimerWorkflow],
                      activities=[bare_step]):  # fmt: skip
        print("bare worker started", flush=True)
        await stop.wait()


if __name__ == "__main__":
    from starter.process_exit import exit_now

    asyncio.run(_serve())
    exit_now(0)
