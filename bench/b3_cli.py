"""B3 CLI: wall time of `incidentctl ack INC-n` (a subprocess, as an engineer runs it, through the API) against the
floor for a Python CLI, a minimal script that makes the same update with the SDK, and against
`temporal workflow update execute` (Go). Paired runs: each round runs all three, in rotating
order, each on its own freshly opened incident; figures are medians.
"""

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import median, say
from bench.stack import Stack
from domain.commands import OpenIncident
from localstack.temporal import temporal_binary
from starter.incidents import open_numbered

# The floor: what any Python CLI making this update has to do.
# (os._exit: temporalio 1.35's bridge threads can abort interpreter finalization, see runtime/process_exit.py)
SDK_SCRIPT = """\
import asyncio, os, sys
from temporalio.client import Client

async def main() -> None:
    client = await Client.connect(sys.argv[1])
    handle = client.get_workflow_handle(sys.argv[2])
    await handle.execute_update("ack", {"actor": "bench"})

asyncio.run(main())
os._exit(0)
"""


async def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        process.kill()
        raise RuntimeError(f"{' '.join(argv[:4])} did not finish in 60s") from None
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} exited {process.returncode}: {err.decode()[-500:]}")
    return elapsed


async def run(stack: Stack, task_queue: str, rounds: int) -> dict[str, Any]:
    python = sys.executable
    script = stack.root / "sdk_ack.py"
    script.write_text(SDK_SCRIPT)
    incidentctl = Path(python).parent / "incidentctl"
    ctl = [str(incidentctl)] if incidentctl.exists() else [python, "-m", "starter.incidentctl"]
    env = await stack.api_env(task_queue, INCIDENT_USER="bench")  # incidentctl goes through the engineers' API
    tools = {
        "incidentctl": lambda inc: [*ctl, "ack", inc["number"]],
        "python_sdk": lambda inc: [python, str(script), stack.temporal_address, inc["workflow_id"]],
        "temporal_cli": lambda inc: [str(temporal_binary()), "workflow", "update", "execute", "--address",
                                     stack.temporal_address, "--workflow-id", inc["workflow_id"], "--name", "ack",
                                     "--input", '{"actor": "bench"}'],
    }  # fmt: skip
    say(f"B3 opening {len(tools) * (rounds + 1)} incidents to acknowledge")
    request = OpenIncident(service="checkout", summary="latency above 2s on checkout", impact=2, urgency=2)
    incidents = await asyncio.gather(*(open_numbered(stack.client, stack.pool, task_queue, request, actor="bench")
                                       for _ in range(len(tools) * (rounds + 1))))  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for round_ in range(rounds + 1):  # round 0 warms the page cache and is not counted
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            incident = incidents.pop()
            elapsed = await _timed(tools[name](incident), env)
            if round_:
                times[name].append(elapsed)
        if round_:
            say(f"B3 round {round_}/{rounds}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in names))
    medians = {name: median(values) for name, values in times.items()}
    paired = [ctl_time / sdk_time for ctl_time, sdk_time in zip(times["incidentctl"], times["python_sdk"])]
    return {"rounds": rounds, "median_s": {k: round(v, 3) for k, v in medians.items()},
            "ratio_to_python_sdk": round(medians["incidentctl"] / medians["python_sdk"], 3),
            "paired_ratio_median": round(median(paired), 3),
            "ratio_to_temporal_cli": round(medians["incidentctl"] / medians["temporal_cli"], 3),
            "runs_s": {k: [round(x, 3) for x in v] for k, v in times.items()}}  # fmt: skip
