"""Maintenance windows beyond the events API: an Alertmanager webhook for a service inside a window
is recorded against the window and opens no incident (as a silence would), and the status page's
HTML (`/status` and the `/status/board` it refreshes from) shows the window, scheduled then in
progress, and drops it once cancelled.

Each test starts its own receiver after announcing its window: the receiver reads the windows at
most every few seconds (starter/intake/maintenance.py), so a receiver that read them a moment
before the announcement could still open an incident for an alert inside it."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio.client import Client

from starter.intake.alertmanager import group_route
from starter.intake.payloads import AlertmanagerWebhook
from stores.catalog_file import load_catalog, read_catalog_file
from tests.conftest import CATALOG
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, fresh_group, incident_of, serve, with_status

SILENCED = "maint-silenced"  # its alerts arrive through Alertmanager during a window
SILENCED_KEY = "5113ce0d5113ce0d5113ce0d5113ce0d"
SHOWN = "maint-shown"  # its windows are read on the status page
SHOWN_KEY = "5e0e5e0e5e0e5e0e5e0e5e0e5e0e5e0e"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def own_services(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """catalog.toml plus two copies of checkout: services whose state no other test's incidents change;
    withdrawn again after (other tests list the catalog's services)."""
    catalog = read_catalog_file(CATALOG)
    for name, key in ((SILENCED, SILENCED_KEY), (SHOWN, SHOWN_KEY)):
        service = catalog.services["checkout"].model_copy(deep=True)
        service.name, service.integration_key = name, key
        catalog.services[name] = service
    await load_catalog(pool, catalog)
    yield
    await load_catalog(pool, read_catalog_file(CATALOG))


@asynccontextmanager
async def fresh_receiver(client: Client, pool: asyncpg.Pool, task_queue: str) -> AsyncIterator[Receiver]:
    """A receiver that has not read the maintenance windows yet: its first delivery reads them.

    serve() is driven to its end even when the test fails: left suspended, its forwarder would keep a
    connection of the session's pool and the session would hang closing it."""
    running = serve(client, pool, task_queue)
    started = await anext(running)
    try:
        yield started
    finally:
        await anext(running, None)


async def announce(cli: Cli, service: str, start: datetime, end: datetime, summary: str) -> dict[str, Any]:
    return await cli.ok_json("maintenance", "add", "--service", service, "--from", start.isoformat(),
                             "--to", end.isoformat(), "--summary", summary)  # fmt: skip


async def text_when(receiver: Receiver, path: str, ready: Callable[[str], bool], timeout: float = 10.0) -> str:
    """The page is rebuilt from Postgres at most once a second: poll it until it says what is expected."""
    deadline, text = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        async with receiver.http.get(f"{receiver.url}{path}") as response:
            assert response.status == 200, path
            assert response.content_type == "text/html", response.content_type
            text = await response.text()
        if ready(text):
            return text
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} never got there; last:\n{text}")


def article(html: str, window_id: int) -> str | None:
    """The window's article on the page, or None when the page does not show it."""
    found = re.search(rf'<article class="incident" id="maintenance-{window_id}">(.*?)</article>', html, re.S)
    return found.group(1) if found else None


def service_state(html: str, service: str) -> str:
    found = re.search(rf'<section class="service" id="service-{service}" data-status="([a-z_]+)"', html)
    assert found, f"no row for {service} on the page"
    return found.group(1)


def minute(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


async def test_an_alertmanager_group_inside_a_window_is_recorded_against_it_and_opens_no_incident(
    own_services: None, dev_client: Client, pool: asyncpg.Pool, dev_worker: str, cli: Cli
) -> None:
    now = datetime.now(UTC)
    window = await announce(cli, SILENCED, now - timedelta(minutes=1), now + timedelta(minutes=30),
                            "Database upgrade")  # fmt: skip
    body = fresh_group(service=SILENCED, severity="critical")  # two alerts; would be a P1
    route = group_route(AlertmanagerWebhook.model_validate(body))
    count = "SELECT count(*) FROM incidents WHERE service = $1"
    try:
        before = await pool.fetchval(count, SILENCED)
        async with fresh_receiver(dev_client, pool, dev_worker) as receiver:
            response = await receiver.alertmanager(body)
            answer = await response.json()
            assert response.status == 202, answer
            assert (answer["result"], answer["maintenance"]) == ("maintenance", window["id"]), answer
            # Alertmanager's retry of the same group (it resends every repeat_interval) is taken by the window too
            again = await receiver.alertmanager(body)
            assert again.status == 202 and (await again.json())["result"] == "maintenance"
            rows = await pool.fetch("SELECT window_id, source, events, payload FROM maintenance_events"
                                    " WHERE route = $1 ORDER BY id", route)  # fmt: skip
            assert [(r["window_id"], r["source"], r["events"]) for r in rows] == [
                (window["id"], "alertmanager", 2), (window["id"], "alertmanager", 2)]  # fmt: skip
            assert SILENCED in rows[0]["payload"]  # the webhook itself is kept with the window
            assert not await pool.fetchval("SELECT count(*) FROM alert_inbox WHERE workflow_id = $1", route)
            await receiver.forwarded()  # whatever else was queued reached Temporal: the absence below is real
            assert await incident_of(pool, route) is None
            assert await pool.fetchval(count, SILENCED) == before, "an alert inside the window opened an incident"
        listed = await cli.ok_json("maintenance", "list")
        assert [w["events"] for w in listed if w["id"] == window["id"]] == [4]  # the alerts the window took
    finally:
        assert (await cli("maintenance", "cancel", str(window["id"]))).code == 0

    # the window, not the service or the group, kept the incident away: once cancelled the group opens one
    async with fresh_receiver(dev_client, pool, dev_worker) as receiver:
        response = await receiver.alertmanager(body)
        assert response.status == 202 and (await response.json())["result"] == "queued"
        view = await receiver.view_when(route, lambda v: v["priority"] is not None)
        assert (view["service"], view["priority"]) == (SILENCED, "P1")
        assert (await receiver.alertmanager(with_status(body, "resolved"))).status == 202
        await receiver.view_when(route, lambda v: v["state"] == "restored")
    assert await pool.fetchval(count, SILENCED) == before + 1


async def test_the_status_page_html_shows_a_window_scheduled_then_in_progress_and_not_once_cancelled(
    own_services: None, dev_client: Client, pool: asyncpg.Pool, dev_worker: str, cli: Cli
) -> None:
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    ahead_from, ahead_to = now + timedelta(days=2), now + timedelta(days=2, hours=3)
    ahead = await announce(cli, SHOWN, ahead_from, ahead_to, f"Storage migration {tag}")
    running_from, running_to = now - timedelta(minutes=5), now + timedelta(hours=1)
    running = await announce(cli, SHOWN, running_from, running_to, f"Database upgrade {tag}")
    try:
        async with fresh_receiver(dev_client, pool, dev_worker) as receiver:
            for path in ("/status", "/status/board"):
                html = await text_when(receiver, path, lambda t: article(t, ahead["id"]) is not None
                                       and article(t, running["id"]) is not None)  # fmt: skip
                assert "<h2>Scheduled maintenance</h2>" in html, path
                scheduled, in_progress = article(html, ahead["id"]), article(html, running["id"])
                assert scheduled is not None and in_progress is not None
                assert f"<h3>{SHOWN}: Storage migration {tag}</h3>" in scheduled, scheduled
                assert "scheduled:" in scheduled and minute(ahead_from) in scheduled
                assert f"{minute(ahead_to)} UTC" in scheduled
                assert f"<h3>{SHOWN}: Database upgrade {tag}</h3>" in in_progress, in_progress
                assert "in progress:" in in_progress and minute(running_from) in in_progress
                assert f'datetime="{running_to.astimezone(UTC).isoformat()}"' in in_progress
                assert service_state(html, SHOWN) == "under_maintenance"
                if path == "/status":  # the whole page, readable without JavaScript: the board is inside it
                    assert '<main id="board"' in html and html.index("Scheduled maintenance") > html.index(
                        '<main id="board"'
                    )

            assert (await cli("maintenance", "cancel", str(running["id"]))).code == 0
            html = await text_when(receiver, "/status/board", lambda t: article(t, running["id"]) is None)
            assert article(html, ahead["id"]) is not None  # the other window is still announced
            assert service_state(html, SHOWN) == "operational"

            assert (await cli("maintenance", "cancel", str(ahead["id"]))).code == 0
            html = await text_when(receiver, "/status", lambda t: article(t, ahead["id"]) is None)
            assert f"Storage migration {tag}" not in html and f"Database upgrade {tag}" not in html
    finally:
        for window in (ahead, running):  # a cancel of a cancelled window changes nothing
            assert (await cli("maintenance", "cancel", str(window["id"]))).code == 0
