"""B14 the engineers' API: what the front door costs.

- `incidentctl ack INC-n` through the API (a subprocess, as an engineer runs it) against B3's floor, a
  minimal script that sends the same update straight to Temporal with the SDK (target <= 1.3x). Paired
  runs in alternating order, each on its own freshly opened incident; medians.
- The API's `list` of 1,000 incidents (GET /v1/incidents?all=true&limit=1000) and `show` with history
  (GET /v1/incidents/N?history=true), each one HTTP request with a new connection as incidentctl makes
  it, against the same read done directly in this process: the store's list query and the objects made
  from it, and the workflow query through an SDK client that is already connected.
"""

import asyncio
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.b3_cli import SDK_SCRIPT
from bench.b3_cli import _timed as timed_run
from bench.b6_list import _enough as enough_incidents
from bench.report import median, say
from bench.stack import Stack
from domain.commands import OpenIncident
from starter.incidents import open_numbered
from workflows.contract import IncidentContract

READ_ROUNDS = 20


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


async def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


async def _paired(name: str, tools: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    """Each round runs every tool once, in alternating order; round 0 warms caches and is not counted."""
    times: dict[str, list[float]] = {tool: [] for tool in tools}
    for round_ in range(rounds + 1):
        for tool in list(tools) if round_ % 2 else list(reversed(tools)):
            elapsed = await tools[tool]()
            if round_:
                times[tool].append(elapsed)
    say(f"B14 {name}: " + ", ".join(f"{tool} median {median(values):.3f}s" for tool, values in times.items()))
    return times


def _summary(times: dict[str, list[float]], api: str, floor: str) -> dict[str, Any]:
    medians = {tool: median(values) for tool, values in times.items()}
    paired = [a / b for a, b in zip(times[api], times[floor])]
    return {"median_s": {k: round(v, 4) for k, v in medians.items()},
            "ratio": round(medians[api] / medians[floor], 3), "paired_ratio_median": round(median(paired), 3),
            "runs_s": {k: [round(x, 4) for x in v] for k, v in times.items()}}  # fmt: skip


async def run(stack: Stack, task_queue: str, rounds: int, listed: int) -> dict[str, Any]:
    env = await stack.api_env(task_queue, INCIDENT_USER="bench")
    api_url, token = env["INCIDENT_API_URL"], env["INCIDENT_API_TOKEN"]
    python = sys.executable
    script = stack.root / "sdk_ack.py"
    script.write_text(SDK_SCRIPT)
    incidentctl = Path(python).parent / "incidentctl"
    ctl = [str(incidentctl)] if incidentctl.exists() else [python, "-m", "starter.incidentctl"]

    say(f"B14 opening {2 * (rounds + 1)} incidents to acknowledge")
    request = OpenIncident(service="checkout", summary="latency above 2s on checkout", impact=2, urgency=2)
    incidents = await asyncio.gather(*(open_numbered(stack.client, stack.pool, task_queue, request, actor="bench")
                                       for _ in range(2 * (rounds + 1))))  # fmt: skip

    def ack(argv: Any) -> Any:
        async def one() -> float:
            return await timed_run(argv(incidents.pop()), env)

        return one

    acks = await _paired("ack", {
        "incidentctl_via_api": ack(lambda inc: [*ctl, "ack", inc["number"]]),
        "python_sdk": ack(lambda inc: [python, str(script), stack.temporal_address, inc["workflow_id"]]),
    }, rounds)  # fmt: skip

    await enough_incidents(stack, task_queue, listed)
    from operations.listing import list_incidents

    async def list_api() -> float:
        elapsed, page = await _timed(lambda: asyncio.to_thread(_get, f"{api_url}/v1/incidents?all=true&limit={listed}",
                                                               token))  # fmt: skip
        assert len(page["items"]) == listed, len(page["items"])
        return elapsed

    async def list_direct() -> float:
        async def read() -> Any:
            async with stack.pool.acquire() as conn:
                return await list_incidents(conn, state=None, priority=None, service=None, breached=False,
                                            all_=True, limit=listed)  # fmt: skip

        elapsed, (items, _) = await _timed(read)
        assert len(items) == listed, len(items)
        return elapsed

    lists = await _paired(f"list of {listed}", {"api": list_api, "store_query": list_direct}, max(rounds, 6))

    shown = incidents[0] if incidents else (await open_numbered(stack.client, stack.pool, task_queue, request,
                                                                actor="bench"))  # fmt: skip
    handle = stack.client.get_workflow_handle(shown["workflow_id"])

    async def show_api() -> float:
        url = f"{api_url}/v1/incidents/{shown['number']}?history=true"
        return (await _timed(lambda: asyncio.to_thread(_get, url, token)))[0]

    async def show_direct() -> float:
        return (await _timed(lambda: handle.query(IncidentContract.view, {"history": True})))[0]

    shows = await _paired("show --history", {"api": show_api, "workflow_query": show_direct}, READ_ROUNDS)
    return {
        "ack": _summary(acks, "incidentctl_via_api", "python_sdk"),
        "ack_target_ratio": 1.3,
        "list": {"incidents": listed, **_summary(lists, "api", "store_query")},
        "show": _summary(shows, "api", "workflow_query"),
    }
