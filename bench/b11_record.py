"""B11 the record at the size of a real team: 300,000 closed incidents (about 2.5 million timeline rows)
over three years, and the read paths at 10k, 100k and 300k of them.

The record is grown with SQL from copies of incidents the real pipeline made and closed in this stack
(each a lifecycle through the worker: open, ack, diagnose, workaround, resolve, confirm; some
cancelled), spread uniformly over three years, in a per-service and per-priority mix a team sees
(MIX). Each copy keeps its template's timeline and durations, shifted to its own logged time. The
copies are written as any write of the record is (INSERT statements), so what the record's writes
maintain is maintained for them too.

At each size: the status page's three documents rebuilt (/status, summary.json, incidents.json asked
of a real receiver one refresh apart: time and bytes); `incidentctl list` and `list --all` (the
command end to end through the engineers' API, the read it makes timed in this process with its
statements' EXPLAIN (ANALYZE, BUFFERS), and the API's list and show of a closed incident); `forecast
--from-history 90d --replications 10` against the same forecast from a scenario file with the same
arrivals (medians of three, alternating). `python -m bench.b11_record` runs it alone (its own stack,
no results.json written); B11_PROFILE=1 adds py-spy's view of the history forecast.
"""

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.report import say
from bench.stack import Stack
from domain.commands import Ack, Cancel, Confirm, Diagnose, OpenIncident, Resolve, Workaround
from localstack.temporal import free_port
from starter.incidents import open_numbered
from stores import status_board
from workflows.contract import IncidentContract as I

SIZES = (10_000, 100_000, 300_000)
YEARS = 3
OPEN_LEFT = 12  # incidents the pipeline leaves open: the page's board and `list` show them
ROUNDS = 5
FORECAST_ROUNDS = 3
ACTOR = "bench"
# (impact, urgency) -> the priority the matrix gives it (domain/priority.py)
IMPACT_URGENCY = {"P1": (1, 1), "P2": (1, 2), "P3": (2, 2), "P4": (2, 3), "P5": (3, 3)}
SERVICES = {"checkout": 0.45, "email": 0.35, "payroll": 0.20}
PRIORITIES = {"P1": 0.01, "P2": 0.06, "P3": 0.38, "P4": 0.38, "P5": 0.12, "cancelled": 0.05}
STEPS = ((I.ack, Ack(actor=ACTOR)), (I.diagnose, Diagnose(actor=ACTOR, finding="bad deploy 4.12")),
         (I.workaround, Workaround(actor=ACTOR, text="rolled back to 4.11")),
         (I.resolve, Resolve(actor=ACTOR, resolution="config fixed", problem="PRB-1001")),
         (I.confirm, Confirm(actor=ACTOR)))  # fmt: skip


async def _lifecycle(stack: Stack, queue: str, service: str, kind: str, close: bool) -> str:
    impact, urgency = IMPACT_URGENCY.get(kind, (3, 3))
    request = OpenIncident(service=service, summary=f"{service} {kind} errors", impact=impact, urgency=urgency)
    view = await open_numbered(stack.client, stack.pool, queue, request, actor=ACTOR)
    handle = stack.client.get_workflow_handle(view["workflow_id"])
    if close and kind == "cancelled":
        await handle.execute_update(I.cancel, Cancel(actor=ACTOR, reason="false alarm"))
    elif close:
        for step, payload in STEPS:
            await handle.execute_update(step, payload)
    if close:
        await handle.result()
    return view["number"]


async def _templates(stack: Stack, queue: str) -> None:
    """A closed incident of each service and kind, and a few left open, all through the pipeline."""
    kinds = [(s, k) for s in SERVICES for k in PRIORITIES]
    await asyncio.gather(*(_lifecycle(stack, queue, s, k, True) for s, k in kinds))
    left = [("checkout", "P3"), ("email", "P4"), ("payroll", "P2"), ("checkout", "P5")] * (OPEN_LEFT // 4)
    await asyncio.gather(*(_lifecycle(stack, queue, s, k, False) for s, k in left))
    deadline = time.monotonic() + 60
    while await stack.pool.fetchval("SELECT count(*) FROM incidents WHERE state = 'closed'") < len(kinds):
        if time.monotonic() > deadline:
            raise RuntimeError("the templates never all closed in the record")
        await asyncio.sleep(0.2)
    # the mix: 1,000 slots, each naming the template a copy in that slot is made from
    await stack.pool.execute("""
        CREATE TABLE b11_mix AS
        SELECT row_number() OVER () - 1 AS slot, t.number FROM (
            SELECT DISTINCT ON (i.service, w.kind) i.number, w.weight FROM incidents i
            JOIN (SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) AS m(service, kind, weight)) w
              ON w.service = i.service
             AND w.kind = CASE WHEN i.outcome = 'cancelled' THEN 'cancelled' ELSE i.priority END
            WHERE i.state = 'closed' AND i.summary = i.service || ' ' || w.kind || ' errors'  -- B11's own, one each
            ORDER BY i.service, w.kind, i.number) t,
        generate_series(1, greatest(1, round(t.weight * 1000)::int))""",
        [s for s in SERVICES for _ in PRIORITIES], [k for _ in SERVICES for k in PRIORITIES],
        [SERVICES[s] * PRIORITIES[k] for s in SERVICES for k in PRIORITIES])  # fmt: skip


GROW_INCIDENTS = """
INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, outcome, priority, impact,
    urgency, category, assignment_group, assignee, major, breached, logged_at, acknowledged_at, restored_at,
    resolved_at, closed_at, response_due, restore_due, paused_seconds, known_error_id, problem, occurrences, last_seq,
    updated_at, closed_view)
SELECT 'INC-B' || g, 'b11-' || g, 'INC-B' || g, t.service, t.summary, t.source, t.state, t.outcome, t.priority,
    t.impact, t.urgency, t.category, t.assignment_group, t.assignee, t.major, t.breached, t.logged_at + s.shift,
    t.acknowledged_at + s.shift, t.restored_at + s.shift, t.resolved_at + s.shift, t.closed_at + s.shift,
    t.response_due + s.shift, t.restore_due + s.shift, t.paused_seconds, t.known_error_id, t.problem, t.occurrences,
    t.last_seq, t.updated_at + s.shift, t.closed_view
FROM (SELECT g, m.number, now() - make_interval(secs => $3 * random()) AS logged_at
      FROM generate_series($1::int, $2::int) g
      JOIN b11_mix m ON m.slot = (g::bigint * 7919) % (SELECT count(*) FROM b11_mix)) c
JOIN incidents t ON t.number = c.number
CROSS JOIN LATERAL (SELECT c.logged_at - t.logged_at AS shift) s
"""
GROW_EVENTS = """
INSERT INTO incident_events (incident_key, seq, number, at, actor, action, from_state, to_state, detail)
SELECT i.incident_key, e.seq, i.number, e.at + (i.logged_at - t.logged_at), e.actor, e.action, e.from_state,
       e.to_state, e.detail
FROM incidents i
JOIN b11_mix m ON m.slot = (substr(i.number, 6)::bigint * 7919) % (SELECT count(*) FROM b11_mix)
JOIN incidents t ON t.number = m.number
JOIN incident_events e ON e.incident_key = t.incident_key
WHERE i.number LIKE 'INC-B%' AND substr(i.number, 6)::int BETWEEN $1 AND $2
"""


async def _grow(pool: asyncpg.Pool, first: int, last: int) -> float:
    started = time.perf_counter()
    seconds_back = YEARS * 365 * 86400
    async with pool.acquire() as conn:
        await conn.execute("SET synchronous_commit = off")
        for low in range(first, last + 1, 50_000):  # a statement per 50,000: progress, and bounded memory
            high = min(low + 49_999, last)
            await conn.execute(GROW_INCIDENTS, low, high, seconds_back)
            await conn.execute(GROW_EVENTS, low, high)
        await conn.execute("ANALYZE incidents; ANALYZE incident_events")
    return time.perf_counter() - started


async def _status_page(http: aiohttp.ClientSession, base: str, pool: asyncpg.Pool) -> dict[str, Any]:
    """The three documents asked one after the other once the board is stale: the first rebuilds it.
    The median of ROUNDS, and the first round apart: the receiver renders each listed incident once and
    keeps it while it is unchanged, so only the first round of a size renders every open incident."""
    unresolved = await pool.fetchval(
        f"SELECT count(*) FROM incidents WHERE state NOT IN ('resolved', 'closed') AND {status_board.ON_THE_PAGE}"
    )
    times, sizes = [], {}
    for _ in range(ROUNDS):
        await asyncio.sleep(1.1)  # past the board's refresh: the next request rebuilds it
        started = time.perf_counter()
        for path in ("/status", "/status/api/v2/summary.json", "/status/api/v2/incidents.json"):
            async with http.get(f"{base}{path}") as answer:
                body = await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{path} answered {answer.status}")
                sizes[path.rsplit("/", 1)[-1]] = len(body)
        times.append(time.perf_counter() - started)
    return {"rebuild_ms": round(statistics.median(times) * 1000, 1), "first_ms": round(times[0] * 1000, 1),
            "unresolved_on_the_page": unresolved, "bytes": sizes}  # fmt: skip


async def _command(argv: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 600)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:4])} exited {process.returncode}: {err.decode()[-500:]}")
    return time.perf_counter() - started, out + err


async def _list(stack: Stack, env: dict[str, str], http: aiohttp.ClientSession) -> dict[str, Any]:
    """The read list makes (in this process), the command end to end, and the API's list and show."""
    from operations.listing import list_incidents

    ctl = str(Path(sys.executable).parent / "incidentctl")
    api = {"Authorization": f"Bearer {env['INCIDENT_API_TOKEN']}"}
    closed = await stack.pool.fetchval("SELECT number FROM incidents WHERE state = 'closed' ORDER BY logged_at LIMIT 1")
    out: dict[str, Any] = {}
    for name, all_ in (("open", False), ("all", True)):
        reads, commands, answers = [], [], []
        for _ in range(ROUNDS):
            async with stack.pool.acquire() as conn:
                started = time.perf_counter()
                rows, total = await list_incidents(conn, state=None, priority=None, service=None, breached=False,
                                                   all_=all_, limit=200)  # fmt: skip
                reads.append(time.perf_counter() - started)
            seconds, said = await _command([ctl, "list", *(["--all"] if all_ else [])], env)
            commands.append(seconds)
            started = time.perf_counter()
            async with http.get(f"{env['INCIDENT_API_URL']}/v1/incidents", params={"all": str(all_).lower()},
                                headers=api) as answer:  # fmt: skip
                await answer.read()
            answers.append(time.perf_counter() - started)
        out[name] = {"read_ms": round(statistics.median(reads) * 1000, 1), "listed": len(rows), "total": total,
                     "command_s": round(statistics.median(commands), 3),
                     "api_ms": round(statistics.median(answers) * 1000, 1),
                     "cut_line": next((ln for ln in said.decode().splitlines() if "showing" in ln), "")}  # fmt: skip
    shows = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        async with http.get(f"{env['INCIDENT_API_URL']}/v1/incidents/{closed}", headers=api) as answer:
            await answer.read()
            if answer.status != 200:
                raise RuntimeError(f"GET /v1/incidents/{closed} answered {answer.status}")
        shows.append(time.perf_counter() - started)
    out["api_show_closed_ms"] = round(statistics.median(shows) * 1000, 1)
    out["explain"] = await _explain(stack.pool)
    return out


async def _explain(pool: asyncpg.Pool) -> dict[str, str]:
    """Database time and buffers of the list's statements, as EXPLAIN (ANALYZE, BUFFERS) reports them."""
    from stores import incident_views as views

    statements = {"total_all": (views.COUNTED_BY_STATE, (None, None, None, False, True))}
    if hasattr(views, "PAGE_COLUMNS"):
        page = f"SELECT {views.PAGE_COLUMNS} FROM incidents WHERE {views.PAGE_FILTERS}"
        statements["page_all"] = (page + views.PAGE_ORDER, (None, None, None, False, 200))
        statements["page_open"] = (page + " AND state <> 'closed'" + views.PAGE_ORDER, (None, None, None, False, 200))
    out = {}
    for name, (sql, args) in statements.items():
        plan = await pool.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
        top = json.loads(plan)[0]
        node = top["Plan"]
        out[name] = (f"{top['Execution Time']:.2f} ms, {node['Node Type']}, shared hit {node.get('Shared Hit Blocks')}"
                     f" read {node.get('Shared Read Blocks')}, temp written {node.get('Temp Written Blocks', 0)}")  # fmt: skip
    return out


async def _forecast(stack: Stack, env: dict[str, str], root: Path) -> dict[str, Any]:
    """--from-history 90d against a scenario file with the arrivals the record had in those 90 days.

    Only B11's own services (those of the stack's catalog): inside make bench the record also holds other
    benches' incidents on services of catalogs of their own (B4's fast-lane), which the forecast refuses
    in a scenario and leaves out of a history alike."""
    rows = await stack.pool.fetch(
        "SELECT service, priority, count(*) AS n FROM incidents WHERE logged_at >= now() - interval '90 days'"
        " AND priority IS NOT NULL AND outcome IS DISTINCT FROM 'cancelled' AND service = ANY($1::text[])"
        " GROUP BY service, priority",
        list(SERVICES),
    )
    arrivals: dict[str, dict[str, float]] = {}
    for r in rows:
        arrivals.setdefault(r["service"], {})[r["priority"]] = round(r["n"] / 3, 2)  # per 30 days
    lines = ["replications = 10", "seed = 1"]
    for service, rates in sorted(arrivals.items()):
        lines += [f"[services.{service}]", "arrivals = { " + ", ".join(f"{p} = {n}" for p, n in sorted(rates.items()))
                  + " }", 'acknowledge = { kind = "exponential", mean = "10m" }',
                  'restore = { kind = "lognormal", median = "90m", sigma = 1.0 }']  # fmt: skip
    scenario = root / "b11-scenario.toml"
    scenario.write_text("\n".join(lines) + "\n")
    ctl = str(Path(sys.executable).parent / "incidentctl")
    commands = {"history": [ctl, "forecast", "--from-history", "90d", "--replications", "10"],
                "scenario": [ctl, "forecast", "--scenario", str(scenario), "--replications", "10"]}  # fmt: skip
    times: dict[str, list[float]] = {"history": [], "scenario": []}
    for round_ in range(FORECAST_ROUNDS):  # alternating, so a busy moment weighs on both alike
        for name in commands if round_ % 2 == 0 else reversed(commands):
            times[name].append((await _command(commands[name], env))[0])
    history, same_size = statistics.median(times["history"]), statistics.median(times["scenario"])
    out = {"history_s": round(history, 2), "scenario_s": round(same_size, 2), "ratio": round(history / same_size, 2),
           "incidents_90d": sum(r["n"] for r in rows)}  # fmt: skip
    if os.environ.get("B11_PROFILE"):  # where the history forecast's time goes: py-spy's samples, by function
        out["profile"] = await _profiled([ctl, "forecast", "--from-history", "90d", "--replications", "10"], env, root)
    return out


async def _profiled(argv: list[str], env: dict[str, str], root: Path) -> list[str]:
    """The command under py-spy (every thread, subprocesses too): the 25 functions most often on the stack."""
    samples = root / "b11-profile.txt"
    spy = str(Path(sys.executable).parent / "py-spy")
    await _command([spy, "record", "--subprocesses", "--format", "raw", "-r", "200", "-o", str(samples), "--",
                    sys.executable, *argv], env)  # fmt: skip
    inclusive: dict[str, int] = {}
    total = 0
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    top = sorted(inclusive.items(), key=lambda item: -item[1])[:25]
    return [f"{100 * n / total:5.1f}% {frame}" for frame, n in top]


async def run(stack: Stack, task_queue: str, scale: float = 1.0) -> dict[str, Any]:
    await _templates(stack, task_queue)
    port = free_port()
    env = stack.env(task_queue, INCIDENT_RECEIVER_HOST="127.0.0.1", INCIDENT_RECEIVER_PORT=str(port),
                    INCIDENT_INGEST_TOKEN="bench-record-token")  # fmt: skip
    receiver = await stack.start_child("record-receiver", ["-m", "receiver"], env, ready="receiver listening")
    engineer = await stack.api_env(task_queue, INCIDENT_USER=ACTOR)  # incidentctl goes through the engineers' API
    results: dict[str, Any] = {"sizes": {}}
    grown = 0
    try:
        async with aiohttp.ClientSession() as http:
            for size in (max(100, round(s * scale)) for s in SIZES):
                seconds = await _grow(stack.pool, grown + 1, size)
                grown = size
                events = await stack.pool.fetchval("SELECT count(*) FROM incident_events")
                say(f"B11: the record grown to {size:,} closed incidents ({events:,} timeline rows) in {seconds:.1f}s")
                figures = {"grow_s": round(seconds, 1), "timeline_rows": events,
                           "status_page": await _status_page(http, f"http://127.0.0.1:{port}", stack.pool),
                           "list": await _list(stack, engineer, http),
                           "forecast": await _forecast(stack, engineer, stack.root)}  # fmt: skip
                say(f"B11 at {size:,}: {json.dumps(figures)}")
                results["sizes"][str(size)] = figures
    finally:
        receiver.stop()
    return results


async def _alone() -> None:
    from bench.stack import start_stack

    stack = await start_stack()
    try:
        await stack.start_worker("bench-record")
        results = await run(stack, "bench-record", float(os.environ.get("BENCH_SCALE") or 1.0))
        print(json.dumps(results, indent=2))
    finally:
        await stack.close()


if __name__ == "__main__":
    asyncio.run(_alone())
