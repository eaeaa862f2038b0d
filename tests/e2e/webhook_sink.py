"""The far edge, faked: a Slack-compatible or generic webhook on loopback, recording what it takes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


class WebhookSink:
    """Fails its first `failures` posts with 500, then answers `status` (set it to make it refuse);
    `accepted` holds each body it took with its Idempotency-Key as "key"."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.status = 200
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.refused < self.failures or self.status >= 300:
            self.refused += 1
            return web.Response(status=500 if self.status < 300 else self.status)
        self.accepted.append({**body, "key": request.headers.get("Idempotency-Key")})
        return web.Response(text="ok")


@asynccontextmanager
async def serving(sink: WebhookSink) -> AsyncIterator[str]:
    """The sink on a free loopback port; yields its URL."""
    app = web.Application()
    app.router.add_post("/hook", sink.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()
