"""B7 paging: alert received -> first page handed to the SMTP server, alone and during an alert storm;
and `shifts()` for a year of a 3-layer, 12-person schedule with 50 overrides.

A real SMTP server (aiosmtpd) runs in this process on loopback; a worker that pages through it and
a receiver on its own task queue run as subprocesses. Each probe is a new Alertmanager group for
checkout (critical: P1, paged at once); its latency runs from the POST to the email's arrival.
During the storm, alert groups that page too (P3) arrive beside the probes from 20 senders.
"""

import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import aiohttp
from aiosmtpd.controller import Controller

from bench.report import say
from bench.stack import Stack
from domain.oncall import Layer, Override, Schedule, shifts
from localstack.temporal import free_port

TOKEN = "bench-paging-token"
STORM_SENDERS = 20


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}  # probe marker -> when its email arrived

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        subject = next((line for line in envelope.content.decode(errors="replace").splitlines()
                        if line.startswith("Subject:")), "")  # fmt: skip
        for word in subject.split():
            if word.startswith("probe-") and word not in self.at:
                self.at[word] = time.perf_counter()
        return "250 OK"


def webhook(group: str, severity: str, summary: str) -> dict[str, Any]:
    labels = {"alertname": "Probe", "service": "checkout", "severity": severity, "instance": "web-1"}
    return {"version": "4", "status": "firing", "receiver": "incidents", "groupKey": f"{{}}:{{g=\"{group}\"}}",
            "groupLabels": {"alertname": "Probe"}, "commonLabels": {"service": "checkout", "severity": severity},
            "commonAnnotations": {"summary": summary},
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": summary},
                        "startsAt": "2026-12-02T10:00:00Z", "fingerprint": group[:16]}]}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def probes(http: aiohttp.ClientSession, url: str, arrivals: Arrivals, count: int, gap: float) -> list[float]:
    sent: dict[str, float] = {}
    for _ in range(count):
        marker = f"probe-{uuid.uuid4().hex[:10]}"
        sent[marker] = time.perf_counter()
        async with http.post(url, json=webhook(marker, "critical", f"{marker} checkout down"),
                             headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
            if answer.status != 202:
                raise RuntimeError(f"receiver answered {answer.status}")
        await asyncio.sleep(gap)
    return await page_delays(arrivals, sent, count)


async def page_delays(arrivals: Any, sent: dict[str, float], count: int) -> list[float]:
    """Each probe's time from sending to its email, once every one arrived (a minute at most)."""
    deadline = time.monotonic() + 60
    while any(m not in arrivals.at for m in sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    missing = [m for m in sent if m not in arrivals.at]
    if missing:
        raise RuntimeError(f"{len(missing)} of {count} probes never paged by email")
    return [arrivals.at[m] - sent[m] for m in sent]


async def storm(http: aiohttp.ClientSession, url: str, deliveries: int, stop: asyncio.Event) -> int:
    sent = 0
    groups = [f"storm-{uuid.uuid4().hex[:8]}" for _ in range(max(1, deliveries // 25))]

    async def sender() -> None:
        nonlocal sent
        while sent < deliveries and not stop.is_set():
            sent += 1
            group = random.choice(groups)
            async with http.post(url, json=webhook(group, "warning", f"queue backlog {group}"),
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
                await answer.read()

    await asyncio.gather(*(sender() for _ in range(STORM_SENDERS)))
    return sent


def year_of_shifts() -> dict[str, Any]:
    people = [f"p{i:02d}" for i in range(12)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(12)
    overrides = [Override(person=rng.choice(people), start=start + timedelta(hours=rng.randrange(0, 8700)),
                          end=start + timedelta(hours=rng.randrange(8701, 8760))) for _ in range(50)]  # fmt: skip
    overrides = [o.model_copy(update={"end": o.start + timedelta(hours=rng.randrange(2, 72))}) for o in overrides]
    schedule = Schedule(name="bench", time_zone="Europe/Stockholm", overrides=overrides, layers=[
        Layer(name="weeks", people=people[:4], shift="1w", handoff=clock(9), start=date(2025, 12, 29)),
        Layer(name="days", people=people[4:8], shift="12h", handoff=clock(8), start=date(2025, 12, 29),
              days=["mon", "tue", "wed", "thu", "fri"], hours="08:00-20:00"),
        Layer(name="weekend nights", people=people[8:], shift="1d", handoff=clock(18), start=date(2025, 12, 29),
              days=["sat", "sun"], hours="18:00-09:00"),
    ])  # fmt: skip
    times, count = [], 0
    for _ in range(7):
        began = time.perf_counter()
        count = len(shifts(schedule, start, start + timedelta(days=365)))
        times.append(time.perf_counter() - began)
    return {"shifts": count, "median_ms": round(statistics.median(times[1:]) * 1000, 1)}


async def run(stack: Stack, task_queue: str, alone: int, during: int, storm_deliveries: int) -> dict[str, Any]:
    arrivals, smtp_port, port = Arrivals(), free_port(), free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    started = len(stack.children)
    try:
        env = stack.env(task_queue, INCIDENT_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}?from=pager@bench",
                        INCIDENT_PAGE_SECRET="bench-page-secret", INCIDENT_RECEIVER_HOST="127.0.0.1",
                        INCIDENT_RECEIVER_PORT=str(port), INCIDENT_INGEST_TOKEN=TOKEN)  # fmt: skip
        # as make run and docker-compose.yml run it: P1s and pages in a process the OS favours
        await stack.start_child("paging-worker", ["worker.py", "--role", "split"], env, ready="worker started")
        await stack.start_child("paging-receiver", ["-m", "receiver"], env, ready="receiver listening")
        url = f"http://127.0.0.1:{port}/v1/alerts/alertmanager"
        async with aiohttp.ClientSession() as http:
            await probes(http, url, arrivals, 3, 0.2)  # warm-up: connections, statements, the first imports
            say(f"B7 {alone} probes alone, one every 0.5 s")
            quiet = await probes(http, url, arrivals, alone, 0.5)
            say(f"B7 alone: p50 {percentile(quiet, 0.5) * 1000:.0f} ms, p99 {percentile(quiet, 0.99) * 1000:.0f} ms")
            say(f"B7 {during} probes during a storm of {storm_deliveries} deliveries from {STORM_SENDERS} senders")
            stop = asyncio.Event()
            storm_began = time.perf_counter()
            blowing = asyncio.create_task(storm(http, url, storm_deliveries, stop))
            await asyncio.sleep(0.5)
            loud = await probes(http, url, arrivals, during, 0.25)
            stop.set()
            stormed = await blowing
            say(f"B7 storm: p50 {percentile(loud, 0.5) * 1000:.0f} ms, p99 {percentile(loud, 0.99) * 1000:.0f} ms"
                f" ({stormed} storm deliveries)")  # fmt: skip
            # what putting the P1s first cost the storm: when its last delivery was in Temporal
            while await stack.pool.fetchval(
                "SELECT count(*) FROM alert_inbox WHERE channel LIKE '%/' || $1", task_queue
            ):
                await asyncio.sleep(0.1)
            forwarded_after = time.perf_counter() - storm_began
            say(f"B7 every storm delivery in Temporal {forwarded_after:.1f} s after the storm began")
    finally:
        controller.stop()
        for child in stack.children[started:]:  # the storm's backlog must not run on into the next bench
            child.stop(timeout=5)
        del stack.children[started:]
    year = year_of_shifts()
    say(f"B7 shifts of a year (3 layers, 12 people, 50 overrides): {year['shifts']} shifts in {year['median_ms']} ms")
    return {"alone": {"n": len(quiet), "p50_s": round(percentile(quiet, 0.5), 3), "p99_s": round(percentile(quiet, 0.99), 3)},
            "storm": {"n": len(loud), "p50_s": round(percentile(loud, 0.5), 3), "p99_s": round(percentile(loud, 0.99), 3),
                      "storm_deliveries": stormed, "forwarded_after_s": round(forwarded_after, 1)},
            "year_of_shifts": year}  # fmt: skip
