"""A long, noisy incident hands over to a fresh run (continue-as-new) and carries on unchanged.

The server suggests continue-as-new after thousands of events; here the suggestion comes
after 60 (see `continue_as_new_suggested_after`), with the production worker and code.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from domain.commands import Ack, Confirm, Note, OpenIncident, Resolve, Workaround
from tests.workflows.incident_driver import (
    Handle,
    at,
    continue_as_new_suggested_after,
    current_details,
    entries,
    eventually,
    near,
    open_on,
    pass_time,
    process_steps,
    send,
    show,
    state_becomes,
)  # fmt: skip
from tests.workflows.skipping_server import SkippingEnv
from workflows.incident import IncidentWorkflow


@pytest.fixture
def short_histories() -> Iterator[None]:
    with continue_as_new_suggested_after():
        yield


async def first_and_current_run(handle: Handle) -> tuple[str, str]:
    described = await handle.describe()
    return described.raw_description.workflow_execution_info.first_run_id, described.run_id


async def noisy_incident(skipping: SkippingEnv) -> tuple[dict[str, Any], Handle]:
    view, handle = await open_on(skipping, "payroll", "payslip login error for everyone", impact=1, urgency=2)
    await send(handle, Ack(actor="alice"))
    for n in range(12):
        await send(handle, Note(actor="alice", text=f"checked node {n}"))
    runs = await eventually(lambda: first_and_current_run(handle), lambda r: r[0] != r[1])
    assert runs[0] != runs[1], "the workflow never handed over"
    return view, handle


async def test_a_handed_over_incident_keeps_its_number_story_timers_and_record(
    skipping, pool: asyncpg.Pool, short_histories
):
    view, handle = await noisy_incident(skipping)
    story = await show(handle)
    assert story["number"] == view["number"] and story["state"] == "in_progress"
    assert process_steps([e["action"] for e in story["history"]])[:4] == ["register", "categorize", "prioritize", "ack"]
    assert len(entries(story, "note")) == 12
    await pass_time(skipping, timedelta(hours=8, minutes=1))  # the new run keeps the old deadlines
    story = await show(handle)
    assert at(entries(story, "sla_breach")[0]["at"]) - at(view["logged_at"]) == near(timedelta(hours=8))
    await send(handle, Workaround(actor="alice", text="sessions flushed"))
    await send(handle, Resolve(actor="alice", resolution="cache sized"))
    await send(handle, Confirm(actor="bob"))
    assert (await handle.result()).outcome == "resolved"
    rows = await pool.fetch("SELECT seq, action FROM incident_events WHERE number = $1 ORDER BY seq", view["number"])
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))  # every step once, none twice
    assert [r["action"] for r in rows][-3:] == ["workaround", "resolve", "confirm"]
    assert await pool.fetchval("SELECT count(*) FROM incidents WHERE workflow_id = $1", view["workflow_id"]) == 1


async def test_a_handed_over_incident_still_shows_its_current_details_to_auditors(skipping, short_histories):
    # current details do not carry over continue-as-new: the new run must set them itself
    view, handle = await noisy_incident(skipping)
    details = await eventually(lambda: current_details(handle), lambda d: view["number"] in d)
    assert view["number"] in details and "state **in_progress**" in details


async def test_a_second_incident_on_an_old_workflow_id_that_hands_over_keeps_writing_its_own_record(
    skipping, pool: asyncpg.Pool, short_histories
):
    # Incidents opened before numbers were reserved share one workflow id per alert group: an
    # alert after close continued as new with generation 1. A long second incident handed over
    # without its generation and wrote under the first, closed incident's key.
    handle = await skipping.client.start_workflow(
        IncidentWorkflow.run, OpenIncident(service="payroll", summary="payslip login error", impact=1, urgency=2,
                                           generation=1),  # fmt: skip
        id="alert-am-0123456789abcdef0123", task_queue=skipping.task_queue,
    )  # fmt: skip
    view = await state_becomes(handle, "prioritized")
    await send(handle, Ack(actor="alice"))
    for n in range(12):
        await send(handle, Note(actor="alice", text=f"checked node {n}"))
    runs = await eventually(lambda: first_and_current_run(handle), lambda r: r[0] != r[1])
    assert runs[0] != runs[1], "the workflow never handed over"
    await send(handle, Note(actor="alice", text="after the hand-over"))
    key = await pool.fetchval("SELECT incident_key FROM incidents WHERE number = $1", view["number"])
    assert key.endswith("/1")
    rows = await eventually(
        lambda: pool.fetch("SELECT incident_key, detail FROM incident_events WHERE number = $1 ORDER BY seq",
                           view["number"]),
        lambda rs: any(r["detail"] == "after the hand-over" for r in rs),
    )  # fmt: skip
    assert {r["incident_key"] for r in rows} == {key}  # every entry, before and after, under its own key
    assert rows[-1]["detail"] == "after the hand-over"
