"""A minute of paging while every packet between the worker hosts and Temporal is 200 ms late (each
way) and 5% of them are lost (tests/chaos/impairment.py: this kernel has no netem)."""

import asyncio
import uuid

from tests.chaos.alerts import storm
from tests.chaos.conftest import Cluster
from tests.chaos.ledger import Sent, settle_and_check

DELAY_SECONDS = 0.2
LOSS = 0.05
IMPAIRED_SECONDS = 60


async def test_a_minute_of_paging_over_a_200_ms_5_percent_lossy_link_to_temporal_loses_nothing(cluster: Cluster):
    sent = Sent()
    pairs = [("worker1", "core"), ("worker2", "core")]
    with cluster.network.impaired(pairs, DELAY_SECONDS, LOSS, IMPAIRED_SECONDS + 30, cluster.directory / "impairment.log",
                                  port=cluster.core.temporal.PORT) as impairment:  # fmt: skip
        started = asyncio.get_running_loop().time()
        await storm(cluster.alert_urls(), uuid.uuid4().hex[:6], groups=12, per_group=5, seconds=45, sent=sent)
        await asyncio.sleep(max(0.0, IMPAIRED_SECONDS - (asyncio.get_running_loop().time() - started)))
        assert impairment.poll() is None, "the impairment ended early"
    ledger = await settle_and_check(cluster.client, cluster.pool, cluster.sinks, sent)
    packets = (cluster.directory / "impairment.log").read_text().strip()
    print("ledger, 200 ms / 5% between workers and Temporal:", ledger.counts(), dict(sent.answers), packets)
    assert ledger.problems == []
    assert ledger.accepted == 60 and ledger.incidents == 12
