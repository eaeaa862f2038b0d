"""B2 alert storm: Alertmanager deliveries into the receiver (`python -m receiver`, a
subprocess on loopback) from concurrent senders, against the floor: one signal-with-start per
alert sent straight to Temporal by as many concurrent senders, with the receiver's own options.

Both sides get the same storm, in the same order: groups burst in waves (WAVE groups at a time,
their deliveries shuffled), as a flapping alert storm does; each delivery carries one firing
alert (one of ALERTS_PER_GROUP fingerprints of its group), so every delivery is one occurrence.
Nothing lost means: each group is exactly one incident and the occurrences add up to the
deliveries, read from the workflows (the source of truth) once they have caught up.

The receiver answers once a delivery is committed to its Postgres inbox; its forwarder hands the
rows to Temporal. So beside the accepted rate, each side reports when every delivery was in
Temporal (`in_temporal_s`): the floor's calls return once they are; the receiver's rows, once its
inbox is empty. CPU and Temporal calls are counted up to that point.
"""

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.report import percentile, say
from bench.stack import Stack, quiet
from domain.alerts import AlertEvent
from domain.commands import AlertBatch, OpenIncident
from domain.enums import Source
from localstack.temporal import free_port
from workflows.contract import IncidentContract, name_of
from workflows.visibility import initial_search_attributes, static_summary

ALERTS_PER_GROUP = 5
WAVE = 10  # groups bursting at the same time
TOKEN = f"bench-{uuid.uuid4().hex}"
SERVICE = "checkout"
Send = Callable[[int, int], Awaitable[str]]  # (group, k) -> workflow id


def storm(groups: int, deliveries: int, wave_size: int = WAVE, seed: int = 7) -> list[tuple[int, int]]:
    """(group, k) pairs: waves of `wave_size` groups, each wave's deliveries shuffled."""
    per_group = deliveries // groups
    order: list[tuple[int, int]] = []
    rng = random.Random(seed)
    for first in range(0, groups, wave_size):
        wave = [(g, k) for g in range(first, min(first + wave_size, groups)) for k in range(per_group)]
        rng.shuffle(wave)
        order += wave
    return order


def webhook(run: str, group: int, k: int) -> dict[str, Any]:
    fingerprint = f"{run}{group:04d}{k % ALERTS_PER_GROUP:02d}"
    labels = {"alertname": f"QueueBacklog{group}", "service": SERVICE, "severity": "warning",
              "instance": f"web-{k % ALERTS_PER_GROUP}"}  # fmt: skip
    return {"version": "4", "status": "firing", "receiver": "incidents",
            "groupKey": f'{{}}:{{alertname="QueueBacklog{group}", run="{run}"}}',
            "groupLabels": {"alertname": labels["alertname"]},
            "commonLabels": {"service": SERVICE, "severity": "warning"},
            "commonAnnotations": {"summary": f"queue backlog on checkout ({group})"},
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": "backlog above 10k"},
                        "startsAt": "2026-11-29T23:47:28Z", "fingerprint": fingerprint}]}  # fmt: skip


async def blast(label: str, order: list[tuple[int, int]], senders: int, send: Send) -> dict[str, Any]:
    """Send every delivery with `senders` concurrent senders; a 503 is retried, as Alertmanager does."""
    latencies: list[float] = []
    workflow_ids: set[str] = set()
    retries = 0
    position = 0

    async def sender() -> None:
        nonlocal position, retries
        while position < len(order):
            group, k = order[position]
            position += 1
            while True:
                started = time.perf_counter()
                try:
                    workflow_ids.add(await send(group, k))
                    latencies.append(time.perf_counter() - started)
                    break
                except TemporaryRefusal:
                    retries += 1
                    await asyncio.sleep(0.5)

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            say(f"{label}: {len(latencies)}/{len(order)} accepted")

    reporter = asyncio.create_task(progress())
    started = time.perf_counter()
    try:
        await asyncio.gather(*(sender() for _ in range(senders)))
    finally:
        reporter.cancel()
    wall = time.perf_counter() - started
    rate = len(latencies) / wall
    say(
        f"{label}: {len(latencies)}/{len(order)} accepted in {wall:.1f}s ({rate:.0f}/s, "
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms)"
    )
    return {"accepted": len(latencies), "wall_s": round(wall, 2), "per_s": round(rate, 1), "retries": retries,
            "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "workflow_ids": sorted(workflow_ids)}  # fmt: skip


async def inbox_drained(stack: Stack) -> float:
    """Seconds until the receiver's forwarder has handed every accepted delivery to Temporal."""
    started = time.perf_counter()
    while await stack.pool.fetchval("SELECT count(*) FROM alert_inbox"):
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


class TemporaryRefusal(Exception):
    """503: the sender retries later."""


async def settle(stack: Stack, label: str, workflow_ids: list[str], expected: int,
                 timeout: float) -> dict[str, Any]:  # fmt: skip
    """Wait until every incident is registered and its occurrences add up; count what the workflows say."""
    deadline = time.monotonic() + timeout
    gate = asyncio.Semaphore(20)

    async def view(workflow_id: str) -> dict[str, Any] | None:
        async with gate:
            try:
                return await stack.client.get_workflow_handle(workflow_id).query(
                    IncidentContract.view, {"history": False}
                )
            except Exception:  # not yet started by the worker, or busy: counted as not settled
                return None

    async def incidents() -> list[str]:
        """The receiver answers with alert groups (routes); the floor's ids are its workflows already."""
        rows = await stack.pool.fetch("SELECT route, workflow_id FROM alert_routes WHERE route = ANY($1::text[])",
                                      list(set(workflow_ids)))  # fmt: skip
        routed = {r["route"]: r["workflow_id"] for r in rows}
        return [routed.get(w, w) for w in workflow_ids]

    started = time.perf_counter()
    while True:
        workflow_ids = await incidents()
        views = await asyncio.gather(*(view(w) for w in workflow_ids))
        numbers = {v["number"] for v in views if v and v.get("number")}
        occurrences = sum(v["alerts"]["occurrences"] for v in views if v)
        if (len(numbers) == len(workflow_ids) and occurrences == expected) or time.monotonic() > deadline:
            break
        say(f"{label}: settling, {len(numbers)} incidents registered, {occurrences}/{expected} occurrences")
        await asyncio.sleep(2)
    rows = await stack.pool.fetchval("SELECT count(*) FROM incidents WHERE workflow_id = ANY($1::text[])",
                                     workflow_ids)  # fmt: skip
    return {"incidents": len(numbers), "incidents_in_postgres": rows, "occurrences": occurrences,
            "settled_after_s": round(time.perf_counter() - started, 1)}  # fmt: skip


class StormRig:
    """A receiver (`python -m receiver`) on `task_queue` and an HTTP session of `senders` connections;
    `compare` sends one storm to the floor and then to the receiver and counts what each made of it."""

    def __init__(self, stack: Stack, task_queue: str, senders: int, name: str = "B2") -> None:
        self.stack, self.task_queue, self.senders, self.name = stack, task_queue, senders, name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1/alerts/alertmanager"
        self.http: aiohttp.ClientSession | None = None
        self.receiver: Any = None

    async def __aenter__(self) -> "StormRig":
        env = self.stack.env(self.task_queue, INCIDENT_RECEIVER_HOST="127.0.0.1",
                             INCIDENT_RECEIVER_PORT=str(self.port), INCIDENT_INGEST_TOKEN=TOKEN)  # fmt: skip
        self.receiver = await self.stack.start_child("receiver", ["-m", "receiver"], env, ready="receiver listening")
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.senders))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.http is not None:
            await self.http.close()
        if self.receiver is not None:  # a later storm's rows must not be forwarded by this one's receiver
            self.receiver.stop()
            self.stack.children.remove(self.receiver)

    async def temporal_calls(self) -> tuple[int, int]:
        """(calls, deliveries carried) so far, from the receiver's /metrics."""
        assert self.http is not None
        async with self.http.get(f"http://127.0.0.1:{self.port}/metrics") as answer:
            text = await answer.text()
        calls = carried = 0
        for line in text.splitlines():
            if line.startswith("incident_temporal_calls_total{") and 'outcome="ok"' in line:
                calls += int(float(line.rsplit(" ", 1)[1]))
            if line.startswith("incident_temporal_deliveries_total{") and 'outcome="ok"' in line:
                carried += int(float(line.rsplit(" ", 1)[1]))
        return calls, carried

    async def compare(self, order: list[tuple[int, int]], groups: int, shape: str) -> dict[str, Any]:
        stack, task_queue, http, senders = self.stack, self.task_queue, self.http, self.senders
        assert http is not None
        run_ids = {"floor": uuid.uuid4().hex[:6], "receiver": uuid.uuid4().hex[:6]}
        headers = {"Authorization": f"Bearer {TOKEN}"}

        async def to_temporal(group: int, k: int) -> str:
            """The floor: the receiver's signal-with-start, one per alert, no HTTP, no coalescing."""
            workflow_id = f"b2-floor-{run_ids['floor']}-{group}"
            opens = OpenIncident(service=SERVICE, summary=f"queue backlog on checkout ({group})",
                                 source=Source.ALERTMANAGER, severity="warning")  # fmt: skip
            event = AlertEvent(key=f"{run_ids['floor']}{group:04d}{k % ALERTS_PER_GROUP:02d}", status="firing",
                               at=datetime.now(UTC), description="QueueBacklog: backlog above 10k")  # fmt: skip
            await stack.client.start_workflow(
                IncidentContract.run, opens, id=workflow_id, task_queue=task_queue,
                start_signal=name_of(IncidentContract.alert),
                start_signal_args=[AlertBatch(actor="alertmanager", events=[event])],
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=static_summary(SERVICE, opens.summary),
                search_attributes=initial_search_attributes(SERVICE, opens.source),
            )  # fmt: skip
            return workflow_id

        # encoded before the clock starts: Alertmanager spends no Python CPU on its JSON, and on one core
        # the bench's own encoding would be taken from the receiver's share
        bodies = {(group, k): json.dumps(webhook(run_ids["receiver"], group, k)).encode() for group, k in order}
        posting = {**headers, "Content-Type": "application/json"}

        async def to_receiver(group: int, k: int) -> str:
            async with http.post(self.url, data=bodies[(group, k)], headers=posting) as answer:
                body = await answer.json(content_type=None)
                if answer.status == 503:
                    raise TemporaryRefusal()
                if answer.status != 202:
                    raise RuntimeError(f"receiver answered {answer.status}: {body}")
                return str(body["route"])

        results: dict[str, Any] = {"deliveries": len(order), "groups": groups, "senders": senders, "shape": shape}
        for key, send in (("floor", to_temporal), ("receiver", to_receiver)):
            label = f"{self.name} {key} ({shape})"
            waited = await quiet()
            say(
                f"{label}: {len(order)} deliveries over {groups} groups, {senders} senders (quiet after {waited:.1f} s)"
            )
            cpu_before, calls_before = stack.cpu(), await self.temporal_calls()
            sent = await blast(label, order, senders, send)
            # the floor's calls return once in Temporal; the receiver's rows get there through its inbox
            sent["in_temporal_s"] = round(sent["wall_s"] + (await inbox_drained(stack) if key == "receiver" else 0), 2)
            cpu_after, calls_after = stack.cpu(), await self.temporal_calls()
            sent["cpu_s"] = {part: round(cpu_after[part] - cpu_before.get(part, 0.0), 1) for part in cpu_after}
            if key == "receiver":
                calls, carried = calls_after[0] - calls_before[0], calls_after[1] - calls_before[1]
                sent["temporal_calls"], sent["deliveries_per_call"] = calls, round(carried / max(calls, 1), 2)
            sent.update(await settle(stack, label, sent.pop("workflow_ids"), len(order), timeout=120))
            say(f"{label}: {sent['incidents']} incidents, {sent['occurrences']} occurrences")
            results[key] = sent
        receiver, floor = results["receiver"], results["floor"]
        results["ratio"] = round(receiver["per_s"] / floor["per_s"], 2)
        results["nothing_lost"] = receiver["incidents"] == groups and receiver["occurrences"] == len(order)
        return results


async def run(stack: Stack, task_queue: str, deliveries: int, groups: int, senders: int,
              sensitivity: bool = True) -> dict[str, Any]:  # fmt: skip
    async with StormRig(stack, task_queue, senders) as rig:
        result = await rig.compare(storm(groups, deliveries, WAVE), groups, f"{WAVE} groups bursting at a time")
        if sensitivity:  # how much the figure owes to the storm's shape (senders per group), at a fifth the size
            per_group = deliveries // groups
            shapes = ((10, 10 * per_group, 2, "2 groups at a time"),
                      (groups, deliveries // 5, groups, "every group at once"))  # fmt: skip
            result["shapes"] = [await rig.compare(storm(g, d, wave), g, name) for g, d, wave, name in shapes]
    return result
