"""B4 many open incidents: N incidents on the fast-lane agreement, opened by concurrent engineers,
on a worker of their own (a fresh subprocess, so its RSS is theirs alone). The last N/FIRING_EVERY
opened are P3 (restore in `restore_s`: their restore warning and breach fire during the run, once
all N are open); the others are P4 (restore in ten minutes: their timers stay pending all run).
All timers firing within the same two minutes would measure this machine's capacity (about 0.2
CPU-second per incident for opening, warning and breach: 2,000 need over three minutes of both
cores), and timers firing while the bench still opens incidents as fast as it can would measure
the bench's own load (p99 1.5 to 2.5 s here, depending on the neighbours), not timer precision.

Figures: worker RSS at several N (flat in N: memory is bounded by the workflow cache, not by the
number of open incidents); timer lateness, the sla_breach entry's time minus the restore deadline
(from the audit trail), against the floor of a bare timer on the same server; projection lag, how
long after the breach the Postgres row said so, and how many rows were behind at worst.
"""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.bare_workflow import BareTimerWorkflow
from bench.report import percentile, say
from bench.stack import Stack
from domain.catalog import Targets
from domain.commands import OpenIncident
from domain.enums import Priority
from runtime.settings import PROJECT_ROOT
from starter.incidents import open_numbered
from stores.catalog_file import load_catalog, read_catalog_file

FAST_LANE = "fast-lane"
RESPONSE = timedelta(hours=1)  # the acknowledgement target does not fire during the run: warning and breach do
PENDING_RESTORE = timedelta(minutes=10)  # P4: pending all run
FIRING_EVERY = 10  # one in ten fires during the run
OPEN_CONCURRENCY = 40

LATENESS_SQL = """
SELECT extract(epoch FROM e.at - i.restore_due) AS late, extract(epoch FROM i.updated_at - e.at) AS projected
FROM incident_events e JOIN incidents i USING (incident_key)
WHERE e.action = 'sla_breach' AND i.workflow_id = ANY($1::text[])
"""
BEHIND_SQL = """
SELECT count(*) FROM incidents
WHERE workflow_id = ANY($1::text[]) AND NOT breached AND restore_due < now() - interval '1 second'
"""


async def load_fast_lane(stack: Stack, restore: timedelta) -> None:
    """catalog.toml plus `fast-lane` (a copy of email) with every target short (as tests/e2e/catalogs.py)."""
    catalog = read_catalog_file(PROJECT_ROOT / "catalog.toml")
    fast = catalog.services["email"].model_copy(deep=True)
    fast.name, fast.integration_key = FAST_LANE, "fa57fa57fa57fa57fa57fa57fa57fa57"
    fast.targets = {p: Targets(response=RESPONSE, restore=restore if p is Priority.P3 else PENDING_RESTORE)
                    for p in Priority}  # fmt: skip
    catalog.services[FAST_LANE] = fast
    await load_catalog(stack.pool, catalog)


async def timer_floor(stack: Stack, bare_queue: str, count: int = 40, seconds: float = 3.0) -> list[float]:
    """Lateness of bare timers (one each, no activities) on the same server, before the load."""
    due = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    handles = await asyncio.gather(*(
        stack.client.start_workflow(BareTimerWorkflow.run, due, id=f"b4-floor-{uuid.uuid4().hex[:10]}",
                                    task_queue=bare_queue)
        for _ in range(count)))  # fmt: skip
    return list(await asyncio.gather(*(h.result() for h in handles)))


async def run(stack: Stack, bare_queue: str, n: int, restore_s: float, samples: int = 4) -> dict[str, Any]:
    floor = await timer_floor(stack, bare_queue)
    say(
        f"B4 floor: bare timer lateness p50 {percentile(floor, 50) * 1000:.0f} ms, "
        f"p99 {percentile(floor, 99) * 1000:.0f} ms"
    )
    queue = f"b4-{uuid.uuid4().hex[:6]}"
    worker = await stack.start_worker(queue, name="b4-worker")  # first: its start loads catalog.toml
    await load_fast_lane(stack, timedelta(seconds=restore_s))
    rss = [(0, round(worker.rss_mb(), 1))]
    checkpoints = {round(n * (i + 1) / samples) for i in range(samples)}
    firing = n // FIRING_EVERY
    say(
        f"B4 opening {n} incidents on {FAST_LANE}: {n - firing} P4 (timers pending), then {firing} P3 (restore "
        f"{restore_s:.0f}s: warning and breach fire), worker RSS {rss[0][1]} MB at N=0"
    )
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    workflow_ids: list[str] = []
    opened = 0
    started = time.perf_counter()

    async def open_one(i: int) -> None:
        nonlocal opened
        fires = i >= n - firing
        request = OpenIncident(service=FAST_LANE, summary="mailbox quota exceeded", impact=2, urgency=2 if fires else 3)
        async with gate:
            view = await asyncio.wait_for(open_numbered(stack.client, stack.pool, queue, request, actor="bench"), 120)
        if fires:
            workflow_ids.append(view["workflow_id"])
        opened += 1
        if opened in checkpoints:
            rss.append((opened, round(worker.rss_mb(), 1)))
            say(f"B4 {opened}/{n} open, worker RSS {rss[-1][1]} MB")

    await asyncio.gather(*(open_one(i) for i in range(n)))
    open_wall = time.perf_counter() - started
    say(f"B4 opened {n} in {open_wall:.1f}s ({n / open_wall:.0f}/s); waiting for the breaches")
    behind_max, deadline, last_said = 0, time.monotonic() + restore_s + 60, 0.0
    while time.monotonic() < deadline:
        breached = await stack.pool.fetchval(
            "SELECT count(*) FROM incidents WHERE workflow_id = ANY($1::text[]) AND breached", workflow_ids
        )
        behind = await stack.pool.fetchval(BEHIND_SQL, workflow_ids)
        behind_max = max(behind_max, behind)
        if breached == firing:
            break
        if time.monotonic() - last_said >= 10:
            last_said = time.monotonic()
            say(
                f"B4 {breached}/{firing} breaches recorded in Postgres, {behind} rows behind their workflow, "
                f"worker RSS {worker.rss_mb():.0f} MB"
            )
        await asyncio.sleep(2)
    rss.append((n, round(worker.rss_mb(), 1)))  # after every timer fired: still N open incidents
    rows = await stack.pool.fetch(LATENESS_SQL, workflow_ids)
    late = [float(r["late"]) for r in rows]
    projected = [float(r["projected"]) for r in rows]
    by_n = dict(rss[:-1])
    half = by_n.get(min(by_n, key=lambda k: abs(k - n / 2)), rss[1][1])
    result = {"n": n, "firing": firing, "restore_s": restore_s, "open_per_s": round(n / open_wall, 1),
              "breaches": len(rows),
              "rss_mb": [{"n": k, "mb": v} for k, v in rss], "rss_growth_half_to_n": round(rss[-1][1] / half, 3),
              "lateness_s": {"p50": round(percentile(late, 50), 3), "p99": round(percentile(late, 99), 3),
                             "max": round(max(late, default=0.0), 3)},
              "floor_lateness_s": {"p50": round(percentile(floor, 50), 3), "p99": round(percentile(floor, 99), 3)},
              "projection_lag_s": {"p50": round(percentile(projected, 50), 3),
                                   "p99": round(percentile(projected, 99), 3)},
              "rows_behind_max": behind_max}  # fmt: skip
    say(
        f"B4 lateness p50 {result['lateness_s']['p50']}s p99 {result['lateness_s']['p99']}s; projection lag "
        f"p99 {result['projection_lag_s']['p99']}s; RSS {', '.join(f'{k}:{v}MB' for k, v in rss)}"
    )
    return result
