"""Release management's endpoints while Postgres cannot take what they are sent: `POST /v2/change/enqueue`
and `POST /v1/known-errors` answer 503 with Retry-After and store nothing, so the deploy pipeline
retries; its retry to a receiver that reaches Postgres is stored as if the first try never happened.

Postgres is made unreachable for one receiver only, as tests/e2e/test_receiver_refusals.py does: a
pool on a closed port (never reachable), or the receiver's own pool cut after it read the catalog."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client

from localstack.temporal import free_port
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import CHECKOUT_KEY, TOKEN, Receiver, receiver, serve  # noqa: F401


def a_change(tag: str) -> dict[str, Any]:
    return {"routing_key": CHECKOUT_KEY,
            "payload": {"summary": f"e2e deploy during a database outage {tag}", "source": "jenkins",
                        "timestamp": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
                        "custom_details": {"build": tag}}}  # fmt: skip


def a_release(tag: str) -> dict[str, Any]:
    return {"release": f"9.9-{tag}", "actor": "deploy-bot",
            "known_errors": [{"id": "outage-ke", "service": "checkout", "match": [f"outage-{tag}", "refused"],
                              "workaround": "Wait for the database to come back."}]}  # fmt: skip


async def refused_for_now(receiver: Receiver, path: str, body: Any, token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with receiver.http.post(f"{receiver.url}{path}", json=body, headers=headers) as response:
        answer = await response.json()
        assert response.status == 503, (path, response.status, answer)
        assert int(response.headers["Retry-After"]) > 0
    assert answer["status"] == "unavailable" and "nothing was stored, retry later" in answer["message"], answer


async def stored(pool: asyncpg.Pool, tag: str) -> tuple[int, int]:
    """(change events, known errors) of this test, read through the session's own pool."""
    changes = await pool.fetchval("SELECT count(*) FROM change_events WHERE custom_details->>'build' = $1", tag)
    known = await pool.fetchval("SELECT count(*) FROM known_errors WHERE release = $1", f"9.9-{tag}")
    return changes, known


@asynccontextmanager
async def receiver_on(client: Client, own_pool: asyncpg.Pool, task_queue: str) -> AsyncIterator[Receiver]:
    """serve() driven to its end even when the test fails (a suspended one would keep its forwarder running)."""
    running = serve(client, own_pool, task_queue)
    try:
        yield await anext(running)
    finally:
        await anext(running, None)
        own_pool.terminate()


@pytest.mark.parametrize("outage", ["never reachable", "cut after the catalog was read"])
async def test_release_endpoints_answer_503_and_store_nothing_while_postgres_is_unreachable(
    outage: str,
    dev_client: Client,
    dev_worker: str,
    postgres_url: str,
    pool: asyncpg.Pool,
    receiver: Receiver,  # noqa: F811
    cli: Cli,
) -> None:
    tag = uuid.uuid4().hex[:8]
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/x" if outage == "never reachable" else postgres_url
    own_pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    async with receiver_on(dev_client, own_pool, dev_worker) as cut_off:
        if outage != "never reachable":
            warm = {**a_change(tag), "payload": {**a_change(tag)["payload"], "summary": f"e2e warm-up {tag}"}}
            assert (await cut_off.post("/v2/change/enqueue", warm))[0] == 202  # the catalog is read and kept now
            await pool.execute("DELETE FROM change_events WHERE summary = $1", f"e2e warm-up {tag}")
            own_pool.terminate()  # every connection of this receiver cut
        await refused_for_now(cut_off, "/v2/change/enqueue", a_change(tag))
        await refused_for_now(cut_off, "/v1/known-errors", a_release(tag), token=TOKEN)
        assert await stored(pool, tag) == (0, 0)

    # the pipeline's retries, to a receiver that reaches Postgres: stored once each, as if first sent now
    try:
        assert await receiver.post("/v2/change/enqueue", a_change(tag)) == (
            202, {"status": "success", "message": "Change event processed"})  # fmt: skip
        status, answer = await receiver.post("/v1/known-errors", a_release(tag), token=TOKEN)
        assert status == 201 and answer["known_errors"][0]["created"] is True, answer
        assert await stored(pool, tag) == (1, 1)
    finally:
        await pool.execute("DELETE FROM change_events WHERE custom_details->>'build' = $1", tag)
        for row in await pool.fetch("SELECT id FROM known_errors WHERE release = $1 AND retired_at IS NULL",
                                    f"9.9-{tag}"):  # fmt: skip
            assert (await cli("known-error", "retire", row["id"], "--reason", "test over")).code == 0
