"""The client host's alert senders: Alertmanager's webhook to both receivers, as Alertmanager sends
it (one firing alert per delivery, its group key, the bearer token), retrying a refusal as it does."""

import asyncio
import itertools
import time
from typing import Any

import aiohttp

from tests.chaos.ledger import Sent

TOKEN = "chaos-ingest-token"
SERVICE = "checkout"
RETRY_SECONDS = 0.5
REQUEST_SECONDS = 10


def delivery(run: str, group: int, k: int) -> dict[str, Any]:
    labels = {"alertname": f"Chaos{group}", "service": SERVICE, "severity": "critical", "instance": f"web-{k % 3}"}
    return {"version": "4", "status": "firing", "receiver": "incidents",
            "groupKey": f'{{}}:{{alertname="Chaos{group}", run="{run}"}}',
            "groupLabels": {"alertname": labels["alertname"]}, "commonLabels": {"service": SERVICE, "severity": "critical"},
            "commonAnnotations": {"summary": f"checkout down on shard {group} ({run})"},
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": "error rate above 20%"},
                        "startsAt": "2026-12-04T10:00:00Z", "fingerprint": f"{run}{group:04d}{k % 3:02d}"}]}  # fmt: skip


async def storm(urls: dict[str, str], run: str, groups: int, per_group: int, seconds: float, sent: Sent,
                senders: int = 8) -> None:  # fmt: skip
    """groups x per_group deliveries spread over about `seconds`, alternating receivers; a refused or
    unanswered delivery is retried at the other receiver, for at most 3 x `seconds`."""
    order = [(g, k) for k in range(per_group) for g in range(groups)]
    gap = seconds / max(1, len(order)) * senders
    names = itertools.cycle(sorted(urls))
    deadline = time.monotonic() + 3 * seconds + 30
    position = 0

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal position
        while position < len(order):
            group, k = order[position]
            position += 1
            body = delivery(run, group, k)
            while time.monotonic() < deadline:
                name = next(names)
                sent.attempts += 1
                try:
                    async with http.post(urls[name], json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
                        sent.answers[f"{name} {answer.status}"] += 1
                        if 200 <= answer.status < 300:
                            sent.accepted[str((await answer.json())["route"])] += 1
                            break
                except (aiohttp.ClientError, TimeoutError) as err:
                    sent.answers[f"{name} {type(err).__name__}"] += 1
                await asyncio.sleep(RETRY_SECONDS)
            await asyncio.sleep(gap)

    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(sender(http) for _ in range(senders)))
