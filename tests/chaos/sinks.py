"""The client host's SMTP and webhook sinks: every page and notification that arrives, by its key.

A page's email carries Message-ID <page-ID@...> and its webhook the header Idempotency-Key page-ID
(ID: its `pages` row); a notification's webhook carries incident-notification-ID. A key seen twice
is a duplicate: counted, never a failure by itself.
"""

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(r"^Message-ID:\s*<([^@>]+)@", re.MULTILINE | re.IGNORECASE)


class Sinks:
    def __init__(self, host: str, smtp_port: int = 2525, http_port: int = 8025) -> None:
        self.host, self.smtp_port, self.http_port = host, smtp_port, http_port
        self.emails: Counter[str] = Counter()
        self.webhooks: Counter[str] = Counter()  # Idempotency-Key -> arrivals
        self.first_sender: dict[str, str] = {}  # "email KEY" / "webhook KEY" -> the address it first came from
        # awaited once, with the sender's address, before the next webhook is answered
        self.on_webhook: Callable[[str], Awaitable[None]] | None = None
        self._smtp: Controller | None = None
        self._http: web.AppRunner | None = None

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.host}:{self.smtp_port}?from=pager@chaos.test"

    def webhook_url(self, name: str) -> str:
        return f"http://{self.host}:{self.http_port}/hook/{name}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        found = MESSAGE_ID.search(envelope.content.decode(errors="replace"))
        key = found.group(1) if found else "?"
        self.emails[key] += 1
        self.first_sender.setdefault(f"email {key}", session.peer[0] if session.peer else "")
        return "250 OK"

    async def _hook(self, request: web.Request) -> web.Response:
        await request.read()
        key = request.headers.get("Idempotency-Key", "?")
        self.webhooks[key] += 1
        self.first_sender.setdefault(f"webhook {key}", request.remote or "")
        hook, self.on_webhook = self.on_webhook, None
        if hook is not None:
            await hook(request.remote or "")
        return web.json_response({"ok": True})

    async def start(self) -> None:
        self._smtp = Controller(self, hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        app = web.Application()
        app.router.add_post("/hook/{name}", self._hook)
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        await web.TCPSite(self._http, self.host, self.http_port).start()

    async def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        if self._http is not None:
            await self._http.cleanup()
