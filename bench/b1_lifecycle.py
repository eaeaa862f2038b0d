"""B1 lifecycle throughput: N incidents through open, ack, diagnose, workaround, resolve, confirm,
against the bare workflow of the same shape (bench/bare_workflow.py) on the same server.

Runs `rounds` times in ABBA order (bare, pipeline, pipeline, bare) after a warm-up, so a server
that slows as its SQLite file grows, or a neighbour that steals CPU for a while, weighs on both
sides alike. Each lifecycle is driven step after step, as an engineer would, with `concurrency`
lifecycles in flight; the figure is lifecycles per second, ended workflows only. The bare workflow
gets as many record activities as the pipeline's warm-up histories show; both histories are
counted at the end (activities, updates, timers, upserts, workflow tasks).
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.bare_workflow import BareAction, BareInput, BareWorkflow
from bench.report import say
from bench.stack import Stack
from domain.commands import Ack, Confirm, Diagnose, OpenIncident, Resolve, Workaround
from starter.incidents import open_incident

Drive = Callable[[Client, str, str], Awaitable[None]]
ACTOR = "bench"
LIFECYCLE_TIMEOUT = 120.0  # a workflow task failing (code in flux) must end the bench, not hang it
PIPELINE_STEPS = (("ack", Ack(actor=ACTOR)), ("diagnose", Diagnose(actor=ACTOR, finding="bad deploy 4.12")),
                  ("workaround", Workaround(actor=ACTOR, text="rolled back to 4.11")),
                  ("resolve", Resolve(actor=ACTOR, resolution="config fixed")),
                  ("confirm", Confirm(actor=ACTOR)))  # fmt: skip
BARE_STEPS = ("ack", "diagnose", "workaround", "resolve", "confirm")
# history events per kind of step; what "same shape" is checked on
SHAPE_EVENTS = {
    "activities": "activity_task_scheduled_event_attributes",
    "updates": "workflow_execution_update_accepted_event_attributes",
    "timers": "timer_started_event_attributes",
    "upserts": "upsert_workflow_search_attributes_event_attributes",
    "workflow_tasks": "workflow_task_completed_event_attributes",
}


async def drive_pipeline(client: Client, task_queue: str, workflow_id: str) -> None:
    request = OpenIncident(service="checkout", summary="5xx above 5% on checkout", impact=2, urgency=2)
    await open_incident(client, task_queue, request, actor=ACTOR, workflow_id=workflow_id)
    handle = client.get_workflow_handle(workflow_id)
    for name, payload in PIPELINE_STEPS:
        await handle.execute_update(name, payload, result_type=dict)
    await handle.result()


def bare_driver(records_per_lifecycle: float) -> Drive:
    """Drives the bare workflow with as many record activities as the pipeline made, on average."""
    count = 0

    async def drive_bare(client: Client, task_queue: str, workflow_id: str) -> None:
        nonlocal count
        count += 1  # whole numbers whose running mean is records_per_lifecycle
        records = int(count * records_per_lifecycle) - int((count - 1) * records_per_lifecycle)
        await _drive_bare(client, task_queue, workflow_id, records)

    return drive_bare


async def _drive_bare(client: Client, task_queue: str, workflow_id: str, records: int) -> None:
    start = WithStartWorkflowOperation(BareWorkflow.run, BareInput(name=workflow_id, records=records), id=workflow_id,
                                       task_queue=task_queue,
                                       id_conflict_policy=WorkflowIDConflictPolicy.FAIL)  # fmt: skip
    await client.execute_update_with_start_workflow(BareWorkflow.registered, BareAction(actor=ACTOR),
                                                    start_workflow_operation=start)  # fmt: skip
    handle = client.get_workflow_handle(workflow_id)
    for name in BARE_STEPS:
        await handle.execute_update(name, BareAction(actor=ACTOR), result_type=dict)
    await handle.result()


async def run_batch(label: str, client: Client, task_queue: str, drive: Drive, ids: list[str],
                    concurrency: int) -> float:  # fmt: skip
    """Drive every id through its lifecycle, `concurrency` at a time; returns the wall time."""
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(workflow_id: str) -> None:
        nonlocal done
        async with gate:
            await asyncio.wait_for(drive(client, task_queue, workflow_id), LIFECYCLE_TIMEOUT)
            done += 1

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            say(f"B1 {label}: {done}/{len(ids)} lifecycles closed")

    started = time.perf_counter()
    reporter = asyncio.create_task(progress())
    try:
        await asyncio.gather(*(one(i) for i in ids))
    finally:
        reporter.cancel()
    wall = time.perf_counter() - started
    say(f"B1 {label}: {len(ids)}/{len(ids)} lifecycles closed in {wall:.1f}s ({len(ids) / wall:.1f}/s)")
    return wall


async def record_activities(client: Client, ids: list[str]) -> float:
    """record_timeline activities per lifecycle in these histories."""
    total = 0
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        total += sum(1 for event in history.events if event.HasField("activity_task_scheduled_event_attributes")
                     and event.activity_task_scheduled_event_attributes.activity_type.name == "record_timeline")
    return total / len(ids)


async def shape(client: Client, ids: list[str]) -> dict[str, float]:
    """Average history events per workflow, by kind."""
    totals: Counter[str] = Counter()
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        kinds = Counter(event.WhichOneof("attributes") for event in history.events)
        for name, kind in SHAPE_EVENTS.items():
            totals[name] += kinds[kind]
        totals["events"] += len(history.events)
    return {name: round(totals[name] / len(ids), 2) for name in [*SHAPE_EVENTS, "events"]}


async def run(stack: Stack, pipeline_queue: str, bare_queue: str, n: int, concurrency: int,
              rounds: int = 2) -> dict[str, Any]:  # fmt: skip
    client = stack.client
    run_id = uuid.uuid4().hex[:6]

    def ids(kind: str, part: str, count: int) -> list[str]:
        return [f"b1-{kind}-{run_id}-{part}-{i}" for i in range(count)]

    warm = max(2, concurrency)
    say(f"B1 warm-up: {warm} lifecycles each, pipeline and bare; the pipeline's record activities counted")
    await run_batch("warm-up pipeline", client, pipeline_queue, drive_pipeline, ids("p", "w", warm), concurrency)
    records = await record_activities(client, ids("p", "w", warm))
    drive_bare = bare_driver(records)
    await run_batch("warm-up bare", client, bare_queue, drive_bare, ids("b", "w", warm), concurrency)
    segment = max(1, n // (2 * rounds))
    drives: dict[str, tuple[str, Drive]] = {"bare": (bare_queue, drive_bare),
                                            "pipeline": (pipeline_queue, drive_pipeline)}
    plan = [kind for _ in range(rounds) for kind in ("bare", "pipeline", "pipeline", "bare")]
    walls: Counter[str] = Counter()
    cpu: dict[str, Counter[str]] = {"bare": Counter(), "pipeline": Counter()}
    for step, kind in enumerate(plan, 1):
        queue, drive = drives[kind]
        before = stack.cpu()
        walls[kind] += await run_batch(f"{kind} ({step}/{len(plan)})", client, queue, drive,
                                       ids(kind[0], str(step), segment), concurrency)  # fmt: skip
        after = stack.cpu()
        cpu[kind].update({part: after[part] - before.get(part, 0.0) for part in after})
    done = segment * 2 * rounds  # per kind
    pipeline_rate, bare_rate = done / walls["pipeline"], done / walls["bare"]
    per_lifecycle = {kind: {part: round(seconds / done, 4) for part, seconds in parts.items() if seconds >= 0.005}
                     for kind, parts in cpu.items()}  # fmt: skip
    cpu_total = {kind: round(sum(parts.values()), 4) for kind, parts in per_lifecycle.items()}
    sample = min(20, segment)
    shapes = {"pipeline": await shape(client, ids("p", "2", segment)[:sample]),
              "bare": await shape(client, ids("b", "1", segment)[:sample])}  # fmt: skip
    say(f"B1 pipeline {pipeline_rate:.1f}/s, bare {bare_rate:.1f}/s: {pipeline_rate / bare_rate:.2f}x; CPU s per "
        f"lifecycle {cpu_total['pipeline']} vs {cpu_total['bare']}")
    say("B1 shape per workflow (pipeline vs bare): "
        + ", ".join(f"{k} {shapes['pipeline'][k]} vs {shapes['bare'][k]}" for k in shapes["pipeline"]))
    return {"n": done, "concurrency": concurrency, "segments": len(plan), "pipeline_per_s": round(pipeline_rate, 2),
            "bare_per_s": round(bare_rate, 2), "ratio": round(pipeline_rate / bare_rate, 3),
            "pipeline_wall_s": round(walls["pipeline"], 1), "bare_wall_s": round(walls["bare"], 1),
            "cpu_s_per_lifecycle": {"pipeline": cpu_total["pipeline"], "bare": cpu_total["bare"],
                                    "by_process": per_lifecycle},
            "cpu_ratio": round(cpu_total["bare"] / cpu_total["pipeline"], 3), "shape": shapes}  # fmt: skip
