"""One receiver host cut from PostgreSQL: it refuses (503), never accepts; the other keeps accepting,
and the inbox forwarder's leadership moves to it, so what it accepts reaches its incidents meanwhile.

The cut receiver's deliveries come in two waves: the second arrives while the first wave's insert is
still waiting on the cut database, so it queues behind it (the receiver writes one batch at a time)
and gets its 503 after that insert's timeout and its own. The latencies are printed, not judged (a
busy machine must not fail this test)."""

import asyncio
import time
import uuid

import aiohttp

from tests.chaos.alerts import TOKEN, delivery
from tests.chaos.conftest import Cluster
from tests.chaos.hosts import eventually
from tests.chaos.ledger import Sent, settle_and_check
from tests.reliability.projection import view_of

PARTITION_SECONDS = 45  # at most: the leadership must move well within it
DELIVERIES = 10
# a sender's patience: the receiver gives up on its inbox after its own timeout, then answers 503
ANSWER_SECONDS = 20
WAVE_GAP_SECONDS = 1  # well inside the first wave's database timeout (5 s): the second wave queues behind it


async def send(http: aiohttp.ClientSession, cluster: Cluster, host: str, body: dict, sent: Sent) -> int | str:
    """POST one delivery as Alertmanager does; the answer's status (or the client error's name)."""
    sent.attempts += 1
    try:
        async with http.post(cluster.alert_urls()[host], json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            sent.answers[f"{host} {r.status}"] += 1
            if 200 <= r.status < 300:
                sent.accepted[str((await r.json())["route"])] += 1
                sent.last_route = str((await r.json())["route"])
            return r.status
    except (aiohttp.ClientError, TimeoutError) as err:
        sent.answers[f"{host} {type(err).__name__}"] += 1
        return type(err).__name__


async def test_a_receiver_cut_from_postgres_refuses_while_the_other_accepts_and_takes_the_forwarding(
    cluster: Cluster,
):
    run, sent = uuid.uuid4().hex[:6], Sent()
    timeout = aiohttp.ClientTimeout(total=ANSWER_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for k in range(3):  # receiver1 started first: it leads the forwarding before the cut
            assert await send(http, cluster, "receiver1", delivery(run, 0, k), sent) == 202
        with cluster.network.partitioned("receiver1", "core", cluster.core.postgres.PORT):

            async def timed(k: int) -> tuple[int | str, float]:
                await asyncio.sleep(WAVE_GAP_SECONDS * (k // 3))
                began = time.monotonic()
                return await send(http, cluster, "receiver1", delivery(run, 1, k), sent), time.monotonic() - began

            answered = await asyncio.gather(*(timed(k) for k in range(6)))
            cut, latencies = [a for a, _ in answered], [round(s, 1) for _, s in answered]
            assert not any(isinstance(a, int) and 200 <= a < 300 for a in cut), f"receiver1 accepted while cut: {cut}"
            for k in range(DELIVERIES):
                assert await send(http, cluster, "receiver2", delivery(run, 2, k), sent) == 202
            route = sent.last_route

            async def forwarded_meanwhile() -> bool:
                workflow_id = await cluster.pool.fetchval(
                    "SELECT workflow_id FROM alert_routes WHERE route = $1", route
                )
                if workflow_id is None:
                    return False  # not forwarded yet
                view = await view_of(cluster.client, workflow_id, history=False)
                return view["alerts"]["occurrences"] == DELIVERIES

            try:
                await eventually(forwarded_meanwhile, PARTITION_SECONDS, "receiver2's deliveries in Temporal")
                moved = "forwarding moved to receiver2 during the cut"
            except AssertionError as err:
                holders = await cluster.pool.fetch(
                    "SELECT a.client_addr::text AS client, a.state FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                    " WHERE l.locktype = 'advisory' AND l.granted")  # fmt: skip
                raise AssertionError(
                    f"{err}; the forwarding lock is still held by {[dict(h) for h in holders]}"
                ) from None
    ledger = await settle_and_check(cluster.client, cluster.pool, cluster.sinks, sent)
    print("ledger, receiver host cut from PostgreSQL:", ledger.counts(), dict(sent.answers), moved,
          f"cut receiver's answers {cut} after {latencies} s (first wave, then the wave queued behind it)")  # fmt: skip
    assert ledger.problems == []
    assert cut == [503] * 6, f"receiver1 cut from PostgreSQL answered {cut} within {ANSWER_SECONDS}s, not 503"
