"""Notifications reach a loopback webhook sink once per event, and survive the sink failing."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

import asyncpg
import pytest

from tests.e2e.catalogs import load_service_with_webhook
from tests.e2e.cli import Cli
from tests.e2e.webhook_sink import WebhookSink, serving


@pytest.fixture
async def sink() -> AsyncIterator[tuple[WebhookSink, str]]:
    sink = WebhookSink(failures=2)
    async with serving(sink) as url:
        yield sink, url


async def test_every_notification_is_delivered_once_even_after_the_webhook_fails(cli: Cli, pool: asyncpg.Pool, sink):
    recorder, url = sink
    await load_service_with_webhook(pool, "status-page", "57a7u5pa9e57a7u5pa9e57a7u5pa9e00", url)

    number = (await cli.ok_json("open", "--service", "status-page", "--summary", "status page down",
                                "--impact", "1", "--urgency", "1"))["number"]  # fmt: skip
    await cli.ok_json("ack", number)
    await cli.ok_json("workaround", number, "served the static fallback")
    expected = 0
    for _ in range(200):  # delivery retries with backoff (2 s, 4 s) after the sink's two failures
        rows = await pool.fetch("SELECT id, sent_at, attempts FROM notification_outbox WHERE number = $1", number)
        expected = len(rows)
        if rows and all(r["sent_at"] for r in rows) and expected >= 5:
            break
        await asyncio.sleep(0.1)
    # prioritize -> group; major escalation -> manager, stakeholders; workaround -> group, stakeholders
    assert expected == 5, rows
    assert all(r["sent_at"] for r in rows), await pool.fetch(
        "SELECT * FROM notification_outbox WHERE number = $1", number
    )
    delivered = [m for m in recorder.accepted if m["incident"] == number]
    assert len(delivered) == 5 and len({m["key"] for m in delivered}) == 5  # each event once
    assert recorder.refused == 2
    assert {m["action"] for m in delivered} == {"prioritize", "major_escalation", "workaround"}
    assert all(m["text"].startswith(f"{number} P1 status-page") for m in delivered)
    logged = await pool.fetchval("SELECT count(*) FROM notification_log l JOIN notification_outbox o"
                                 " ON o.id = l.outbox_id WHERE o.number = $1", number)  # fmt: skip
    assert logged == 5
    assert await pool.fetchval("SELECT max(attempts) FROM notification_outbox WHERE number = $1", number) >= 2


async def test_an_alert_that_fires_after_its_incident_closed_opens_the_next_incident_linked_to_it(
    pool: asyncpg.Pool, dev_client, dev_worker: str, sink
):
    from datetime import datetime

    from domain.alerts import AlertEvent
    from domain.commands import AlertBatch, Cancel, OpenIncident, ViewRequest
    from domain.enums import Source
    from tests.workflows.incident_driver import send
    from workflows.contract import IncidentContract, name_of
    from workflows.incident import IncidentWorkflow

    recorder, url = sink
    recorder.failures = 1  # the closing notifications keep the closed run busy for a couple of seconds
    await load_service_with_webhook(pool, "pager-relay", "9a9e9a9e9a9e9a9e9a9e9a9e9a9e9a9e", url)

    def fired(status: str) -> AlertBatch:
        return AlertBatch(actor="alertmanager", events=[
            AlertEvent(key="fp-late", status=status, at=datetime.now(UTC), description="relay down")])  # fmt: skip

    handle = await dev_client.start_workflow(
        IncidentWorkflow.run, OpenIncident(service="pager-relay", summary="relay down", source=Source.ALERTMANAGER,
                                           severity="warning"),
        id=f"alert-late-{datetime.now().timestamp()}", task_queue=dev_worker,
        start_signal=name_of(IncidentContract.alert), start_signal_args=[fired("firing")],
    )  # fmt: skip
    first = await _wait_for(lambda: handle.query(IncidentWorkflow.view, ViewRequest()), lambda v: v["priority"])
    await send(handle, Cancel(actor="oncall", reason="noise, we think"))
    await handle.signal(IncidentWorkflow.alert, fired("firing"))  # the closed run is still delivering
    latest = dev_client.get_workflow_handle_for(IncidentWorkflow.run, handle.id)
    second = await _wait_for(lambda: latest.query(IncidentWorkflow.view, ViewRequest()),
                             lambda v: v["number"] not in (None, first["number"]) and v["priority"])  # fmt: skip
    assert second["previous_number"] == first["number"]
    assert second["state"] == "prioritized" and second["alerts"]["occurrences"] == 1
    first_row = await pool.fetchrow("SELECT state, outcome FROM incidents WHERE number = $1", first["number"])
    assert (first_row["state"], first_row["outcome"]) == ("closed", "cancelled")  # the first stays as it was closed


async def _wait_for(read, done, attempts: int = 100):
    last = None
    for _ in range(attempts):
        try:
            last = await asyncio.wait_for(read(), timeout=2)
            if done(last):
                return last
        except Exception as err:  # the next run may not have answered yet
            last = err
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition never met; last: {last!r}")
