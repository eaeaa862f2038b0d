"""B9 status page: /status and /status/api/v2/summary.json served with 50 open incidents while the
receiver takes an alert storm, as requests/s against a floor of /healthz on the same receiver and
the same client; and the time from an alert accepted to the page's board showing its incident.

A worker and a receiver run as subprocesses on their own task queue. The client is this process
(CLIENTS connections at once); the floor shows what that client and the receiver's loop can do at all.
"""

import asyncio
import re
import statistics
import time
import uuid
from typing import Any

import aiohttp

from bench.b7_paging import webhook
from bench.report import percentile, say
from bench.stack import Stack
from localstack.temporal import free_port
from workflows.contract import IncidentContract

TOKEN = "bench-status-token"
OPEN_INCIDENTS = 50
CLIENTS = 20
REQUESTS = 3000  # per path and round
ROUNDS = 2
STORM_SENDERS = 5
NUMBER = re.compile(r'id="(INC-\d+)"')


async def _post(http: aiohttp.ClientSession, url: str, group: str, severity: str) -> None:
    async with http.post(url, json=webhook(group, severity, f"{group} checkout errors"),
                         headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
        if answer.status != 202:
            raise RuntimeError(f"receiver answered {answer.status}")


async def _rate(http: aiohttp.ClientSession, url: str, requests: int) -> float:
    left = requests

    async def client() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with http.get(url) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"{url} answered {answer.status}")
                await answer.read()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return requests / (time.perf_counter() - started)


async def _numbers(http: aiohttp.ClientSession, base: str) -> set[str]:
    async with http.get(f"{base}/status/board") as answer:
        return set(NUMBER.findall(await answer.text()))


async def _shown_after_alert(http: aiohttp.ClientSession, base: str, url: str, probes: int) -> list[float]:
    out = []
    for _ in range(probes):
        before = await _numbers(http, base)
        started = time.perf_counter()
        await _post(http, url, f"status-probe-{uuid.uuid4().hex[:8]}", "critical")
        while not (await _numbers(http, base)) - before:
            if time.perf_counter() - started > 30:
                raise RuntimeError("an alert's incident never showed on the status page")
            await asyncio.sleep(0.05)
        out.append(time.perf_counter() - started)
        await asyncio.sleep(1.1)  # the next probe starts from a settled board
    return out


async def _cancel(stack: Stack, number: str) -> None:
    try:
        await stack.client.get_workflow_handle(number).execute_update(
            IncidentContract.cancel, {"actor": "bench", "reason": "the status page bench is over"})  # fmt: skip
    except Exception as err:  # already closed: nothing to cancel
        say(f"B9: {number} not cancelled ({type(err).__name__})")


async def run(stack: Stack, task_queue: str, open_incidents: int = OPEN_INCIDENTS) -> dict[str, Any]:
    port = free_port()
    env = stack.env(task_queue, INCIDENT_RECEIVER_HOST="127.0.0.1", INCIDENT_RECEIVER_PORT=str(port),
                    INCIDENT_INGEST_TOKEN=TOKEN)  # fmt: skip
    worker = await stack.start_child("status-worker", ["worker.py"], env, ready="worker started")
    receiver = await stack.start_child("status-receiver", ["-m", "receiver"], env, ready="receiver listening")
    base = f"http://127.0.0.1:{port}"
    alerts = f"{base}/v1/alerts/alertmanager"
    connector = aiohttp.TCPConnector(limit=CLIENTS + STORM_SENDERS + 2)
    async with aiohttp.ClientSession(connector=connector) as http:
        for n in range(open_incidents):
            await _post(http, alerts, f"status-open-{n}-{uuid.uuid4().hex[:6]}", "warning")
        deadline = time.monotonic() + 120
        while len(await _numbers(http, base)) < open_incidents:
            if time.monotonic() > deadline:
                raise RuntimeError("the open incidents never all showed on the status page")
            await asyncio.sleep(0.5)
        shown = len(await _numbers(http, base))
        say(f"B9: {shown} open incidents on the status page; alert -> board probes")
        latency = await _shown_after_alert(http, base, alerts, 10)
        stop, storm_sent = asyncio.Event(), 0

        async def storm() -> None:
            nonlocal storm_sent
            groups = [f"status-storm-{uuid.uuid4().hex[:6]}" for _ in range(20)]
            while not stop.is_set():
                storm_sent += 1
                await _post(http, alerts, groups[storm_sent % len(groups)], "warning")

        storms = [asyncio.create_task(storm()) for _ in range(STORM_SENDERS)]
        rates: dict[str, list[float]] = {"healthz": [], "page": [], "summary": []}
        paths = {"healthz": "/healthz", "page": "/status", "summary": "/status/api/v2/summary.json"}
        try:
            started = time.perf_counter()
            for round_ in range(ROUNDS):  # alternating, so a busy moment weighs on every path alike
                order = list(paths) if round_ % 2 == 0 else list(reversed(paths))
                for name in order:
                    rates[name].append(await _rate(http, f"{base}{paths[name]}", REQUESTS))
            storm_seconds = time.perf_counter() - started
        finally:
            stop.set()
            await asyncio.gather(*storms)
        numbers = await _numbers(http, base)
    # the benchmarks after this one run without these open incidents (and their paging)
    await asyncio.gather(*(_cancel(stack, number) for number in numbers))
    receiver.stop()
    worker.stop()  # after the cancels: it finishes them
    best = {name: round(max(values), 1) for name, values in rates.items()}
    results = {
        "open_incidents": shown, "clients": CLIENTS, "requests_per_path": REQUESTS * ROUNDS,
        "requests_per_s": best, "page_to_floor": round(best["page"] / best["healthz"], 2),
        "summary_to_floor": round(best["summary"] / best["healthz"], 2),
        "storm_alerts_per_s": round(storm_sent / storm_seconds, 1),
        "alert_to_board_p50_s": round(statistics.median(latency), 2),
        "alert_to_board_p99_s": round(percentile(latency, 99), 2),
    }  # fmt: skip
    say(f"B9: req/s page {best['page']}, summary.json {best['summary']}, floor /healthz {best['healthz']}"
        f" during {results['storm_alerts_per_s']} alerts/s; alert -> board p50 {results['alert_to_board_p50_s']} s")  # fmt: skip
    return results
