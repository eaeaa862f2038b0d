"""B6 list: `incidentctl list` of 1,000 incidents against `temporal workflow list` of the same 1,000.

`list` answers from the Postgres record in one query (filters, order and the total together)
instead of one workflow query per incident; the floor is the Go CLI's one visibility query of
the same incidents. Both are subprocesses, as a person runs them; paired runs in alternating
order, medians. Uses the incidents the other benches left in this stack, opening more if needed.
"""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import median, say
from bench.stack import Stack
from domain.commands import OpenIncident
from localstack.temporal import temporal_binary
from starter.incidents import open_numbered

OPEN_CONCURRENCY = 20


async def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {process.returncode}: {err.decode()[-500:]}")
    return time.perf_counter() - started, out


async def _enough(stack: Stack, task_queue: str, n: int) -> None:
    have = await stack.pool.fetchval("SELECT count(*) FROM incidents")
    missing = max(0, n - have)
    if missing:
        say(f"B6 opening {missing} incidents (the stack has {have})")
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        request = OpenIncident(service="email", summary="mailbox quota exceeded", impact=3, urgency=3)

        async def one() -> None:
            async with gate:
                await open_numbered(stack.client, stack.pool, task_queue, request, actor="bench")

        await asyncio.gather(*(one() for _ in range(missing)))


async def run(stack: Stack, task_queue: str, n: int, rounds: int) -> dict[str, Any]:
    await _enough(stack, task_queue, n)
    ids = [r["workflow_id"] for r in await stack.pool.fetch("SELECT workflow_id FROM incidents ORDER BY number"
                                                            " LIMIT $1", n)]  # fmt: skip
    ctl = Path(sys.executable).parent / "incidentctl"
    env = await stack.api_env(task_queue, INCIDENT_USER="bench")  # incidentctl goes through the engineers' API
    query = "WorkflowType = 'IncidentWorkflow' AND IncidentNumber IS NOT NULL"
    tools = {
        "incidentctl": [str(ctl), "-o", "json", "list", "--all", "--limit", str(n)],
        "temporal_cli": [str(temporal_binary()), "workflow", "list", "--address", stack.temporal_address,
                         "--query", query, "--limit", str(n), "-o", "json"],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in tools}
    listed: dict[str, int] = {}
    for round_ in range(rounds + 1):  # round 0 warms caches and is not counted
        for name in list(tools) if round_ % 2 else list(reversed(tools)):
            elapsed, out = await _timed(tools[name], env)
            if name == "incidentctl":
                listed[name] = len(json.loads(out))
            else:
                listed[name] = sum(1 for line in out.decode().splitlines() if line.strip().startswith('"execution"'))
            if round_:
                times[name].append(elapsed)
        if round_:
            say(f"B6 round {round_}/{rounds}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()))
    medians = {name: median(values) for name, values in times.items()}
    return {"incidents": len(ids), "listed": listed, "median_s": {k: round(v, 3) for k, v in medians.items()},
            "ratio_to_temporal_cli": round(medians["incidentctl"] / medians["temporal_cli"], 3),
            "runs_s": {k: [round(x, 3) for x in v] for k, v in times.items()}}  # fmt: skip
