"""A receiver that starts before the worker has migrated the schema (compose starts them side by side)
answers its status page with 503 and Retry-After, as a reader or a load balancer retries, never 500."""

import uuid
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from pages.status.board import StatusBoard
from pages.status.routes import StatusRoutes


@pytest_asyncio.fixture(loop_scope="session")
async def unmigrated_status_page(pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[str]:
    name = f"unmigrated_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    empty = await asyncpg.create_pool(postgres_url.rsplit("/", 1)[0] + f"/{name}", min_size=1, max_size=2)
    app = web.Application()
    StatusRoutes(StatusBoard(empty), "http://status.example").add_to(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await empty.close()
        await pool.execute(f'DROP DATABASE "{name}"')


async def test_the_status_page_before_the_schema_exists_answers_503_with_retry_after(
    unmigrated_status_page: str,
) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/status", "/status/api/v2/summary.json", "/api/v2/summary.json"):
            async with http.get(unmigrated_status_page + path) as answer:
                assert answer.status == 503, (path, answer.status, await answer.text())
                assert answer.headers["Retry-After"] == "2"
                assert "being upgraded" in await answer.text()
