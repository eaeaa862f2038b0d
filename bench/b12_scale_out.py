"""B12 scale-out: what two receivers and two workers on hosts of their own buy over one of each, and
how the figures degrade when every packet between those hosts and the core is 200 ms late (each
way) and 5% of them are lost.

The hosts are network namespaces on this machine (tests/chaos/network.py: a core host with the dev
server and PostgreSQL, receiver and worker hosts, a client host with the senders and the SMTP sink;
198.18.0.0/15, nothing on loopback); it needs root and skips, saying why, where namespaces cannot be
made. Each shape runs on a fresh database and task queue:
- B2 intake: Alertmanager deliveries accepted/s from senders split over the receivers;
- B7: P1 alert posted -> its first page at the SMTP sink, for probes one every 0.5 s.
All hosts share the machine's cores, so a second host adds processes, not CPU: the figures say what
spreading the work costs or gains on the same two cores, not what a second machine would add.
"""

import asyncio
import itertools
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiosmtpd.controller import Controller

from bench.b7_paging import page_delays
from bench.report import percentile, say
from tests.chaos import entry_points
from tests.chaos.alerts import delivery
from tests.chaos.conftest import numbers_of_their_own
from tests.chaos.hosts import CorePostgres, CoreTemporal, HostProcess
from tests.chaos.network import Network, cannot_build, setns

TOKEN = "bench-scale-token"
PORT = 8080
SENDERS = 30
IMPAIRED_AT_MOST = 1200  # seconds
PROBE = re.compile(r"probe[0-9a-f]{10}")
SHAPES = {"1x1": (["receiver1"], ["worker1"]), "2x2": (["receiver1", "receiver2"], ["worker1", "worker2"])}


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        for marker in PROBE.findall(envelope.content.decode(errors="replace")):
            self.at.setdefault(marker, time.perf_counter())
        return "250 OK"


async def intake(urls: list[str], run: str, deliveries: int, groups: int) -> float:
    order = [(g, k) for k in range(deliveries // groups) for g in range(groups)]
    position, accepted, targets = 0, 0, itertools.cycle(urls)

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal position, accepted
        while position < len(order):
            group, k = order[position]
            position += 1
            for _ in range(20):  # a refusal is retried, as Alertmanager does, a bounded number of times
                async with http.post(next(targets), json=delivery(run, group, k),
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
                    await answer.read()
                    if answer.status == 202:
                        accepted += 1
                        break
                await asyncio.sleep(0.2)

    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
    return accepted / (time.perf_counter() - started)


async def probes(urls: list[str], arrivals: Arrivals, count: int) -> list[float]:
    sent: dict[str, float] = {}
    targets = itertools.cycle(urls)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for _ in range(count):
            marker = f"probe{uuid.uuid4().hex[:10]}"
            sent[marker] = time.perf_counter()
            async with http.post(next(targets), json=delivery(marker, 0, 0),
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
                if answer.status != 202:
                    raise RuntimeError(f"receiver answered {answer.status}")
            await asyncio.sleep(0.5)
    return await page_delays(arrivals, sent, count)


async def one_shape(net: Network, core: tuple[CorePostgres, CoreTemporal], arrivals: Arrivals, directory: Path,
                    shape: str, impaired: bool, deliveries: int, groups: int, count: int) -> dict[str, Any]:  # fmt: skip
    postgres, temporal = core
    receivers, workers = SHAPES[shape]
    label = f"{shape}{' 200ms/5%' if impaired else ''}"
    database_url = await postgres.create_database(f"b12_{uuid.uuid4().hex[:8]}")
    await entry_points.migrate(database_url)
    await numbers_of_their_own(database_url)  # the shapes share the dev server's namespace
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "INCIDENT_"))}
    settings = {**base, "PYTHONUNBUFFERED": "1", "TEMPORAL_ADDRESS": temporal.address,
                "INCIDENT_DATABASE_URL": database_url, "INCIDENT_TASK_QUEUE": f"b12-{uuid.uuid4().hex[:6]}",
                "INCIDENT_CATALOG": str(entry_points.CATALOG), "INCIDENT_INGEST_TOKEN": TOKEN,
                "INCIDENT_SMTP_URL": f"smtp://{net.address('client')}:2525?from=pager@bench",
                "INCIDENT_RECEIVER_PORT": str(PORT)}  # fmt: skip
    processes = []
    try:
        for host in [*workers, *receivers]:
            program, ready = ((entry_points.WORKER, entry_points.WORKER_READY) if host.startswith("worker")
                              else (entry_points.RECEIVER, entry_points.RECEIVER_READY))  # fmt: skip
            env = {**settings, "INCIDENT_RECEIVER_HOST": net.address(host)}
            processes.append(
                await HostProcess(
                    net, host, program, env, directory / f"{shape}{'-impaired' if impaired else ''}-{host}.log", ready
                ).start()
            )
        urls = [f"http://{net.address(h)}:{PORT}/v1/alerts/alertmanager" for h in receivers]
        await probes(urls, arrivals, 3)  # warm-up
        pairs = [(h, "core") for h in [*receivers, *workers]]
        # the device's own limit only guards against a bench that dies: it must outlast the slow intake and
        # the probes, or the probes measure a healed link
        impairment = (
            net.impaired(pairs, 0.2, 0.05, IMPAIRED_AT_MOST, directory / "impairment.log") if impaired else None
        )
        if impairment is not None:
            impairment.__enter__()
        try:
            # a quarter of the storm over the slow link: at about 5 accepted/s the whole would take minutes
            rate = await intake(urls, uuid.uuid4().hex[:6], deliveries // 4 if impaired else deliveries, groups)
            say(f"B12 {label}: {rate:.0f} deliveries accepted/s")
            await asyncio.sleep(5)  # the storm's pages and forwarding settle before the probes
            try:
                latencies = await probes(urls, arrivals, count)
            except RuntimeError as err:  # a figure of its own: pages that never came within a minute
                say(f"B12 {label}: {err}")
                return {"intake_per_s": round(rate, 1), "page_error": str(err)}
        finally:
            if impairment is not None:
                impairment.__exit__(None, None, None)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        say(f"B12 {label}: alert -> page p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        return {"intake_per_s": round(rate, 1), "page_p50_s": round(p50, 3), "page_p99_s": round(p99, 3)}
    finally:
        for process in processes:
            await process.kill()


async def run(directory: Path, deliveries: int, groups: int, count: int) -> dict[str, Any]:
    reason = cannot_build()
    if reason:
        return {"skipped": f"B12 needs network namespaces: {reason}"}
    net = Network("bench12-")
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    net.build()
    results: dict[str, Any] = {"deliveries": deliveries, "groups": groups, "probes": count}
    postgres, temporal = CorePostgres(net, directory), CoreTemporal(net, directory)
    try:
        setns(f"/run/netns/{net.namespace('client')}")
        postgres.start()
        await temporal.start()
        arrivals = Arrivals()
        smtp = Controller(arrivals, hostname=net.address("client"), port=2525)
        smtp.start()
        try:
            for impaired in (False, True):
                for shape in ("1x1", "2x2"):
                    key = f"{shape}{'_impaired' if impaired else ''}"
                    results[key] = await one_shape(net, (postgres, temporal), arrivals, directory, shape, impaired,
                                                   deliveries, groups, count)  # fmt: skip
        finally:
            smtp.stop()
    finally:
        await temporal.kill()
        postgres.stop()
        setns(f"/proc/self/fd/{home}")
        os.close(home)
        net.teardown()
    for suffix in ("", "_impaired"):
        one, two = results[f"1x1{suffix}"], results[f"2x2{suffix}"]
        results[f"intake_ratio{suffix}"] = round(two["intake_per_s"] / one["intake_per_s"], 2)
    return results
