"""Time-skipping Temporal test server, one per test: days of agreed time pass in milliseconds."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.workflows.skipping_server import SkippingEnv, skipping_environment


@pytest.fixture
async def skipping(pool: asyncpg.Pool) -> AsyncIterator[SkippingEnv]:
    async with skipping_environment(pool) as env:
        yield env
