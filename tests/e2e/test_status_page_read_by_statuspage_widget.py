"""The status page read by Atlassian's own Statuspage widget (npm @statuspage/status-widget, the web
component a company puts on its own site to show its Statuspage's status), in headless chromium: a page
of another origin loads the widget, the widget fetches summary.json across origins and shows the page's
status as it shows a Statuspage's; a P1 turns it to Statuspage's "Major System Outage" and the
resolution back to "All Systems Operational", each after a reload.

The widget asks for `/api/v2/summary.json` at the root of its `src` host (it replaces the URL's path),
so the receiver serves the documents at /api/v2/ too. The first test reads a status page published at
the root of a host of its own (status.example.com) through a loopback proxy that passes every answer
through with its headers, as a reverse proxy does: the CORS header the browser checks is the
receiver's own. The second points the widget at the receiver's /status itself, as its README tells a
site owner to give it the page's address.

The widget shows the whole page's status, which every open incident of the session would hold at
critical, so this module has a database, a worker and a receiver of its own (`npm ci` in
tests/e2e/statuspage_widget, done by `make test`, installs the widget)."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from temporalio.client import Client

from stores.schema import migrate
from tests.api_identities import issue_token
from tests.api_server import running_api
from tests.e2e.browser_support import browser, needs_chromium  # noqa: F401
from tests.e2e.catalogs import load_service_like
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, serve
from tests.e2e.status_support import raise_alert
from worker import build_worker

WIDGET_JS = Path(__file__).parent / "statuspage_widget/node_modules/@statuspage/status-widget/dist/index.js"
needs_widget = pytest.mark.skipif(not WIDGET_JS.is_file(), reason="the Statuspage widget is not installed: `make "
                                  "test` installs it with npm (npm ci in tests/e2e/statuspage_widget)")  # fmt: skip

SERVICE, KEY = "widget-shop", "3d93e73d93e73d93e73d93e73d93e73d"
WAIT_S = 30.0  # generous on a loaded CI machine
# Statuspage's words for each status.indicator, which its widget shows (and the indicator as a class)
OPERATIONAL = ("none", "All Systems Operational")
MAJOR_OUTAGE = ("critical", "Major System Outage")
DOCUMENTS = ("summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
             "scheduled-maintenances.json")  # fmt: skip
# hop-by-hop and framing headers a proxy sets itself; everything else reaches the browser as it came
OWN_HEADERS = {"connection", "content-length", "content-encoding", "transfer-encoding", "date", "server"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def own_stack(dev_client: Client, dev_server: str, postgres_url: str) -> AsyncIterator[tuple[Receiver, Cli]]:
    """A database, worker and receiver of this module's own, on the session's Temporal dev server."""
    name, admin = f"widget_{uuid.uuid4().hex[:8]}", postgres_url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
    try:
        await migrate(pool)
        await load_service_like(pool, SERVICE, KEY)
        # incidents are found by number on the shared Temporal server: numbers far from the session's
        await pool.execute("SELECT setval('incident_number_seq', 900000)")
        task_queue = f"widget-{uuid.uuid4().hex[:8]}"
        token = await issue_token(pool, "tester", ("incident_manager", "admin"))
        async for receiver in serve(dev_client, pool, task_queue):
            async with build_worker(dev_client, pool, task_queue), running_api(dev_server, task_queue, url) as api:
                yield receiver, Cli(api, token)
    finally:
        await pool.close()
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def status_host(own_stack: tuple[Receiver, Cli]) -> AsyncIterator[str]:
    """The receiver's /status published at the root of a host of its own, by a pass-through proxy."""
    receiver = own_stack[0]

    async def forward(request: web.Request) -> web.Response:
        asked = {k: v for k, v in request.headers.items() if k.lower() not in ("host", *OWN_HEADERS)}
        async with receiver.http.get(f"{receiver.url}/status{request.path}", headers=asked) as answer:
            headers = {k: v for k, v in answer.headers.items() if k.lower() not in OWN_HEADERS}
            return web.Response(status=answer.status, body=await answer.read(), headers=headers)

    app = web.Application()
    app.router.add_get("/api/v2/{document:.+}", forward)
    async with served(app) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def embedding_site() -> AsyncIterator[str]:
    """A company's own site on another origin: a page with the widget, given its Statuspage as `src`."""

    async def page(request: web.Request) -> web.Response:
        src = request.query["src"]
        return web.Response(
            content_type="text/html",
            text=f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Our shop</title><script src="/status-widget.js"></script></head>
<body><p>Our shop</p>
<statuspage-widget id="basic" src="{src}"></statuspage-widget>
<statuspage-widget id="badge" src="{src}" appearance="badge" title="shop status"></statuspage-widget>
</body></html>""",
        )

    async def widget(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WIDGET_JS, headers={"Content-Type": "text/javascript"})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/status-widget.js", widget)
    async with served(app) as url:
        yield url


class served:
    def __init__(self, app: web.Application) -> None:
        self.server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> str:
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()


async def shown(page: Any, widget: str) -> tuple[str, str]:
    """What the widget shows: its indicator's class and its words (CSS pierces its open shadow root)."""
    indicator = page.locator(f"#{widget} .status-indicator")
    await indicator.wait_for(timeout=WAIT_S * 1000)
    colour = (await indicator.get_attribute("class") or "").split()[-1]
    words = page.locator(f"#{widget} .status-indicator" if widget == "badge" else f"#{widget} .status-text")
    return colour, " ".join((await words.text_content() or "").split())  # the badge shows it lowercased


async def widget_read(page: Any, site: str) -> Any:
    """Opens the site and answers the response to the widget's fetch of summary.json, which must succeed."""
    async with page.expect_request(lambda r: r.url.endswith("/api/v2/summary.json")) as asked:
        await page.goto(site)
    request = await asked.value
    answer = await request.response()  # None when the browser refused it (no CORS header, say)
    assert answer is not None and answer.ok, f"the widget could not read {request.url}: " + (
        request.failure if answer is None else f"answered {answer.status}")  # fmt: skip
    return answer


async def shows_after_reloads(page: Any, expected: tuple[str, str]) -> None:
    """Reloads, as a reader of the site does, until both widgets show `expected`."""
    deadline, seen = time.monotonic() + WAIT_S, None
    while time.monotonic() < deadline:
        await page.reload()
        seen = (await shown(page, "basic"), await shown(page, "badge"))
        if seen == (expected, expected):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the widget never showed {expected}: basic and badge showed {seen}")


@needs_chromium
@needs_widget
async def test_the_statuspage_widget_on_another_site_shows_a_p1_and_its_resolution(
    own_stack: tuple[Receiver, Cli],
    status_host: str,
    embedding_site: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    receiver, cli = own_stack
    page = await browser.new_page()
    try:
        answer = await widget_read(page, f"{embedding_site}/?src={status_host}")
        assert answer.url == f"{status_host}/api/v2/summary.json"  # another origin than the site's
        assert answer.headers.get("access-control-allow-origin") == "*"  # the receiver's own header
        assert await shown(page, "basic") == OPERATIONAL and await shown(page, "badge") == OPERATIONAL
        assert await page.locator("#basic a").get_attribute("href") == status_host  # a link to its src
        assert "shop status" in await page.locator("#badge .status-text").inner_text()
        await page.screenshot(path=str(tmp_path / "1-operational.png"))

        view = await receiver.view_when(await raise_alert(receiver, "widget", KEY), lambda v: v["priority"] == "P1")
        number = view["number"]
        await shows_after_reloads(page, MAJOR_OUTAGE)
        await page.screenshot(path=str(tmp_path / "2-major-outage.png"))

        assert (await cli("--as", "alice", "ack", number)).code == 0
        assert (await cli("--as", "alice", "workaround", number, "failover to db-8")).code == 0
        resolved = await cli("--as", "alice", "resolve", number, "--resolution", "disk replaced", "--problem", "PRB-7")
        assert resolved.code == 0, resolved.err
        await shows_after_reloads(page, OPERATIONAL)
        await page.screenshot(path=str(tmp_path / "3-resolved.png"))
    finally:
        await page.close()


@needs_chromium
@needs_widget
async def test_the_statuspage_widget_given_the_receivers_status_url_reads_the_page(
    own_stack: tuple[Receiver, Cli],
    embedding_site: str,
    browser: Any,  # noqa: F811
) -> None:
    receiver = own_stack[0]
    page = await browser.new_page()
    try:
        await widget_read(page, f"{embedding_site}/?src={receiver.url}/status")
        assert await shown(page, "basic") == OPERATIONAL
    finally:
        await page.close()


async def test_the_receiver_answers_a_cross_origin_read_of_its_statuspage_json(
    own_stack: tuple[Receiver, Cli], embedding_site: str
) -> None:
    receiver = own_stack[0]
    async with aiohttp.ClientSession() as http:
        for document in DOCUMENTS:
            url = f"{receiver.url}/status/api/v2/{document}"
            async with http.get(url, headers={"Origin": embedding_site}) as answer:
                assert answer.status == 200 and answer.headers.get("Access-Control-Allow-Origin") == "*", document
