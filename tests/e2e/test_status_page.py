"""The status page on the real receiver, dev server and Postgres: the Statuspage-shaped JSON, the
business-facing updates and what never leaks, maintenance windows that swallow alerts into the record."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest_asyncio

from starter.intake import maintenance
from tests.e2e.catalogs import load_service_like
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401
from tests.e2e.status_support import (
    SECRETS,
    STATUS_KEY,
    STATUS_SERVICE,
    component,
    json_of,
    raise_alert,
    summary_when,
    text_of,
)

# Written from Statuspage's public API v2 documentation (https://<page>.statuspage.io/api/v2):
# the fields and values a Statuspage reader relies on.
TIME = {"type": ["string", "null"], "format": "date-time"}
PAGE = {"type": "object", "required": ["id", "name", "url", "updated_at"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "url": {"type": "string"},
                       "time_zone": {"type": "string"}, "updated_at": TIME}}  # fmt: skip
COMPONENT = {"type": "object", "required": ["id", "name", "status", "position", "page_id", "group"],
             "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                            "status": {"enum": ["operational", "degraded_performance", "partial_outage",
                                                "major_outage", "under_maintenance"]},
                            "position": {"type": "integer"}, "group": {"type": "boolean"},
                            "only_show_if_degraded": {"type": "boolean"}, "updated_at": TIME}}  # fmt: skip
UPDATE = {"type": "object", "required": ["id", "status", "body", "incident_id", "created_at", "display_at"],
          "properties": {"status": {"enum": ["investigating", "identified", "monitoring", "resolved", "postmortem",
                                             "scheduled", "in_progress", "verifying", "completed"]},
                         "body": {"type": "string"}, "created_at": TIME, "display_at": TIME,
                         "affected_components": {"type": ["array", "null"]}}}  # fmt: skip
INCIDENT = {"type": "object",
            "required": ["id", "name", "status", "impact", "created_at", "updated_at", "shortlink",
                         "incident_updates", "components", "page_id"],
            "properties": {"status": {"enum": ["investigating", "identified", "monitoring", "resolved", "postmortem",
                                               "scheduled", "in_progress", "verifying", "completed"]},
                           "impact": {"enum": ["none", "minor", "major", "critical", "maintenance"]},
                           "incident_updates": {"type": "array", "items": UPDATE},
                           "components": {"type": "array", "items": COMPONENT},
                           "resolved_at": TIME, "monitoring_at": TIME, "started_at": TIME}}  # fmt: skip
STATUS = {"type": "object", "required": ["indicator", "description"],
          "properties": {"indicator": {"enum": ["none", "minor", "major", "critical", "maintenance"]}}}  # fmt: skip
SCHEMAS = {
    "summary.json": {"type": "object", "required": ["page", "status", "components", "incidents",
                                                    "scheduled_maintenances"],
                     "properties": {"page": PAGE, "status": STATUS, "components": {"type": "array", "items": COMPONENT},
                                    "incidents": {"type": "array", "items": INCIDENT},
                                    "scheduled_maintenances": {"type": "array", "items": INCIDENT}}},
    "status.json": {"type": "object", "required": ["page", "status"], "properties": {"page": PAGE, "status": STATUS}},
    "components.json": {"type": "object", "required": ["page", "components"],
                        "properties": {"components": {"type": "array", "items": COMPONENT}}},
    "incidents.json": {"type": "object", "required": ["page", "incidents"],
                       "properties": {"incidents": {"type": "array", "items": INCIDENT}}},
    "incidents/unresolved.json": {"type": "object", "required": ["page", "incidents"],
                                  "properties": {"incidents": {"type": "array", "items": INCIDENT}}},
    "scheduled-maintenances.json": {"type": "object", "required": ["page", "scheduled_maintenances"],
                                    "properties": {"scheduled_maintenances": {"type": "array", "items": INCIDENT}}},
}  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def status_receiver(receiver: Receiver) -> Receiver:  # noqa: F811
    await load_service_like(receiver.pool, STATUS_SERVICE, STATUS_KEY)
    return receiver


async def everything_public(receiver: Receiver) -> str:
    """Every document the page serves, as one text to search for what must not be there."""
    parts = [await text_of(receiver, path) for path in ("/status", "/status/board", "/status/feed.atom")]
    parts += [await text_of(receiver, f"/status/api/v2/{name}") for name in SCHEMAS]
    return "\n".join(parts)


def mine(document: dict[str, Any], number: str) -> dict[str, Any]:
    return next(i for i in document["incidents"] if i["id"] == number)


def lists(document: dict[str, Any], number: str) -> bool:
    """The workflow's view has the priority before its activity writes it to the record the page reads."""
    return any(i["id"] == number for i in document["incidents"])


async def test_an_incident_on_the_page_as_the_business_reads_it(status_receiver: Receiver, cli: Cli) -> None:
    receiver, marker = status_receiver, uuid.uuid4().hex[:8]
    view = await receiver.view_when(await raise_alert(receiver, marker), lambda v: v["priority"] is not None)
    number = view["number"]
    summary = await summary_when(receiver, lambda s: lists(s, number) and component(s)["status"] == "major_outage")
    incident = mine(summary, number)
    assert (incident["impact"], incident["status"], incident["name"]) == ("critical", "investigating",
                                                                           f"Major outage of {STATUS_SERVICE}")  # fmt: skip
    assert summary["status"]["indicator"] == "critical"
    for name, schema in SCHEMAS.items():
        jsonschema.validate(await json_of(receiver, f"/status/api/v2/{name}"), schema)

    assert (await cli("--as", "alice", "ack", number)).code == 0
    assert (await cli("--as", "alice", "note", number, f"internal-note-{marker}: db-7 disk full")).code == 0
    posted = await cli("--as", "alice", "update", number, "--public", "We are restoring card payments")
    assert posted.code == 0, posted.err
    updated = await summary_when(
        receiver, lambda s: mine(s, number)["incident_updates"][0]["body"] == "We are restoring card payments"
    )
    latest = mine(updated, number)["incident_updates"][0]
    assert (latest["status"], latest["body"]) == ("identified", "We are restoring card payments")
    assert "We are restoring card payments" in await text_of(receiver, "/status")

    assert (await cli("--as", "alice", "workaround", number, "failover to db-8")).code == 0
    restored = await summary_when(receiver, lambda s: component(s)["status"] == "operational")
    assert mine(restored, number)["status"] == "monitoring"
    bodies = [u["body"] for u in mine(restored, number)["incident_updates"]]
    assert bodies[0] == "Service restored. We are monitoring." and "failover" not in " ".join(bodies)
    feed = ElementTree.fromstring(await text_of(receiver, "/status/feed.atom"))
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert any(e.findtext("{http://www.w3.org/2005/Atom}content") == "We are restoring card payments" for e in entries)

    public = await everything_public(receiver)
    leaked = [secret for secret in (*SECRETS, marker) if secret in public]
    assert not leaked, f"internal details on the public page: {leaked}"


async def test_alerts_inside_a_maintenance_window_open_no_incident(status_receiver: Receiver, cli: Cli) -> None:
    receiver = status_receiver
    start, end = datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=30)
    added = await cli.ok_json("maintenance", "add", "--service", STATUS_SERVICE, "--from", start.isoformat(),
                              "--to", end.isoformat(), "--summary", "Database upgrade")  # fmt: skip
    try:
        summary = await summary_when(
            receiver, lambda s: component(s)["status"] in ("under_maintenance", "major_outage")
        )
        [window] = [m for m in summary["scheduled_maintenances"] if m["id"] == f"maintenance-{added['id']}"]
        assert (window["status"], window["name"], window["impact"]) == ("in_progress", "Database upgrade",
                                                                         "maintenance")  # fmt: skip
        # the receiver's ingest reads windows at most every REFRESH_SECONDS: the page may show the window
        # before ingest knows it (the contract: a window takes effect within that)
        await asyncio.sleep(maintenance.REFRESH_SECONDS)
        before = await receiver.pool.fetchval("SELECT count(*) FROM incidents WHERE service = $1", STATUS_SERVICE)
        route = await raise_alert(receiver, "during maintenance")  # answered 202 (asserted inside)
        attached = await receiver.pool.fetch("SELECT window_id, source FROM maintenance_events WHERE route = $1",
                                             route)  # fmt: skip
        assert [(r["window_id"], r["source"]) for r in attached] == [(added["id"], "events_api")]
        await receiver.forwarded()
        after = await receiver.pool.fetchval("SELECT count(*) FROM incidents WHERE service = $1", STATUS_SERVICE)
        assert after == before, "an alert inside the window opened an incident"
        listed = await cli.ok_json("maintenance", "list")
        assert [w["events"] for w in listed if w["id"] == added["id"]] == [1]
    finally:
        assert (await cli("maintenance", "cancel", str(added["id"]))).code == 0
    bad = await cli("maintenance", "add", "--service", STATUS_SERVICE, "--from", end.isoformat(), "--to",
                    start.isoformat(), "--summary", "backwards")  # fmt: skip
    assert bad.code == 1 and "--to must be after --from" in bad.err
    unknown = await cli("maintenance", "add", "--service", "storefrnt", "--from", start.isoformat(), "--to",
                        end.isoformat(), "--summary", "x")  # fmt: skip
    assert unknown.code == 1 and STATUS_SERVICE in unknown.err


async def test_an_open_incident_of_a_withdrawn_service_is_still_listed(status_receiver: Receiver) -> None:
    """Found by the full suite: a service dropped from the catalog while its incident was open made
    every JSON document answer 500 (it was no component any more)."""
    receiver, key = status_receiver, "3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d"
    await load_service_like(receiver.pool, "leaving-soon", key)
    try:
        view = await receiver.view_when(
            await raise_alert(receiver, "withdrawn", key), lambda v: v["priority"] is not None
        )
    finally:
        await load_service_like(receiver.pool, STATUS_SERVICE, STATUS_KEY)  # leaving-soon withdrawn
    incidents = await summary_when(
        receiver, lambda s: lists(s, view["number"]) and all(c["name"] != "leaving-soon" for c in s["components"])
    )
    listed = mine(await json_of(receiver, "/status/api/v2/incidents.json"), view["number"])
    assert listed["components"] == [] and listed["status"] == "investigating"
    assert incidents["status"]["indicator"] == "critical"
