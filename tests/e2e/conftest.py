from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from tests.api_identities import issue_token
from tests.e2e.cli import Cli

TESTER_ROLES = ("incident_manager", "admin")


@pytest.fixture(scope="session")
async def api_token(pool: asyncpg.Pool) -> str:
    """An API token for "tester", who may do everything (incident manager and admin)."""
    return await issue_token(pool, "tester", TESTER_ROLES)


@pytest.fixture(scope="session")
def cli(api_url: str, api_token: str) -> Cli:
    return Cli(api_url, api_token)


class RolledBack(Exception):
    pass


@pytest_asyncio.fixture(loop_scope="session")
async def conn(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back after the test: the session's shared
    database keeps what it had (store tests write freely)."""
    async with pool.acquire() as connection:
        try:
            async with connection.transaction():
                yield connection
                raise RolledBack
        except RolledBack:
            pass
