import asyncpg
import pytest

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
