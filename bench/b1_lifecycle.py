"""B1 lifecycle throughput: N incidents through open, ack, diagnose, workaround, resolve, confirm,
against the bare workflow of the same shape (bench/bare_workflow.py) on the same server.

Runs `rounds` times in ABBA order (bare, pipeline, pipeline, bare) after a warm-up, so a server
that slows as its SQLite file grows, or a neighbour that steals CPU for a while, weighs on both
sides alike. Each lifecycle is driven step after step, as an engineer would, with `concurrency`
lifecycles in flight; the figure is lifecycles per second, ended workflows only. The bare workflow
gets as many record and notify activities and timers as the pipeline's histories show so far (the
warm-up's, then every measured segment's); all histories of both are counted at the end
(activities by kind, updates, timers, upserts, workflow tasks).
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.bare_workflow import EXTRA_TIMER, BareAction, BareInput, BareWorkflow
from bench.report import say
from bench.stack import Stack
from domain.commands import Ack, Confirm, Diagnose, OpenIncident, Resolve, Workaround
from starter.incidents import open_numbered
from workflows.contract import IncidentContract as I

Drive = Callable[[Client, str, str], Awaitable[None]]
ACTOR = "bench"
LIFECYCLE_TIMEOUT = 120.0  # a workflow task failing (code in flux) must end the bench, not hang it
PIPELINE_STEPS = ((I.ack, Ack(actor=ACTOR)), (I.diagnose, Diagnose(actor=ACTOR, finding="bad deploy 4.12")),
                  (I.workaround, Workaround(actor=ACTOR, text="rolled back to 4.11")),
                  (I.resolve, Resolve(actor=ACTOR, resolution="config fixed")),
                  (I.confirm, Confirm(actor=ACTOR)))  # fmt: skip
BARE_STEPS = ("ack", "diagnose", "workaround", "resolve", "confirm")
# history events per kind of step; what "same shape" is checked on
SHAPE_EVENTS = {
    "activities": "activity_task_scheduled_event_attributes",
    "updates": "workflow_execution_update_accepted_event_attributes",
    "timers": "timer_started_event_attributes",
    "upserts": "upsert_workflow_search_attributes_event_attributes",
    "workflow_tasks": "workflow_task_completed_event_attributes",
}
ACTIVITY_KINDS = ("records", "notifies", "pages", "setup")
ROUND = ("bare", "pipeline", "pipeline", "bare")  # a drift of the machine weighs on both sides alike


class PipelineDriver:
    """Opens each incident as incidentctl does (a number reserved, then update-with-start) and walks it.

    The bench names lifecycles by its own ids; `numbers` maps them to the incidents' workflow ids.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.numbers: dict[str, str] = {}

    async def __call__(self, client: Client, task_queue: str, name: str) -> None:
        request = OpenIncident(service="checkout", summary="5xx above 5% on checkout", impact=2, urgency=2)
        view = await open_numbered(client, self.pool, task_queue, request, actor=ACTOR)
        self.numbers[name] = view["workflow_id"]
        handle = client.get_workflow_handle(view["workflow_id"])
        for step, payload in PIPELINE_STEPS:
            await handle.execute_update(step, payload)
        await handle.result()

    def workflow_ids(self, names: list[str]) -> list[str]:
        return [self.numbers.get(name, name) for name in names]


class BareDriver:
    """Drives the bare workflow with as many records, notifies and timers as the pipeline made, on average.

    `calibrate` is called with the shapes measured so far: the pipeline's (what to match, as caps)
    and the bare's (how many timers its own loop makes under the cap; the rest come as extra timers).
    """

    def __init__(self, pipeline: dict[str, float]) -> None:
        self.target = {"records": 0.0, "notifies": 0.0, "pages": 0.0, "timers": 0.0, "extra_timers": 0.0}
        self.calibrate(pipeline, None)
        self.count = 0

    def calibrate(self, pipeline: dict[str, float], bare: dict[str, float] | None) -> None:
        for kind in ("records", "notifies", "pages", "timers"):
            self.target[kind] = pipeline[kind]
        if bare is not None:  # its loop may wait less often than the real one, even without a cap
            self.target["extra_timers"] = max(0.0, pipeline["timers"] - (bare["timers"] - bare["extra_timers"]))

    def _share(self, mean: float) -> int:  # whole numbers whose running mean is `mean`
        return int(self.count * mean) - int((self.count - 1) * mean)

    async def __call__(self, client: Client, task_queue: str, workflow_id: str) -> None:
        self.count += 1
        budget = BareInput(name=workflow_id, **{kind: self._share(mean) for kind, mean in self.target.items()})
        await _drive_bare(client, task_queue, workflow_id, budget)


async def _drive_bare(client: Client, task_queue: str, workflow_id: str, budget: BareInput) -> None:
    start = WithStartWorkflowOperation(BareWorkflow.run, budget, id=workflow_id, task_queue=task_queue,
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


_COUNTED: dict[str, Counter[str]] = {}  # workflow id -> its history's counts (ended workflows do not change)


async def shape(client: Client, ids: list[str]) -> dict[str, float]:
    """Average history events per workflow, by kind."""
    totals: Counter[str] = Counter()
    for workflow_id in ids:
        if workflow_id not in _COUNTED:
            _COUNTED[workflow_id] = await _count(client, workflow_id)
        totals.update(_COUNTED[workflow_id])
    return {
        name: round(totals[name] / len(ids), 2)
        for name in [*SHAPE_EVENTS, *ACTIVITY_KINDS, "extra_timers", "events", "history_kb"]
    }


async def _count(client: Client, workflow_id: str) -> Counter[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    kinds = Counter(event.WhichOneof("attributes") for event in history.events)
    counts = Counter({name: kinds[kind] for name, kind in SHAPE_EVENTS.items()})
    counts["events"] = len(history.events)
    counts["history_kb"] = round(sum(event.ByteSize() for event in history.events) / 1024)
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            counts[_activity_kind(event.activity_task_scheduled_event_attributes)] += 1
        if (
            event.HasField("timer_started_event_attributes")
            and event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == EXTRA_TIMER
        ):
            counts["extra_timers"] += 1  # fmt: skip
    return counts


def _activity_kind(scheduled: Any) -> str:
    """records, notifies or setup: the real activity's name, or the bare step's name (its input)."""
    name = scheduled.activity_type.name
    if name == "bare_step":
        name = scheduled.input.payloads[0].data.decode().strip('"')
    return {"record_timeline": "records", "record": "records", "deliver_notifications": "notifies",
            "notify": "notifies", "page": "pages", "deliver_pages": "pages"}.get(name, "setup")  # fmt: skip


async def run(stack: Stack, pipeline_queue: str, bare_queue: str, n: int, concurrency: int,
              rounds: int = 2) -> dict[str, Any]:  # fmt: skip
    client = stack.client
    run_id = uuid.uuid4().hex[:6]

    def ids(kind: str, part: str, count: int) -> list[str]:
        return [f"b1-{kind}-{run_id}-{part}-{i}" for i in range(count)]

    # Long enough for one-time costs to be paid before the clock runs, on both sides: each pooled
    # Postgres connection preparing its statements, pydantic building its serializers, the server
    # warming its task queues (with one batch of `concurrency` the first measured round still ran
    # 20% slower than the others).
    warm = max(2, 3 * concurrency)
    say(f"B1 warm-up: {warm} lifecycles each, pipeline and bare; the pipeline's records, notifies and timers counted")
    drive_pipeline = PipelineDriver(stack.pool)
    await run_batch("warm-up pipeline", client, pipeline_queue, drive_pipeline, ids("p", "w", warm), concurrency)
    drive_bare = BareDriver(await shape(client, drive_pipeline.workflow_ids(ids("p", "w", warm))))
    await run_batch("warm-up bare", client, bare_queue, drive_bare, ids("b", "w", warm), concurrency)
    drive_bare.calibrate(await shape(client, drive_pipeline.workflow_ids(ids("p", "w", warm))),
                         await shape(client, ids("b", "w", warm)))  # fmt: skip
    segment = max(1, n // (2 * rounds))
    drives: dict[str, tuple[str, Drive]] = {
        "bare": (bare_queue, drive_bare),
        "pipeline": (pipeline_queue, drive_pipeline),
    }
    plan = [kind for _ in range(rounds) for kind in ROUND]
    walls: Counter[str] = Counter()
    round_walls: list[Counter[str]] = [Counter() for _ in range(rounds)]
    cpu: dict[str, Counter[str]] = {"bare": Counter(), "pipeline": Counter()}
    driven: dict[str, list[str]] = {"bare": [], "pipeline": []}
    for step, kind in enumerate(plan, 1):
        queue, drive = drives[kind]
        before = stack.cpu()
        wall = await run_batch(f"{kind} ({step}/{len(plan)})", client, queue, drive,
                               ids(kind[0], str(step), segment), concurrency)  # fmt: skip
        walls[kind] += wall
        round_walls[(step - 1) // len(ROUND)][kind] += wall
        after = stack.cpu()
        spent = {part: after[part] - before.get(part, 0.0) for part in after}
        cpu[kind].update(spent)
        say(f"B1 {kind} ({step}/{len(plan)}) CPU s per lifecycle: "
            + ", ".join(f"{part} {seconds / segment:.4f}" for part, seconds in spent.items() if seconds / segment >= 0.0001))  # fmt: skip
        driven[kind] += ids(kind[0], str(step), segment)
        if kind == "pipeline":  # the pipeline's shape varies with timing: the floor follows what it measured
            drive_bare.calibrate(await shape(client, drive_pipeline.workflow_ids(driven["pipeline"])),
                                 await shape(client, driven["bare"]) if driven["bare"] else None)  # fmt: skip
    done = segment * 2 * rounds  # per kind
    pipeline_rate, bare_rate = done / walls["pipeline"], done / walls["bare"]
    per_lifecycle = {kind: {part: round(seconds / done, 4) for part, seconds in parts.items() if seconds >= 0.005}
                     for kind, parts in cpu.items()}  # fmt: skip
    cpu_total = {kind: round(sum(parts.values()), 4) for kind, parts in per_lifecycle.items()}
    shapes = {
        "pipeline": await shape(client, drive_pipeline.workflow_ids(driven["pipeline"])),
        "bare": await shape(client, driven["bare"]),
    }
    # each round's own ratio (its two bare segments' wall over its two pipeline segments'): how much the
    # machine moved the figure while the code stayed the same
    by_round = [round(r["bare"] / r["pipeline"], 3) for r in round_walls]
    say(
        f"B1 pipeline {pipeline_rate:.1f}/s, bare {bare_rate:.1f}/s: {pipeline_rate / bare_rate:.2f}x (rounds "
        f"{', '.join(f'{r:.2f}' for r in by_round)}); CPU s per lifecycle {cpu_total['pipeline']} vs {cpu_total['bare']}"
    )
    say(
        "B1 shape per workflow (pipeline vs bare): "
        + ", ".join(f"{k} {shapes['pipeline'][k]} vs {shapes['bare'][k]}" for k in shapes["pipeline"])
    )
    return {"n": done, "concurrency": concurrency, "segments": len(plan), "pipeline_per_s": round(pipeline_rate, 2),
            "bare_per_s": round(bare_rate, 2), "ratio": round(pipeline_rate / bare_rate, 3), "round_ratios": by_round,
            "pipeline_wall_s": round(walls["pipeline"], 1), "bare_wall_s": round(walls["bare"], 1),
            "cpu_s_per_lifecycle": {"pipeline": cpu_total["pipeline"], "bare": cpu_total["bare"],
                                    "by_process": per_lifecycle},
            "cpu_ratio": round(cpu_total["bare"] / cpu_total["pipeline"], 3), "shape": shapes}  # fmt: skip
