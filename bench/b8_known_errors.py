"""B8 known-error check: what the workflow's `find_known_error` activity costs per event with 1,000
known errors for the service, against a floor of one Postgres round trip from the same pool.

The activity is called as the worker calls it (its method, the real pool, the real tables), without
Temporal around it: B1 measures the lifecycle. Cached: the worker's watch hears every change to the
known errors as it commits (LISTEN), so the check matches in memory without a round trip. Uncached:
every call reloads the 1,000 (a change between every event), the cost the cache saves.
"""

import asyncio
import json
import statistics
import time
import uuid
from typing import Any

from activities.registration import KnownErrorQuery, RegistrationActivities
from bench.report import percentile, say
from bench.stack import Stack

SERVICE = "bench-known-errors"  # not in the catalog: no incident of the other benchmarks sees these
KNOWN_ERRORS = 1000
CALLS = 2000


async def _timed(call: Any, rounds: int) -> list[float]:
    out = []
    for n in range(rounds):
        started = time.perf_counter()
        await call(n)
        out.append(time.perf_counter() - started)
    return out


def _figures(seconds: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(seconds) * 1000, 3), "p99_ms": round(percentile(seconds, 99) * 1000, 3)}


async def run(stack: Stack, known_errors: int = KNOWN_ERRORS, calls: int = CALLS) -> dict[str, Any]:
    pool = stack.pool
    tag = uuid.uuid4().hex[:6]
    rows = [(f"KE-B{tag}-{n}", SERVICE, f"bench {n}", json.dumps([f"component-{n}", f"error-{n % 97}"]), "w")
            for n in range(known_errors)]  # fmt: skip
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO known_errors (id, service, title, match, workaround, origin, added_by)"
                               " VALUES ($1, $2, $3, $4::jsonb, $5, 'pipeline', 'bench')", rows)  # fmt: skip
        await conn.execute("INSERT INTO known_error_audit (known_error_id, service, action, actor)"
                           " VALUES ($1, $2, 'added', 'bench')", rows[0][0], SERVICE)  # fmt: skip
    say(f"B8: {known_errors} known errors for {SERVICE}; {calls} checks each way")
    activities = RegistrationActivities(pool)
    # no match scans all 1,000 (the common case: most events are incidents); a match stops early
    misses = [KnownErrorQuery(service=SERVICE, text=f"checkout latency above 2s on web-{n}") for n in range(calls)]
    hits = [KnownErrorQuery(service=SERVICE, text=f"component-{n % known_errors} error-{n % known_errors % 97}")
            for n in range(calls)]  # fmt: skip
    assert (
        await activities.find_known_error(hits[5]) is not None and await activities.find_known_error(misses[0]) is None
    )
    while not activities.watch.heard(SERVICE).listening:  # as in a worker that has run a moment
        await asyncio.sleep(0.01)

    async def floor(n: int) -> None:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def uncached(n: int) -> None:
        activities._known.clear()  # as after a change to the service's known errors
        await activities.find_known_error(misses[n])

    results = {"known_errors": known_errors, "calls": calls,
               "floor": _figures(await _timed(floor, calls)),
               "no_match": _figures(await _timed(lambda n: activities.find_known_error(misses[n]), calls)),
               "match": _figures(await _timed(lambda n: activities.find_known_error(hits[n]), calls)),
               "uncached": _figures(await _timed(uncached, max(50, calls // 20)))}  # fmt: skip
    results["ratio_to_floor"] = round(results["no_match"]["p50_ms"] / results["floor"]["p50_ms"], 2)
    await activities.watch.close()
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM known_errors WHERE service = $1", SERVICE)
        await conn.execute("DELETE FROM known_error_audit WHERE service = $1", SERVICE)
    say(f"B8: floor (one round trip) p50 {results['floor']['p50_ms']} ms; check, no match p50"
        f" {results['no_match']['p50_ms']} ms / p99 {results['no_match']['p99_ms']} ms; match p50"
        f" {results['match']['p50_ms']} ms; uncached p50 {results['uncached']['p50_ms']} ms")  # fmt: skip
    return results
