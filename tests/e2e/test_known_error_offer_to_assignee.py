"""A known error published by a release reaches the assignee of an open incident it matches, on the
assignee's own Slack-compatible webhook (oncall.toml's people), besides the group's channel."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from domain.oncall import Person
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import TOKEN, Receiver, receiver  # noqa: F401
from tests.e2e.test_releases import alert, settled
from tests.e2e.webhook_sink import WebhookSink, serving


@pytest_asyncio.fixture(loop_scope="session")
async def assignee_with_a_webhook(receiver: Receiver) -> AsyncIterator[tuple[str, WebhookSink]]:  # noqa: F811
    """A person of nobody's schedule (so no page reaches the sink), whose webhook is a loopback sink."""
    sink, name = WebhookSink(), f"kim-{uuid.uuid4().hex[:6]}"
    async with serving(sink) as url:
        await receiver.pool.execute("INSERT INTO oncall_people (name, person) VALUES ($1, $2::jsonb)", name,
                                    Person(name=name, slack_webhook=url).model_dump_json())  # fmt: skip
        try:
            yield name, sink
        finally:
            await receiver.pool.execute("DELETE FROM oncall_people WHERE name = $1", name)


async def test_a_published_known_error_is_sent_to_the_assignee_of_the_incident_it_matches(
    assignee_with_a_webhook,
    receiver: Receiver,
    cli: Cli,  # noqa: F811
) -> None:
    name, sink = assignee_with_a_webhook
    phrase = f"banner-{uuid.uuid4().hex[:8]}"
    view = await receiver.view_when(await alert(receiver, f"{phrase} banner missing on the payment page"), settled)
    assert (await cli("ack", view["number"], "--as", name)).code == 0
    release = {"release": f"4.14-{phrase}", "actor": "deploy-bot",
               "known_errors": [{"id": "coupon-rejected", "service": "checkout", "match": [phrase],
                                 "title": "Coupons rejected after 4.14", "workaround": "Apply the coupon by hand."}]}  # fmt: skip
    status, answer = await receiver.post("/v1/known-errors", release, token=TOKEN)
    assert status == 201, answer
    for _ in range(100):  # the offer is a signal, then the workflow's record and delivery activities
        if sink.accepted:
            break
        await asyncio.sleep(0.1)
    [message] = sink.accepted
    assert view["number"] in json.dumps(message) and "Apply the coupon by hand." in json.dumps(message)
    wanted = {("group:checkout-oncall", True), (f"person:{name}", True)}
    for _ in range(100):  # a row is marked sent once its channel answered: just after the sink has the message
        rows = await receiver.pool.fetch(
            "SELECT audience, sent_at IS NOT NULL AS sent FROM notification_outbox o JOIN incidents i"
            " ON i.incident_key = o.incident_key WHERE i.number = $1 AND o.action = 'known_error_offered'",
            view["number"],
        )  # fmt: skip
        if {(r["audience"], r["sent"]) for r in rows} == wanted:
            break
        await asyncio.sleep(0.1)
    assert {(r["audience"], r["sent"]) for r in rows} == wanted
