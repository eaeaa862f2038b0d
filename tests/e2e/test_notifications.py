"""Notifications reach a loopback webhook sink once per event, and survive the sink failing."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web

from activities.catalog_store import load_catalog, read_catalog_file
from tests.conftest import CATALOG
from tests.e2e.cli import Cli


class WebhookSink:
    """The far edge, faked: a chat webhook on loopback that fails its first `failures` posts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.accepted: list[dict] = []
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.refused < self.failures:
            self.refused += 1
            return web.Response(status=500)
        self.accepted.append({**body, "key": request.headers["Idempotency-Key"]})
        return web.Response(text="ok")


@pytest.fixture
async def sink() -> AsyncIterator[tuple[WebhookSink, str]]:
    sink = WebhookSink(failures=2)
    app = web.Application()
    app.router.add_post("/hook", sink.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield sink, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_every_notification_is_delivered_once_even_after_the_webhook_fails(cli: Cli, pool: asyncpg.Pool, sink):
    recorder, url = sink
    catalog = read_catalog_file(CATALOG)
    status_page = catalog.services["email"].model_copy(deep=True)
    status_page.name, status_page.integration_key = "status-page", "57a7u5pa9e57a7u5pa9e57a7u5pa9e00"
    status_page.notifications.webhook = url
    catalog.services["status-page"] = status_page
    await load_catalog(pool, catalog)

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
    assert all(r['sent_at'] for r in rows), await pool.fetch('SELECT * FROM notification_outbox WHERE number = $1', number)
    delivered = [m for m in recorder.accepted if m["incident"] == number]
    assert len(delivered) == 5 and len({m["key"] for m in delivered}) == 5  # each event once
    assert recorder.refused == 2
    assert {m["action"] for m in delivered} == {"prioritize", "major_escalation", "workaround"}
    assert all(m["text"].startswith(f"{number} P1 status-page") for m in delivered)
    logged = await pool.fetchval("SELECT count(*) FROM notification_log l JOIN notification_outbox o"
                                 " ON o.id = l.outbox_id WHERE o.number = $1", number)  # fmt: skip
    assert logged == 5
    assert await pool.fetchval("SELECT max(attempts) FROM notification_outbox WHERE number = $1", number) >= 2
