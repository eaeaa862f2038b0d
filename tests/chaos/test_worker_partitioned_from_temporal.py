"""An alert storm through both receivers while one worker host is cut from Temporal for 20 s."""

import asyncio
import uuid

from tests.chaos.alerts import storm
from tests.chaos.conftest import Cluster
from tests.chaos.ledger import Sent, settle_and_check

PARTITION_SECONDS = 20


async def test_a_storm_while_a_worker_host_is_cut_from_temporal_for_20_s_loses_and_doubles_nothing(cluster: Cluster):
    sent = Sent()
    blowing = asyncio.create_task(storm(cluster.alert_urls(), uuid.uuid4().hex[:6], groups=20, per_group=10,
                                        seconds=30, sent=sent))  # fmt: skip
    await asyncio.sleep(5)
    with cluster.network.partitioned("worker1", "core", cluster.core.temporal.PORT):
        await asyncio.sleep(PARTITION_SECONDS)
    await blowing
    ledger = await settle_and_check(cluster.client, cluster.pool, cluster.sinks, sent)
    print("ledger, worker host cut from Temporal:", ledger.counts(), dict(sent.answers))
    assert ledger.problems == []
    assert ledger.accepted == 200 and ledger.incidents == 20
