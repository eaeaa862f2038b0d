"""Hypothesis against the running receiver: properties in a thread, requests on the session's event loop.

Hypothesis drives synchronous functions and the receiver, the worker and the clients share
one event loop, so a property runs in a worker thread (`run_property`) and hands each
request to the loop with run_coroutine_threadsafe: the loop never blocks, shrinking works.
"""

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver.app import METRICS_KEY
from tests.e2e.receiver_support import Receiver, fresh_group

CASE_TIMEOUT = 30.0  # seconds for one request and its checks; each takes milliseconds
# What Postgres text and jsonb cannot hold: the receiver refuses it with 400 (payloads.UNSTORABLE).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Strings made to break out of quoting, SQL, JSON, logs and terminals, beside whatever hypothesis finds.
HOSTILE_STRINGS = [
    "'", '"', "\\", "'; DROP TABLE incidents; --", "x'); DELETE FROM incidents; --",
    "Robert'); DROP TABLE rejected_events;--", '" OR "1"="1', "' OR 1=1 --", "$1", "$$ $tag$ E'\\x00'",
    "%s %d %n {0} {service} ${jndi:ldap://x}", "\\u0000", "\x00", "a\x00b", "\ud800", "x\udfff",
    "\r\nX-Injected: yes", "\u202eevil", "\ufeff", "😀", "Ω≈ç√∫˜µ≤≥÷", "<script>alert(1)</script>",
    "null", "true", "[]", "{}", " ", "\t", "checkout ", "CHECKOUT", "../../etc/passwd", "a" * 5000,
]  # fmt: skip
hostile_text = (
    st.sampled_from(HOSTILE_STRINGS)
    | st.text(max_size=60)
    | st.builds("".join, st.lists(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=8), max_size=4))
)

# floats within 1e15: jsonb keeps numbers as decimals, and a float like 1.5e300 reads back as an int
json_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(-1e15, 1e15, allow_nan=False) | hostile_text)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])  # fmt: skip


async def run_property(strategy: st.SearchStrategy[Any], check: Callable[[Any], Awaitable[None]],
                       examples: int) -> int:  # fmt: skip
    """`check` each example on this event loop, from a hypothesis run in a thread; returns how many ran."""
    loop = asyncio.get_running_loop()
    ran = 0

    @fuzz_settings(examples)
    @given(strategy)
    def prop(case: Any) -> None:
        nonlocal ran
        ran += 1
        asyncio.run_coroutine_threadsafe(check(case), loop).result(CASE_TIMEOUT)

    await asyncio.to_thread(prop)
    assert ran >= examples * 0.9, f"only {ran} of {examples} examples ran"
    return ran


def storable(*texts: str) -> bool:
    return not any(UNSTORABLE.search(t) for t in texts)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def post(http: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str] | None = None) -> Answer:
    async with http.post(url, data=data, headers={"Content-Type": "application/json", **(headers or {})}) as response:
        return Answer(response.status, dict(response.headers), await response.read())


def assert_clear_refusal(answer: Answer, allowed: set[int]) -> dict[str, Any]:
    """A 4xx from the receiver itself: the expected status, and JSON saying what was wrong."""
    assert answer.status in allowed, (answer.status, answer.body[:500])
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.headers
    body = answer.json()
    assert isinstance(body["status"], str) and isinstance(body["message"], str) and body["message"], body
    if answer.status == 400:
        assert body["errors"] and all({"loc", "msg", "type"} <= set(e) for e in body["errors"]), body
    return body


@dataclass
class Ledger:
    """What a request may have registered: deliveries accepted into the inbox and the Temporal calls that
    forwarded them, rows in rejected_events."""

    receiver: Receiver
    pool: asyncpg.Pool

    def temporal_calls(self) -> int:
        metrics = self.receiver.app[METRICS_KEY]
        return sum(metrics.temporal_calls.values()) + sum(metrics.accepted.values())

    async def rejected(self) -> int:
        """Rows a request's answer writes. Not the ones written later, by other parts, for work of earlier
        tests: a workflow refusing its start (registration), the forwarder setting an accepted row aside."""
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM rejected_events WHERE reason <> 'service not in the agreed catalog'"
            " AND reason NOT LIKE 'Temporal refused it:%' AND reason NOT LIKE 'unreadable delivery:%'"))  # fmt: skip

    async def snapshot(self) -> tuple[int, int]:
        await self.receiver.forwarded()  # calls for earlier deliveries are made by now, not counted against a later one
        return self.temporal_calls(), await self.rejected()

    async def assert_unchanged(self, before: tuple[int, int], why: str = "") -> None:
        assert await self.snapshot() == before, f"a refused request registered something {why}"


async def still_serving(receiver: Receiver) -> None:
    """After the storm: alive, ready, and a plain alert is still taken."""
    async with receiver.http.get(f"{receiver.url}/healthz") as response:
        assert response.status == 200
    async with receiver.http.get(f"{receiver.url}/readyz") as response:
        assert response.status == 200
    assert (await receiver.alertmanager(fresh_group())).status == 202


async def raw_exchange(port: int, request: bytes) -> bytes:
    """Send bytes aiohttp's client would refuse to send to the receiver on `port`; its whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
