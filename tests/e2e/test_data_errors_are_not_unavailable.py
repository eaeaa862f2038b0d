"""A value Postgres refuses is the sender's to fix: a 400 with the reason, never `503 retry later`, which a
sender would retry for ever. The receiver's validation refuses every such value it knows of first
(test_unstorable_timestamps.py); these drive the database's own refusal past it, on the real Postgres."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from domain.alerts import AlertEvent
from receiver.config import ReceiverConfig
from receiver.releases import routes as release_routes
from receiver.releases.payloads import ChangeEvent, ChangePayload
from starter.intake.deliveries import Delivery
from starter.intake.inbox import Inbox, InboxRefused
from tests.e2e.receiver_support import CHECKOUT_KEY, TOKEN, Receiver, receiver  # noqa: F401


async def test_a_change_postgres_cannot_store_is_a_400_with_the_reason_not_a_503(
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tag = uuid.uuid4().hex[:8]
    # as if validation had let the out-of-range instant through: asyncpg then cannot send it
    unchecked = ChangeEvent.model_construct(routing_key=CHECKOUT_KEY, links=[], payload=ChangePayload.model_construct(
        summary=f"e2e unchecked {tag}", source="ci", custom_details={}, timestamp="9999-12-31T23:59:59-01:00"))  # fmt: skip
    monkeypatch.setattr(release_routes, "parse_body", lambda model, body: (unchecked, {}))
    status, answer = await receiver.post("/v2/change/enqueue", {"routing_key": CHECKOUT_KEY})
    assert status == 400, answer
    assert answer["errors"] == [{"loc": [], "msg": "a value of the body cannot be stored: date value out of range",
                                 "type": "value_unstorable"}]  # fmt: skip
    assert (
        await receiver.pool.fetchval("SELECT count(*) FROM change_events WHERE summary = $1", unchecked.payload.summary)
        == 0
    )


def delivery(description: str) -> Delivery:
    event = AlertEvent(key=uuid.uuid4().hex, status="firing", at=datetime.now(UTC), description=description)
    return Delivery(route=f"test-{uuid.uuid4().hex[:12]}", actor="alertmanager", events=[event], opens=None)


async def test_a_delivery_postgres_cannot_hold_is_refused_alone_and_the_rest_of_its_insert_is_kept(
    pool: asyncpg.Pool,
) -> None:
    channel = f"test-{uuid.uuid4().hex[:8]}"
    inbox = Inbox(pool, channel, ReceiverConfig(ingest_token=TOKEN, task_queue="unused"), on_commit=lambda: None)
    before, bad, after = delivery("before"), delivery("jsonb takes no \x00 character"), delivery("after")
    try:
        # submitted together, so they share one INSERT (the coalescer batches what waits behind a call)
        answers: list[Any] = await asyncio.gather(*(inbox.put(d) for d in (before, bad, after)),
                                                  return_exceptions=True)  # fmt: skip
        assert answers[0] is None and answers[2] is None, answers
        assert isinstance(answers[1], InboxRefused) and "Unicode escape" in str(answers[1]), answers
        kept = await pool.fetch("SELECT workflow_id FROM alert_inbox WHERE channel = $1 ORDER BY seq", channel)
        assert [r["workflow_id"] for r in kept] == [before.route, after.route]
    finally:
        await inbox.close()
        await pool.execute("DELETE FROM alert_inbox WHERE channel = $1", channel)
