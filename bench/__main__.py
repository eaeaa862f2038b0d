"""`make bench` (`python -m bench`): every benchmark against a floor measured in the same run.

Starts its own dev server (temporary SQLite file, WAL) and embedded Postgres (free port,
temporary directory) and workers as subprocesses; B5 starts `make run` beside them on free
ports. Prints a line per phase, then the table; writes bench/results.json.

    BENCH_SCALE=0.5      every size (B1 lifecycles, B2 deliveries and groups, B4 incidents) times 0.5
    BENCH_ONLY=b1,b3     run only these
    BENCH_KEEP=1         keep the temporary directory (logs) after the run
    BENCH_CPUS=1         the slow machine: the bench, its servers and workers pinned to that many cores
"""

import asyncio
import os
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import report
from bench.report import say
from runtime.process_exit import exit_now

SIZES = {
    "b1_lifecycles": 480,
    "b2_deliveries": 5000,
    "b2_groups": 200,
    "b4_incidents": 2000,
    "b6_listed": 1000,
    "b7_probes": 40,
    "b7_storm": 2000,
    "b12_deliveries": 1000,
    "b12_groups": 60,
    "b12_probes": 20,
    "b13_deliveries": 2000,
    "b13_groups": 100,
}
B1_CONCURRENCY, B1_ROUNDS, B2_SENDERS, B13_SENDERS, B3_ROUNDS, B4_RESTORE_S, B6_ROUNDS = 20, 4, 50, 32, 10, 60.0, 6
PIPELINE_QUEUE, BARE_QUEUE = "bench-incidents", "bench-bare"


async def _guarded(name: str, results: dict[str, Any], work: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """One benchmark failing must not cost the others: its error goes into the results."""
    started = time.perf_counter()
    try:
        results[name] = await work()
    except Exception as err:
        say(f"{name.upper()} FAILED: {type(err).__name__}: {err}")
        results[name] = {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc(limit=5)}
    results[name]["bench_seconds"] = round(time.perf_counter() - started, 1)


async def main() -> dict[str, Any]:
    from bench import (
        b1_lifecycle,
        b2_alert_storm,
        b3_cli,
        b4_open_incidents,
        b5_newcomer,
        b6_list,
        b7_paging,
        b8_known_errors,
        b9_status_page,
        b10_forecast,
        b11_record,
        b12_scale_out,
        b13_storm_shapes,
        b14_api,
        b15_auth,
    )
    from bench.stack import start_stack

    scale = float(os.environ.get("BENCH_SCALE") or 1.0)
    only = {
        name.strip().lower()
        for name in os.environ.get("BENCH_ONLY", "b1,b2,b3,b4,b5,b6,b7,b8,b9,b10,b11,b12,b13,b14,b15").split(",")
    }
    sizes = {key: max(10, round(value * scale)) for key, value in SIZES.items()}
    results: dict[str, Any] = {"machine": report.machine(), "scale": scale, "sizes": sizes}
    say(
        f"machine: {results['machine']['nproc']} x {results['machine']['cpu']} ({results['machine']['cpus_used']} used), "
        f"load average "
        f"{results['machine']['load_average_at_start']}, scale {scale}, sizes {sizes}"
    )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        say(
            "PYTHONDONTWRITEBYTECODE is set here: unset for the bench's subprocesses, so project modules are "
            "compiled once (__pycache__, ignored by git) as on a default Python"
        )
    say("starting the dev server (temporary SQLite, WAL) and embedded Postgres")
    stack = await start_stack()
    try:
        await stack.start_worker(PIPELINE_QUEUE)
        await stack.start_bare_worker(BARE_QUEUE)
        say(f"stack up: Temporal {stack.temporal_address}, Postgres {stack.database_url}, worker and bare worker")
        if "b9" in only:  # first: the page is measured with its own 50 open incidents, not every bench's
            await _guarded("b9", results, lambda: b9_status_page.run(stack, "bench-status"))
        if "b1" in only:
            await _guarded(
                "b1",
                results,
                lambda: b1_lifecycle.run(
                    stack, PIPELINE_QUEUE, BARE_QUEUE, sizes["b1_lifecycles"], B1_CONCURRENCY, B1_ROUNDS
                ),
            )
        if "b3" in only:
            await _guarded("b3", results, lambda: b3_cli.run(stack, PIPELINE_QUEUE, B3_ROUNDS))
        if "b2" in only:
            await _guarded("b2", results, lambda: b2_alert_storm.run(
                stack, PIPELINE_QUEUE, sizes["b2_deliveries"], sizes["b2_groups"], B2_SENDERS))  # fmt: skip
        if "b13" in only:
            await _guarded("b13", results, lambda: b13_storm_shapes.run(
                stack, PIPELINE_QUEUE, sizes["b13_deliveries"], sizes["b13_groups"], B13_SENDERS))  # fmt: skip
        if "b4" in only:
            await _guarded(
                "b4", results, lambda: b4_open_incidents.run(stack, BARE_QUEUE, sizes["b4_incidents"], B4_RESTORE_S)
            )
        if "b6" in only:
            await _guarded("b6", results, lambda: b6_list.run(stack, PIPELINE_QUEUE, sizes["b6_listed"], B6_ROUNDS))
        if "b7" in only:
            await _guarded(
                "b7",
                results,
                lambda: b7_paging.run(stack, "bench-paging", sizes["b7_probes"], sizes["b7_probes"], sizes["b7_storm"]),
            )
        if "b8" in only:
            await _guarded("b8", results, lambda: b8_known_errors.run(stack))
        if "b14" in only:
            await _guarded("b14", results, lambda: b14_api.run(stack, PIPELINE_QUEUE, B3_ROUNDS, sizes["b6_listed"]))
        if "b15" in only:  # BENCH_ONLY=b15: what verifying a token costs each API request
            await _guarded("b15", results, lambda: b15_auth.run(stack))
        if "b11" in only:  # last on this stack: it grows the record to 300,000 incidents
            await _guarded("b11", results, lambda: b11_record.run(stack, PIPELINE_QUEUE, scale))
    finally:
        await stack.close()
    if "b10" in only:  # no servers: after the stack is down
        await _guarded("b10", results, b10_forecast.run)
    if "b5" in only:
        await _guarded("b5", results, b5_newcomer.run)
    if "b12" in only:  # hosts of its own (network namespaces): after the loopback stack is down
        await _guarded("b12", results, lambda: b12_scale_out.run(
            Path(tempfile.mkdtemp(prefix="bench-b12-")), sizes["b12_deliveries"], sizes["b12_groups"], sizes["b12_probes"]))  # fmt: skip
    return results


def pin_to_cores() -> None:
    """BENCH_CPUS=n: this process on n cores (the last ones), before any server or worker starts, so all
    of them inherit it: the machine at half its CPU (or less), with the same code and sizes."""
    wanted = int(os.environ.get("BENCH_CPUS") or 0)
    if wanted:
        cores = sorted(os.sched_getaffinity(0))[-wanted:]
        os.sched_setaffinity(0, cores)
        say(f"BENCH_CPUS={wanted}: the bench, its servers and workers pinned to core(s) {cores}")


def run() -> int:
    started = time.perf_counter()
    pin_to_cores()
    results = asyncio.run(main())
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = report.load_average()
    rows = report.rows(results)
    print()
    print(report.table(rows))
    machine = results["machine"]
    print(
        f"\nmachine: {machine['nproc']} x {machine['cpu']} ({machine['cpus_used']} used), load average {machine['load_average_at_start']} at "
        f"start, {machine['load_average_at_end']} at end; total {results['total_seconds']:.0f}s; "
        f"results in {report.RESULTS}"
    )
    results["table"] = rows
    report.write(results)
    # missed targets are results, not failures; a benchmark that could not run is a failure
    return 1 if any("error" in value for value in results.values() if isinstance(value, dict)) else 0


if __name__ == "__main__":
    exit_now(run())
