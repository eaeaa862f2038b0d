"""Shared by the status page tests: a service of their own, alerts for it, and waiting on the page."""

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from starter.intake.events_api import event_route
from tests.e2e.receiver_support import Receiver

STATUS_SERVICE = "storefront"
STATUS_KEY = "5707e5707e5707e5707e5707e5707e57"
# the browser test's own service: what the other tests leave open on theirs cannot hold its row
BROWSER_SERVICE, BROWSER_KEY = "webshop", "b70b70b70b70b70b70b70b70b70b70b7"
# what an alert, an engineer and a note carry that the business must never read
SECRETS = ("db-7.internal.example", "hunter2", "10.20.30.40", "alice", "internal-note-", "AlertCardFailures")


def critical_alert(marker: str, key: str = STATUS_KEY) -> dict[str, Any]:
    return {"routing_key": key, "event_action": "trigger", "dedup_key": uuid.uuid4().hex,
            "payload": {"summary": f"AlertCardFailures on db-7.internal.example {marker}", "source": "10.20.30.40",
                        "severity": "critical", "custom_details": {"password": "hunter2"}},
            "links": [{"href": "https://grafana.internal.example/d/1", "text": "dashboard"}]}  # fmt: skip


async def raise_alert(receiver: Receiver, marker: str, key: str = STATUS_KEY) -> str:
    event = critical_alert(marker, key)
    status, answer = await receiver.post("/v2/enqueue", event)
    assert status == 202, answer
    return event_route(key, event["dedup_key"])


async def json_of(receiver: Receiver, path: str) -> Any:
    async with receiver.http.get(f"{receiver.url}{path}") as response:
        assert response.status == 200, path
        return await response.json()


async def text_of(receiver: Receiver, path: str) -> str:
    async with receiver.http.get(f"{receiver.url}{path}") as response:
        assert response.status == 200, path
        return await response.text()


async def summary_when(receiver: Receiver, ready: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> Any:
    deadline, summary = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        summary = await json_of(receiver, "/status/api/v2/summary.json")
        if ready(summary):
            return summary
        await asyncio.sleep(0.2)
    raise AssertionError(f"the status page never got there: {summary}")


def component(summary: dict[str, Any], name: str = STATUS_SERVICE) -> dict[str, Any]:
    return next(c for c in summary["components"] if c["name"] == name)
