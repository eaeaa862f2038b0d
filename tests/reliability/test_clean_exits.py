"""Every program leaves with the right exit code, every time, despite the finalization crash.

temporalio's Rust threads can outlive the event loop and crash the interpreter at exit
(SIGSEGV/SIGABRT: -11/-6, or 139/134 through a shell); `runtime.process_exit.exit_now` must
prevent it on every run, after a drain on SIGTERM/SIGINT.
Each program runs 50 times in a row (two side by side: about 45 s for all three);
INCIDENT_EXIT_RUNS changes the count for the worker and the receiver.
"""

import asyncio
import itertools
import os
import signal
import sys
from typing import Any

import aiohttp
import asyncpg
from temporalio.client import Client

from domain import commands as c
from localstack.temporal import free_port
from tests.e2e.cli import Cli
from tests.reliability.conftest import Stack
from tests.reliability.projection import open_many, projected_up_to_date
from tests.reliability.stack import CRASH_CODES, ChildProcess, eventually
from workflows.contract import IncidentContract

RUNS = int(os.environ.get("INCIDENT_EXIT_RUNS", "50"))
CLI_RUNS = 50
LANES = 2  # programs started side by side: the machine has 2 cores
CLI_LANES = 4  # incidentctl waits on the server part of its short life
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_problem(name: str, run: int, code: int, output: str = "") -> str | None:
    if code == 0:
        return None
    kind = "finalization crash" if code in CRASH_CODES else "wrong exit code"
    return f"{name} run {run}: {kind} {code}\n{output[-1500:]}"


async def in_lanes(runs: int, one_run: Any, lanes: int = LANES) -> list[str]:
    """`runs` runs, `lanes` at a time; returns the problems found."""
    counter = itertools.count()

    async def lane() -> list[str]:
        problems = []
        while (run := next(counter)) < runs:
            problem = await one_run(run)
            if problem:
                problems.append(problem)
        return problems

    return [p for problems in await asyncio.gather(*(lane() for _ in range(lanes))) for p in problems]


async def test_the_worker_drains_and_exits_0_on_sigterm_and_sigint_run_after_run(
    stack: Stack, client: Client, pool: asyncpg.Pool
):
    acks: list[asyncio.Task[Any]] = []
    ids: list[str] = []

    async def one_run(run: int) -> str | None:
        worker = await stack.worker(f"worker-exit-{run}").start()
        [view] = await open_many(client, stack, 1, "email", f"exit run {run}")
        ids.append(view["workflow_id"])
        # an update (and the activity recording it) in flight when the signal arrives
        handle = client.get_workflow_handle(view["workflow_id"])
        acks.append(
            asyncio.create_task(handle.execute_update(IncidentContract.ack, c.Ack(actor="ops"), result_type=dict))
        )
        await asyncio.sleep(0.05)
        sig = SIGNALS[run % 2]
        code = await worker.stop(sig, timeout=20)
        output = worker.output()
        if code == 0 and '"worker stopped"' not in output:
            return f"worker run {run}: exit 0 on {sig.name} without draining\n{output[-1500:]}"
        return exit_problem(f"worker ({sig.name})", run, code, output)

    async with asyncio.timeout(30 + 3 * RUNS):
        assert await in_lanes(RUNS, one_run) == []
        last = await stack.worker("worker-exit-last").start()
        try:  # nothing the stopped workers held was dropped: every ack lands, every record is written
            assert {view["state"] for view in await asyncio.gather(*acks)} == {"in_progress"}

            async def settled() -> bool:
                return await projected_up_to_date(client, pool, ids)

            # within 20 s: an activity abandoned by a worker would wait for its 30 s timeout
            await eventually(settled, 20, "the projection of every run's incident")
        finally:
            code = await last.stop()
        assert exit_problem("worker", RUNS, code) is None


async def test_incidentctl_exits_with_its_contract_codes_50_runs_in_a_row(stack: Stack, client: Client, cli: Cli):
    # queries and refusals are answered by the workflow: a worker runs for the whole test
    worker = await stack.worker("worker-cli").start()
    try:
        async with asyncio.timeout(90):
            await check_incidentctl_runs(stack, client, cli)
    finally:
        code = await worker.stop()
    assert exit_problem("worker", 0, code) is None


async def check_incidentctl_runs(stack: Stack, client: Client, cli: Cli) -> None:
    [view] = await open_many(client, stack, 1, "email", "incidentctl exit codes")
    number = view["number"]
    nowhere = {"INCIDENT_API_URL": f"http://127.0.0.1:{free_port()}"}
    cases: list[tuple[int, list[str], dict[str, str] | None]] = [
        (0, ["show", number], None),
        (1, ["confirm", number], None),  # prioritized: confirm needs resolved
        (2, ["frobnicate", number], None),
        (2, ["ack"], None),
        (3, ["show", number], nowhere),
    ]

    async def one_run(run: int) -> str | None:
        expected, args, env = cases[run % len(cases)]
        result = await cli(*args, env=env)
        if result.code != expected:
            kind = "finalization crash" if result.code in CRASH_CODES else "wrong exit code"
            return f"incidentctl {' '.join(args)} run {run}: {kind} {result.code}, wanted {expected}\n{result.err}"
        if expected in (1, 3) and result.err.count("\n") != 1:
            return f"incidentctl {' '.join(args)} run {run}: not one line\n{result.err}"
        return None

    assert await in_lanes(CLI_RUNS, one_run, CLI_LANES) == []


async def test_the_receiver_exits_0_on_sigterm_and_sigint_run_after_run(stack: Stack, pool: asyncpg.Pool):
    async def one_run(run: int) -> str | None:
        port = free_port()
        env = {**stack.worker_env(), "INCIDENT_INGEST_TOKEN": f"exit-test-{run}", "INCIDENT_RECEIVER_PORT": str(port),
               "INCIDENT_RECEIVER_HOST": "127.0.0.1"}  # fmt: skip
        log_file = stack.directory / f"receiver-{run}.log"
        receiver = stack.track(ChildProcess([sys.executable, "-m", "receiver"], env, log_file,
                                            '"receiver listening"'))  # fmt: skip
        await receiver.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as answer:
                ready = answer.status
        sig = SIGNALS[run % 2]
        code = await receiver.stop(sig, timeout=40)
        if ready != 200:
            return f"receiver run {run}: /readyz answered {ready}\n{receiver.output()[-1500:]}"
        return exit_problem(f"receiver ({sig.name})", run, code, receiver.output())

    async with asyncio.timeout(30 + 3 * RUNS):
        assert await in_lanes(RUNS, one_run) == []
