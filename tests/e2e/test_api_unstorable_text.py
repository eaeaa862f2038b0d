"""Text PostgreSQL cannot hold (a NUL character; an unpaired surrogate, which is no UTF-8 at all) in an
engineer action's body is refused at the API's edge, as a 400 naming the field: were it sent, the
workflow would take it and every write of its record would fail, for ever."""

import asyncio
import json
import time
from typing import Any

import asyncpg
from temporalio.client import Client, WorkflowHandle

from tests.e2e.test_api_incidents import call, problem_of

NUL, SURROGATE = "a\u0000b", "a\ud800b"
# each text an engineer types into an action, as (action, body without the text, field)
TEXTS = [
    ("note", {}, "text"),
    ("update", {}, "text"),
    ("diagnose", {}, "finding"),
    ("workaround", {}, "text"),
    ("hold", {"reason": "caller"}, "text"),
    ("resolve", {}, "resolution"),
    ("assign", {"group": "platform-sre"}, "person"),
    ("escalate", {"management": True}, "reason"),
    ("priority", {"impact": 1, "urgency": 1}, "reason"),
    ("reopen", {}, "reason"),
    ("cancel", {}, "reason"),
    ("note", {"text": "fine"}, "as"),
    ("note", {"text": "fine"}, "request_id"),
]


async def _updates(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The names of the updates the workflow accepted (opening it sends one of its own)."""
    history = await handle.fetch_history()
    accepted = "workflow_execution_update_accepted_event_attributes"
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in history.events
        if event.HasField(accepted)
    ]


async def _recorded_state(pool: asyncpg.Pool, number: str, state: str) -> str:
    deadline = time.monotonic() + 30
    while (found := await pool.fetchval("SELECT state FROM incidents WHERE number = $1", number)) != state:
        assert time.monotonic() < deadline, f"the record of {number} stays {found}, never {state}"
        await asyncio.sleep(0.2)
    return found


async def test_text_the_record_cannot_hold_is_refused_naming_its_field_and_never_reaches_the_workflow(
    api_url: str, api_token: str, pool: asyncpg.Pool, dev_client: Client
) -> None:
    opened = await call(api_url, "POST", "/v1/incidents", api_token, {"service": "checkout", "summary": "stuck cart"})
    assert opened[0] == 201, opened
    number, handle = opened[2]["number"], dev_client.get_workflow_handle(opened[2]["workflow_id"])
    updates_before = await _updates(handle)
    for action, body, field in TEXTS:
        for text in (NUL, SURROGATE):
            # aiohttp's json= would refuse the surrogate: the body is written as a client in another language would
            raw = json.dumps({**body, field: text}).encode()
            answered = await call(api_url, "POST", f"/v1/incidents/{number}/actions/{action}", api_token, raw=raw)
            status, detail = problem_of(400, answered[1], answered[2])
            assert status == answered[0] == 400 and detail.startswith(f"body.{field}: "), (action, field, answered)
    assert await _updates(handle) == updates_before, "a refused action reached the workflow"
    # the incident goes on, and so does its record
    acked = await call(api_url, "POST", f"/v1/incidents/{number}/actions/ack", api_token, {})
    assert acked[0] == 200 and acked[2]["state"] == "in_progress", acked
    await _recorded_state(pool, number, "in_progress")
