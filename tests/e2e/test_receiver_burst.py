"""An alert storm neither loses an alert nor makes a duplicate incident."""

import asyncio
import copy
from typing import Any

import asyncpg
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from receiver.app import METRICS_KEY
from tests.e2e.receiver_support import Receiver, fresh_group, receiver  # noqa: F401

FINGERPRINTS = ("a1", "b2", "c3", "d4")


async def test_twenty_concurrent_deliveries_of_one_group_make_exactly_one_incident_counting_every_alert(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    body = fresh_group()
    await receiver.forwarded()  # deliveries of earlier tests are not counted as this one's
    before = temporal_calls(receiver)
    answers = await asyncio.gather(*(receiver.alertmanager(body) for _ in range(20)))
    assert [a.status for a in answers] == [202] * 20
    workflow_ids = {(await a.json())["route"] for a in answers}
    assert len(workflow_ids) == 1
    (workflow_id,) = workflow_ids

    await receiver.forwarded()
    view = await receiver.view_when(workflow_id, lambda v: v["number"] is not None)
    assert view["alerts"] == {"firing": 2, "occurrences": 40, "keys": 2}  # every accepted alert counted once
    runs = [w async for w in receiver.client.list_workflows(f"WorkflowId = '{view['workflow_id']}'")]
    assert len(runs) == 1 and view["workflow_id"] == view["number"]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM incidents WHERE workflow_id IN"
            " (SELECT workflow_id FROM alert_routes WHERE route = $1)",
            workflow_id,
        )
        == 1
    )
    calls, carried = (after - earlier for after, earlier in zip(temporal_calls(receiver), before, strict=True))
    assert carried == 20 and 1 <= calls <= 20  # how few calls depends on timing; the coalescer tests pin the rule
    print(f"20 concurrent deliveries reached Temporal in {calls} call(s)")


def temporal_calls(receiver: Receiver) -> tuple[int, int]:
    """(calls, deliveries they carried) so far, from the receiver's own metrics."""
    metrics = receiver.app[METRICS_KEY]
    return sum(metrics.temporal_calls.values()), sum(metrics.carried.values())


def webhook(group: dict[str, Any], statuses: dict[str, str]) -> dict[str, Any]:
    """One delivery of `group` carrying the given alerts (fingerprint -> status)."""
    body = copy.deepcopy(group)
    template = body["alerts"][0]
    body["alerts"] = [{**copy.deepcopy(template), "fingerprint": fingerprint, "status": status,
                       "labels": {**template["labels"], "instance": fingerprint}}
                      for fingerprint, status in statuses.items()]  # fmt: skip
    body["status"] = "firing" if "firing" in statuses.values() else "resolved"
    return body


deliveries = st.lists(
    st.dictionaries(st.sampled_from(FINGERPRINTS), st.sampled_from(["firing", "resolved"]), min_size=1),
    min_size=1, max_size=6,
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=deliveries, concurrently=st.booleans())
async def test_no_accepted_firing_alert_is_missing_from_its_incidents_occurrence_count(
    receiver: Receiver, batches: list[dict[str, str]], concurrently: bool
) -> None:
    expected = sum(list(statuses.values()).count("firing") for statuses in batches)
    assume(expected > 0)
    group = fresh_group()  # a new groupKey per example, replays included: each its own incident
    bodies = [webhook(group, statuses) for statuses in batches]
    if concurrently:
        answers = await asyncio.gather(*(receiver.alertmanager(b) for b in bodies))
    else:
        answers = [await receiver.alertmanager(b) for b in bodies]
    assert [a.status for a in answers] == [202] * len(bodies)
    workflow_id = (await answers[0].json())["route"]

    await receiver.forwarded()  # every accepted delivery is in Temporal: the count can only be exact now
    view = await receiver.view_when(workflow_id, lambda v: v["alerts"]["occurrences"] >= expected)
    assert view["alerts"]["occurrences"] == expected
