"""The status page as its readers keep it, on the real receiver, dev server and Postgres: a reader that
stores updates by id never sees one change, a resolved incident stays listed with the time it was
resolved, a component says since when it exists, and the 90-day uptime is the union of outages up to now.

The JSON is read as a Statuspage reader reads it: fetched over HTTP, decoded, checked against the
Statuspage schema (jsonschema) and kept by id. The engineer's side is incidentctl as a person types it."""

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jsonschema
import pytest_asyncio

from pages.status.board import LISTED
from tests.e2e.catalogs import load_service_like
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401
from tests.e2e.status_support import json_of, raise_alert, summary_when, text_of
from tests.e2e.test_status_page import SCHEMAS

HISTORY_SERVICE, HISTORY_KEY = "status-history", "4157041570415704157041570415704a"
UPTIME_SERVICE, UPTIME_KEY = "uptime-lane", "0b7a0b7a0b7a0b7a0b7a0b7a0b7a0b7a"
STORM_SERVICE, STORM_KEY = "storm-lane", "5707a5707a5707a5707a5707a5707a57"
ISO = "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)$"
# Statuspage gives every component the time it was created
COMPONENTS = {"type": "object", "required": ["components"],
              "properties": {"components": {"type": "array", "items": {
                  "type": "object", "required": ["id", "created_at"],
                  "properties": {"created_at": {"type": "string", "pattern": ISO}}}}}}  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def history_receiver(receiver: Receiver) -> Receiver:  # noqa: F811
    return receiver


class KeepingReader:
    """What a Statuspage reader that stores updates does: each id it has seen must keep its words and time."""

    def __init__(self, receiver: Receiver, number: str) -> None:
        self.receiver, self.number, self.kept = receiver, number, dict[str, tuple[str, str, str]]()

    async def read(self) -> dict[str, Any] | None:
        document = await json_of(self.receiver, "/status/api/v2/incidents.json")
        jsonschema.validate(document, SCHEMAS["incidents.json"])
        incident = next((i for i in document["incidents"] if i["id"] == self.number), None)
        if incident is None:
            return None
        listed = {u["id"] for u in incident["incident_updates"]}
        assert set(self.kept) <= listed, f"published updates disappeared: {set(self.kept) - listed}"
        for update in incident["incident_updates"]:
            seen = (update["body"], update["created_at"], update["status"])
            assert self.kept.setdefault(update["id"], seen) == seen, f"update {update['id']} changed: {seen}"
        return incident

    async def until(self, ready: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        deadline, incident = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            incident = await self.read()
            if incident is not None and ready(incident):
                return incident
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.number} never got there on incidents.json: {incident}")


async def test_every_update_keeps_its_id_and_a_resolved_incident_stays_listed_until_a_week_after(
    history_receiver: Receiver, cli: Cli
) -> None:
    receiver = history_receiver
    await load_service_like(receiver.pool, HISTORY_SERVICE, HISTORY_KEY)
    view = await receiver.view_when(await raise_alert(receiver, "history", HISTORY_KEY),
                                    lambda v: v["priority"] is not None)  # fmt: skip
    number = view["number"]
    reader = KeepingReader(receiver, number)
    opened = await reader.until(lambda i: i["status"] == "investigating")
    assert [u["status"] for u in opened["incident_updates"]] == ["investigating"]
    # written while nobody has acknowledged it yet: the page's own "investigating" line stays as it was
    early = await cli("--as", "alice", "update", number, "--public", "Some card payments fail")
    assert early.code == 0, early.err
    first = await reader.until(lambda i: i["incident_updates"][0]["body"] == "Some card payments fail")
    assert [u["status"] for u in first["incident_updates"]] == ["investigating", "investigating"]

    assert (await cli("--as", "alice", "ack", number)).code == 0
    acked = await reader.until(lambda i: i["status"] == "identified")
    assert acked["incident_updates"][0]["status"] == "identified", "the acknowledgement added no update"
    before = set(reader.kept)

    posted = await cli("--as", "alice", "update", number, "--public", "We are restoring card payments")
    assert posted.code == 0, posted.err
    written = await reader.until(lambda i: i["incident_updates"][0]["body"] == "We are restoring card payments")
    assert written["incident_updates"][0]["id"] not in before, "the written update took an id already published"
    assert before < set(reader.kept)

    assert (await cli("--as", "alice", "workaround", number, "failover to db-8")).code == 0
    await reader.until(lambda i: i["status"] == "monitoring")
    resolved = await cli("--as", "alice", "resolve", number, "--resolution", "disk replaced", "--problem", "PRB-20")
    assert resolved.code == 0, resolved.err
    listed = await reader.until(lambda i: i["status"] == "resolved")
    record = await receiver.pool.fetchrow("SELECT state, resolved_at FROM incidents WHERE number = $1", number)
    assert record["state"] == "resolved", "confirmed already: the test would not show a resolved-but-open incident"
    assert listed["resolved_at"] == record["resolved_at"].isoformat(timespec="seconds")
    page = await text_of(receiver, "/status")
    assert re.search(f'<article class="incident [a-z]+" id="{number}" data-status="resolved">', page), page

    assert (await cli("--as", "alice", "confirm", number)).code == 0
    closed = await _record_when(receiver.pool, number, "closed")
    await _page_built_after(receiver, closed["closed_at"])
    confirmed = await reader.until(lambda i: True)
    assert confirmed["status"] == "resolved"
    assert confirmed["resolved_at"] == record["resolved_at"].isoformat(timespec="seconds"), "the close time"
    newest = confirmed["incident_updates"][0]
    assert (newest["status"], newest["body"]) == ("resolved", "This incident has been resolved.")
    assert [u["status"] for u in confirmed["incident_updates"]] == [
        "resolved", "monitoring", "identified", "identified", "investigating", "investigating"]  # fmt: skip


async def _record_when(pool: asyncpg.Pool, number: str, state: str, timeout: float = 20.0) -> asyncpg.Record:
    """The command's answer comes from the workflow; its activity writes the record the page reads after."""
    deadline = time.monotonic() + timeout
    while (row := await pool.fetchrow("SELECT * FROM incidents WHERE number = $1", number))["state"] != state:
        assert time.monotonic() < deadline, f"{number} is still {row['state']} in the record"
        await asyncio.sleep(0.1)
    return row


async def _page_built_after(receiver: Receiver, at: datetime) -> None:
    await summary_when(receiver, lambda s: datetime.fromisoformat(s["page"]["updated_at"]) > at)


async def test_a_component_was_created_when_its_service_first_appeared_in_the_catalog(
    history_receiver: Receiver,
) -> None:
    receiver = history_receiver
    await load_service_like(receiver.pool, HISTORY_SERVICE, HISTORY_KEY)
    first = await receiver.pool.fetchval("SELECT listed_since FROM services WHERE name = $1", HISTORY_SERVICE)
    await load_service_like(receiver.pool, HISTORY_SERVICE, HISTORY_KEY)  # a reload later on
    loaded = await receiver.pool.fetchval("SELECT loaded_at FROM services WHERE name = $1", HISTORY_SERVICE)
    assert loaded > first
    await _page_built_after(receiver, loaded)
    document = await json_of(receiver, "/status/api/v2/components.json")
    jsonschema.validate(document, COMPONENTS)
    mine = next(c for c in document["components"] if c["id"] == HISTORY_SERVICE)
    assert mine["created_at"] == first.isoformat(timespec="seconds")
    assert mine["start_date"] == first.date().isoformat()


async def seed(pool: asyncpg.Pool, priority: str, impact: int, logged_at: datetime,
               restored_at: datetime | None, service: str = UPTIME_SERVICE) -> str:  # fmt: skip
    """An incident of the past, written to the record as the workflow's activity would have left it."""
    number = f"INC-U{uuid.uuid4().hex[:8]}"
    state = "closed" if restored_at else "in_progress"
    await pool.execute(
        "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, outcome,"
        " priority, impact, urgency, logged_at, acknowledged_at, restored_at, resolved_at, closed_at)"
        " VALUES ($1, $1, $1, $2, 'seeded outage', 'events_api', $3, $4, $5, $6, 1, $7, $7, $8, $8, $8)",
        number, service, state, "resolved" if restored_at else None, priority, impact, logged_at, restored_at,
    )  # fmt: skip
    return number


async def test_uptime_counts_overlapping_outages_once_and_nothing_after_now(history_receiver: Receiver) -> None:
    receiver = history_receiver
    await load_service_like(receiver.pool, UPTIME_SERVICE, UPTIME_KEY)
    now = datetime.now(UTC)
    yesterday = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    # a P1 10:00-14:00 yesterday and a P2 logged inside it, 11:00-15:00: five hours down, not eight
    seeded = [
        await seed(receiver.pool, "P1", 1, yesterday + timedelta(hours=10), yesterday + timedelta(hours=14)),
        await seed(receiver.pool, "P2", 2, yesterday + timedelta(hours=11), yesterday + timedelta(hours=15)),
        await seed(receiver.pool, "P1", 1, now - timedelta(minutes=30), None),
    ]  # still down now
    try:
        summary = await summary_when(receiver, lambda s: datetime.fromisoformat(s["page"]["updated_at"]) > now)
        built = datetime.fromisoformat(summary["page"]["updated_at"])
        window = built - datetime.combine(built.date() - timedelta(days=89), datetime.min.time(), tzinfo=UTC)
        down = timedelta(hours=5) + (built - (now - timedelta(minutes=30)))
        uptime = next(c for c in summary["components"] if c["id"] == UPTIME_SERVICE)["uptime_90d"]
        # the page's time is given to the second: a second of it moves the figure by about 1e-5 %
        assert abs(uptime - 100 * (1 - down / window)) < 0.001, (uptime, 100 * (1 - down / window))
        # yesterday: five hours, and the open one's part of it when it began before midnight
        late = max(yesterday + timedelta(days=1) - (now - timedelta(minutes=30)), timedelta(0))
        up = 100 * (1 - (timedelta(hours=5) + late) / timedelta(days=1))
        page = await text_of(receiver, "/status")
        row = page[page.index(f'id="service-{UPTIME_SERVICE}"') :]
        assert f'title="{yesterday.date().isoformat()}: Major outage, {up:.1f}% up"' in row[: row.index("</section>")]
    finally:
        await receiver.pool.execute(
            "UPDATE incidents SET state = 'closed', outcome = 'cancelled', closed_at = now() WHERE number = ANY($1)",
            seeded,
        )


async def test_incidents_json_holds_the_50_most_recent_as_statuspages_does_and_the_rest_every_open_one(
    history_receiver: Receiver,
) -> None:
    """A storm's open incidents: incidents.json stays bounded as Statuspage's is; summary.json,
    unresolved.json and the page still list every one of them."""
    receiver = history_receiver
    await load_service_like(receiver.pool, STORM_SERVICE, STORM_KEY)
    now = datetime.now(UTC)
    seeded = [
        await seed(receiver.pool, "P3", 2, now - timedelta(milliseconds=n), None, service=STORM_SERVICE)
        for n in range(LISTED + 10)
    ]  # newest first
    try:
        await _page_built_after(receiver, now)
        incidents = await json_of(receiver, "/status/api/v2/incidents.json")
        jsonschema.validate(incidents, SCHEMAS["incidents.json"])
        assert len(incidents["incidents"]) == LISTED
        assert [i["id"] for i in incidents["incidents"]] == seeded[:LISTED], "not the most recent, newest first"
        for document in ("summary.json", "incidents/unresolved.json"):
            listed = {i["id"] for i in (await json_of(receiver, f"/status/api/v2/{document}"))["incidents"]}
            assert set(seeded) <= listed, f"{document} left out open incidents: {set(seeded) - listed}"
        page = await text_of(receiver, "/status")
        assert all(f'<article class="incident minor" id="{number}"' in page for number in seeded)
    finally:
        await receiver.pool.execute(
            "UPDATE incidents SET state = 'closed', outcome = 'cancelled', closed_at = now() WHERE number = ANY($1)",
            seeded,
        )
