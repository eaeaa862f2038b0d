"""Small steps the workflow tests share: open an incident, read its story, wait for Postgres.

The time-skipping server does not skip time while a client waits on an update, so
tests move the clock with `skipping.env.sleep(...)` between updates.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

import asyncpg
import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.alerts import AlertEvent
from domain.commands import ENGINEER_INPUTS, AlertBatch, OpenIncident, ViewRequest
from domain.enums import Source
from starter.incidents import open_numbered
from stores.incidents import reserve_number
from tests.workflows.skipping_server import SkippingEnv
from workflows.contract import ENGINEER_UPDATES, IncidentContract, name_of
from workflows.incident import IncidentWorkflow

T = TypeVar("T")
Handle = WorkflowHandle[IncidentWorkflow, Any]
POLL_SECONDS = 5.0
Status = Literal["firing", "resolved", "acknowledged"]
UPDATE_OF_INPUT = {model: ENGINEER_UPDATES[command] for command, model in ENGINEER_INPUTS.items()}


async def open_on(skipping: SkippingEnv, service: str, summary: str, impact: int | None = None,
                  urgency: int | None = None, **fields: Any) -> tuple[dict[str, Any], Handle]:  # fmt: skip
    """Open an incident as engineer alice; returns the first view and the workflow handle."""
    request = OpenIncident(service=service, summary=summary, impact=impact, urgency=urgency, **fields)
    view = await open_numbered(skipping.client, skipping.pool, skipping.task_queue, request, actor="alice")
    return view, skipping.client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"])


async def send(handle: WorkflowHandle[Any, Any], request: BaseModel, **options: Any) -> dict[str, Any]:
    """Send an engineer update (the one its input model is for), as incidentctl does."""
    return await handle.execute_update(UPDATE_OF_INPUT[type(request)], request, result_type=dict, **options)


async def show(handle: Handle) -> dict[str, Any]:
    """The incident object with its history, as `incidentctl show --history` prints it."""
    return await handle.query(IncidentWorkflow.view, ViewRequest(history=True))


async def current_details(handle: Handle) -> str:
    """What the Web UI shows on the workflow page (set by workflow.set_current_details)."""
    return (await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)).current_details


PAGING = frozenset({"page", "page_ack", "paging_exhausted"})  # tests/workflows/test_paging.py checks these


def process_steps(actions: list[str]) -> list[str]:
    """The actions of a story without its paging, which its own tests check."""
    return [a for a in actions if a not in PAGING]


async def actions(handle: Handle) -> list[str]:
    return [entry["action"] for entry in (await show(handle))["history"]]


def entries(view: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [entry for entry in view["history"] if entry["action"] == action]


def at(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def near(expected: timedelta) -> Any:
    """A timer fires at its deadline plus the few milliseconds of its workflow task."""
    return pytest.approx(expected, abs=timedelta(seconds=5))


async def eventually(probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], seconds: float = POLL_SECONDS) -> T:
    """Poll `probe` until `ok(value)`; the projection and signals land a moment after the call returns."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await probe()
        if ok(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


async def state_becomes(handle: Handle, state: str) -> dict[str, Any]:
    view = await eventually(lambda: show(handle), lambda v: v["state"] == state)
    assert view["state"] == state, f"still {view['state']}: {[e['action'] for e in view['history']]}"
    return view


async def pass_time(skipping: SkippingEnv, duration: timedelta) -> None:
    await skipping.env.sleep(duration)


async def projected(pool: asyncpg.Pool, number: str, ok: Callable[[asyncpg.Record], bool]) -> asyncpg.Record:
    """The incidents row once `ok` holds (the main loop writes it just after each change)."""
    row = await eventually(lambda: pool.fetchrow("SELECT * FROM incidents WHERE number = $1", number),
                           lambda r: r is not None and ok(r))  # fmt: skip
    assert row is not None and ok(row), dict(row) if row else f"no row for {number}"
    return row


async def outbox(pool: asyncpg.Pool, number: str, action: str, at_least: int = 1) -> list[str]:
    """Audiences of the notifications written for `action`, once there are `at_least` of them."""
    rows = await eventually(
        lambda: pool.fetch("SELECT audience FROM notification_outbox WHERE number = $1 AND action = $2"
                           " ORDER BY seq, audience", number, action),
        lambda rs: len(rs) >= at_least,
    )  # fmt: skip
    return [r["audience"] for r in rows]


async def refused(update: Awaitable[Any]) -> str:
    """Run an update that must be refused; returns the one-line reason."""
    try:
        await update
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError), err.cause
        assert err.cause.type == "IllegalTransition", err.cause.type
        return err.cause.message
    raise AssertionError("the update was accepted")


HAND_OVER_AFTER_EVENTS = 60


@contextmanager
def continue_as_new_suggested_after(events: int = HAND_OVER_AFTER_EVENTS) -> Iterator[None]:
    """Make the server's continue-as-new suggestion come after `events` instead of thousands.

    temporalio is shared with the workflow sandbox, so the production worker and workflow
    code run unchanged. Replaying a history recorded under it needs it too.
    """
    original = workflow.Info.is_continue_as_new_suggested
    workflow.Info.is_continue_as_new_suggested = lambda info: info.get_current_history_length() > events  # type: ignore
    try:
        yield
    finally:
        workflow.Info.is_continue_as_new_suggested = original  # type: ignore[method-assign]


async def history_length(handle: Handle) -> int:
    return len((await handle.fetch_history()).events)


async def settled_history_length(handle: Handle) -> int:
    """The history length once the main loop has written the projection and gone back to sleep."""
    lengths: list[int] = []
    deadline = asyncio.get_running_loop().time() + POLL_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        lengths.append(await history_length(handle))
        if len(lengths) >= 3 and lengths[-3:] == [lengths[-1]] * 3:
            return lengths[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the workflow never settled: history lengths {lengths}")


# The test server has no speculative workflow tasks: a refused update leaves an empty
# workflow task behind (the real server leaves nothing). Nothing else may appear.
WORKFLOW_TASK_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
)


async def events_since(handle: Handle, length: int) -> list[str]:
    """The events after the first `length` that are more than workflow task bookkeeping."""
    events = (await handle.fetch_history()).events[length:]
    return [EventType.Name(e.event_type) for e in events if e.event_type not in WORKFLOW_TASK_EVENTS]


async def alert_incident(skipping: SkippingEnv, severity: str = "error") -> Handle:
    """As the receiver opens one: numbered, started with the first firing alert (signal-with-start).
    Checkout, severity error: impact 2 x urgency 1 = P2."""
    number = await reserve_number(skipping.pool)
    now = await skipping.env.get_current_time()
    handle = await skipping.client.start_workflow(
        IncidentWorkflow.run,
        OpenIncident(service="checkout", summary="HighErrorRate", source=Source.EVENTS_API, severity=severity,
                     number=number),  # fmt: skip
        id=number, task_queue=skipping.task_queue, start_signal=name_of(IncidentContract.alert),
        start_signal_args=[AlertBatch(actor="events_api", events=[AlertEvent(key="k1", status="firing", at=now)])],
    )  # fmt: skip
    await state_becomes(handle, "prioritized")
    return handle


async def deliver(skipping: SkippingEnv, handle: Handle, status: Status, key: str = "k1") -> str:
    """An events-API delivery through the `alerts` update, as the receiver's forwarder makes it."""
    now = await skipping.env.get_current_time()
    batch = AlertBatch(actor="events_api", events=[AlertEvent(key=key, status=status, at=now)])
    return await handle.execute_update(IncidentWorkflow.alerts, batch)
