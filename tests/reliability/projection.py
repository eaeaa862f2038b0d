"""Does Postgres agree with the workflows? One row per timeline entry, no gap, no extra, same outbox.

The workflow's timeline (the `view` query) is the source of truth; each entry's notify list is
read from the workflow's own history (the inputs of its `record_timeline` activities), so the
check does not trust the rows it checks.
"""

import asyncio
from datetime import datetime
from typing import Any

import asyncpg
from temporalio.client import Client

from activities.records import TimelineBatch
from domain.commands import OpenIncident, ViewRequest
from starter.incidents import open_numbered
from workflows.incident import IncidentWorkflow

OPEN_CONCURRENCY = 16
# what must never appear in an incident's history, whatever was killed
FAILURE_EVENTS = (
    "workflow_task_failed_event_attributes", "activity_task_failed_event_attributes",
    "activity_task_timed_out_event_attributes", "workflow_execution_failed_event_attributes",
    "workflow_execution_timed_out_event_attributes", "workflow_execution_terminated_event_attributes",
)  # fmt: skip


async def open_many(client: Client, stack: Any, count: int, service: str, summary: str,
                    scale: tuple[int, int] = (3, 3)) -> list[dict[str, Any]]:  # fmt: skip
    """`count` incidents, numbered, registered and prioritized, a few at a time (the server is one SQLite file)."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=OPEN_CONCURRENCY)

    async def one(index: int) -> dict[str, Any]:
        async with gate:
            request = OpenIncident(service=service, summary=f"{summary} #{index}", impact=scale[0], urgency=scale[1])
            return await open_numbered(client, pool, stack.task_queue, request, actor="reliability")

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        await pool.close()


async def view_of(client: Client, workflow_id: str, history: bool = True) -> dict[str, Any]:
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, workflow_id)
    return await handle.query(IncidentWorkflow.view, ViewRequest(history=history))


async def history_facts(client: Client, workflow_id: str) -> tuple[dict[int, list[str]], list[str]]:
    """From the workflow's own history: seq -> audiences as handed to `record_timeline`, and failures.

    A failure is a failed workflow task (e.g. nondeterminism after a crash), a failed or
    timed-out activity (retries exhausted), or a workflow that failed, timed out or was terminated.
    """
    notify: dict[int, list[str]] = {}
    failures: list[str] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == "record_timeline":
                [batch] = await client.data_converter.decode(scheduled.input.payloads, [TimelineBatch])
                notify.update({entry.seq: list(entry.notify) for entry in batch.entries})
        for kind in FAILURE_EVENTS:
            if event.HasField(kind):
                failures.append(f"{workflow_id}: event {event.event_id} {kind.removesuffix('_event_attributes')}")
    return notify, failures


async def audit(client: Client, pool: asyncpg.Pool, workflow_id: str) -> list[str]:
    """Everything in Postgres that disagrees with the workflow, and every failure in its history."""
    view = await view_of(client, workflow_id)
    number, timeline = view["number"], view["history"]
    problems: list[str] = []
    rows = await pool.fetch("SELECT * FROM incident_events WHERE number = $1 ORDER BY seq", number)
    seqs = [row["seq"] for row in rows]
    if seqs != list(range(1, len(timeline) + 1)):
        problems.append(f"{number}: incident_events seq {seqs}, timeline has {len(timeline)} entries")
    else:
        for entry, row in zip(timeline, rows):
            ours = (datetime.fromisoformat(entry["at"]), entry["actor"], entry["action"], entry["from"], entry["to"],
                    entry["detail"])  # fmt: skip
            theirs = (row["at"], row["actor"], row["action"], row["from_state"], row["to_state"], row["detail"])
            if ours != theirs:
                problems.append(f"{number} seq {row['seq']}: row {theirs} != timeline {ours}")
    records = await pool.fetch("SELECT state, last_seq FROM incidents WHERE number = $1", number)
    if len(records) != 1:
        problems.append(f"{number}: {len(records)} incidents rows")
    elif (records[0]["state"], records[0]["last_seq"]) != (view["state"], len(timeline)):
        problems.append(f"{number}: record {dict(records[0])}, workflow {view['state']} with {len(timeline)} entries")
    notify, failures = await history_facts(client, workflow_id)
    problems += failures
    if sorted(notify) != list(range(1, len(timeline) + 1)):
        problems.append(f"{number}: record_timeline inputs cover seq {sorted(notify)}")
    expected = sorted((seq, audience) for seq, audiences in notify.items() for audience in audiences)
    found = sorted((row["seq"], row["audience"]) for row in await pool.fetch(
        "SELECT seq, audience FROM notification_outbox WHERE number = $1", number))  # fmt: skip
    if found != expected:
        problems.append(f"{number}: outbox {found} != notify lists {expected}")
    return problems


async def audit_all(client: Client, pool: asyncpg.Pool, workflow_ids: list[str]) -> list[str]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(workflow_id: str) -> list[str]:
        async with gate:
            return await audit(client, pool, workflow_id)

    return [p for problems in await asyncio.gather(*(one(w) for w in workflow_ids)) for p in problems]


async def projected_up_to_date(client: Client, pool: asyncpg.Pool, workflow_ids: list[str]) -> bool:
    """A cheap poll: every incidents row is at its workflow's state and last timeline entry."""
    views = await asyncio.gather(*(view_of(client, w) for w in workflow_ids))
    rows = await pool.fetch("SELECT workflow_id, state, last_seq FROM incidents WHERE workflow_id = ANY($1::text[])",
                            workflow_ids)  # fmt: skip
    by_id = {row["workflow_id"]: row for row in rows}
    return all(w in by_id and (by_id[w]["state"], by_id[w]["last_seq"]) == (v["state"], len(v["history"]))
               for w, v in zip(workflow_ids, views))  # fmt: skip
