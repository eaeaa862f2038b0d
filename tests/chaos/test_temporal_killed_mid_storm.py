"""The core host's Temporal server SIGKILLed mid-storm and started again on its database file."""

import asyncio
import uuid

from tests.chaos.alerts import storm
from tests.chaos.conftest import Cluster
from tests.chaos.ledger import Sent, settle_and_check

DOWN_SECONDS = 5


async def test_a_storm_survives_temporal_killed_and_restarted_in_the_middle(cluster: Cluster):
    sent = Sent()
    blowing = asyncio.create_task(storm(cluster.alert_urls(), uuid.uuid4().hex[:6], groups=20, per_group=10,
                                        seconds=30, sent=sent))  # fmt: skip
    await asyncio.sleep(8)
    await cluster.core.temporal.kill()
    await asyncio.sleep(DOWN_SECONDS)
    await cluster.core.temporal.start()
    await blowing
    ledger = await settle_and_check(cluster.client, cluster.pool, cluster.sinks, sent)
    print("ledger, Temporal killed mid-storm:", ledger.counts(), dict(sent.answers))
    assert ledger.problems == []
    assert ledger.accepted == 200 and ledger.incidents == 20
