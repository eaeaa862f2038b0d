"""The status page's routes on the receiver: /status (server-rendered HTML, refreshed in place by a few
lines of JavaScript), /status/board (the part that changes), /status/api/v2/*.json (Statuspage) and
/status/feed.atom. Public and read-only: no credential, nothing written. Each snapshot is rendered
once and the bytes served to every request until the next one."""

from pathlib import Path
from typing import Any

import asyncpg
import pydantic_core
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pages.status import statuspage
from pages.status.board import REFRESH_SECONDS, Snapshot, StatusBoard
from pages.status.per_incident import PerIncident

TEMPLATES = Path(__file__).parent / "templates"
POLL_MS = 2000  # how often an open page asks for the board


class StatusRoutes:
    def __init__(self, board: StatusBoard, public_url: str) -> None:
        self._board = board
        self._base = public_url.rstrip("/")
        self._status_url = f"{self._base}/status"
        self._jinja = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(("html", "atom")),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        article = self._jinja.get_template("incident.html")
        self._articles = PerIncident(lambda item: Markup(article.render(incident=item)))
        self._incident_documents = PerIncident(lambda item: statuspage.incident(item, self._status_url))
        self._rendered: dict[str, bytes] = {}
        self._documents: dict[str, dict[str, Any]] | None = None  # the snapshot's JSON documents, built once
        self._version = 0

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/status", self.page)
        app.router.add_get("/status/board", self.board)
        app.router.add_get("/status/feed.atom", self.feed)
        app.router.add_get("/status/api/v2/{document:.+\\.json}", self.api)
        # Statuspage readers (Atlassian's own widget among them) take a page's address and ask for
        # /api/v2/... at the root of its host, whatever path the address had.
        app.router.add_get("/api/v2/{document:.+\\.json}", self.api)

    async def page(self, request: web.Request) -> web.Response:
        return await self._serve("page", "text/html")

    async def board(self, request: web.Request) -> web.Response:
        return await self._serve("board", "text/html")

    async def feed(self, request: web.Request) -> web.Response:
        return await self._serve("feed", "application/atom+xml")

    async def api(self, request: web.Request) -> web.Response:
        name = request.match_info["document"]
        snapshot = await self._fresh()
        if name not in self._rendered:
            if self._documents is None:
                made = self._incident_documents.of(snapshot.incidents)
                self._documents = statuspage.documents(snapshot, self._status_url, made)
            if name not in self._documents:
                raise web.HTTPNotFound(text=f"no such document; try {', '.join(sorted(self._documents))}")
            # only the document asked for, in Rust: an alert storm's unresolved incidents make megabytes
            self._rendered[name] = pydantic_core.to_json(self._documents[name])
        return web.Response(body=self._rendered[name], content_type="application/json", headers=_cache_headers())

    async def _serve(self, what: str, content_type: str) -> web.Response:
        snapshot = await self._fresh()
        if what not in self._rendered:
            self._rendered[what] = self._render(what, snapshot).encode()
        return web.Response(
            body=self._rendered[what], content_type=content_type, charset="utf-8", headers=_cache_headers()
        )

    async def _fresh(self) -> Snapshot:
        try:
            snapshot = await self._board.snapshot()
        except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
            # the worker migrates the schema at its start; a receiver that starts beside it may be first
            raise web.HTTPServiceUnavailable(
                text="the incident database is being upgraded; retry shortly", headers={"Retry-After": "2"}
            ) from None
        if snapshot.version != self._version:  # a new snapshot: everything is rendered again, once
            self._rendered, self._documents, self._version = {}, None, snapshot.version
        return snapshot

    def _render(self, what: str, snapshot: Snapshot) -> str:
        template = {"page": "status.html", "board": "board.html", "feed": "feed.atom"}[what]
        return self._jinja.get_template(template).render(**self._context(snapshot))

    def _context(self, snapshot: Snapshot) -> dict[str, Any]:
        articles = self._articles.of(snapshot.incidents)
        return {
            "base": self._base,
            "now": snapshot.at,
            "services": snapshot.services,
            "status": statuspage.status(snapshot),
            "refresh_ms": POLL_MS,
            "active": [a for i, a in zip(snapshot.incidents, articles, strict=True) if i.unresolved],
            "resolved": [a for i, a in zip(snapshot.incidents, articles, strict=True) if not i.unresolved],
            "incidents": snapshot.incidents,
            "maintenances": [m for m in snapshot.maintenances if m.status(snapshot.at) != "completed"],
        }


def _cache_headers() -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={int(REFRESH_SECONDS)}", "Access-Control-Allow-Origin": "*"}
