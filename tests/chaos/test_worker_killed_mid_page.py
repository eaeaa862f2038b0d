"""A worker host killed between a page handed to a channel and its row marked sent: the page is sent
again by the other worker, with the same idempotency key, and the duplicate is counted."""

import asyncio
import uuid

import aiohttp

from tests.chaos.alerts import TOKEN, delivery
from tests.chaos.conftest import Cluster
from tests.chaos.hosts import eventually
from tests.chaos.ledger import Sent, settle_and_check

GROUPS = 3


async def test_a_worker_host_killed_mid_page_sends_it_again_under_the_same_idempotency_key(cluster: Cluster):
    run, sent, killed = uuid.uuid4().hex[:6], Sent(), asyncio.Event()
    hosts = {cluster.network.address(h): h for h in ("worker1", "worker2")}
    victim: list[str] = []

    async def kill_the_sender(address: str) -> None:
        """The webhook is in the sink's hands, the row not yet marked: the sending host vanishes."""
        victim.append(address)
        await cluster.kill_host(hosts[address])
        killed.set()

    cluster.sinks.on_webhook = kill_the_sender
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        for group in range(GROUPS):
            sent.attempts += 1
            async with http.post(cluster.alert_urls()["receiver2"], json=delivery(run, group, 0),
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
                assert answer.status == 202
                sent.accepted[str((await answer.json())["route"])] += 1

    async def was_killed() -> bool:
        return killed.is_set()

    await eventually(was_killed, 60, "a page's webhook reaches the sink")
    ledger = await settle_and_check(cluster.client, cluster.pool, cluster.sinks, sent)
    print(f"ledger, {[hosts[v] for v in victim]} killed mid-page:", ledger.counts())
    assert ledger.problems == []
    # each page the host had in the sinks' hands when it died went again, and only those: the webhook it
    # was killed on, and any email it had handed over a moment before without marking it sent yet. Each
    # went once more, under the first send's key.
    assert 1 <= sum(ledger.duplicates.values()) <= GROUPS, ledger.duplicates
    assert any(key.startswith("webhook page-") for key in ledger.duplicates), ledger.duplicates
    first_from = {key: cluster.sinks.first_sender.get(key) for key in ledger.duplicates}
    assert all(key.split(" ")[1].startswith("page-") and n == 1 for key, n in ledger.duplicates.items()), (
        ledger.duplicates
    )
    assert set(first_from.values()) == set(victim), f"first sent by {first_from}, the host killed: {victim}"
