"""`python -m api.first_admin`, run as a person types it where the API runs, on a fresh installation of its
own (a new database, an API of its own: the session's database has admins already): the token it prints
alone on stdout signs incidentctl in as an admin who can make tokens; a second run is refused and makes
nothing, until every admin token has expired or been revoked; an unreachable database exits 3 naming where, never the password; the audit log has the entry,
never the token."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio

from localstack.temporal import free_port
from tests.api_server import running_api
from tests.e2e.cli import CliResult
from tests.scratch_database import scratch_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PERSON = "fiona-first-admin"


async def first_admin(database_url: str, *args: str) -> CliResult:
    env = {**os.environ, "INCIDENT_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.first_admin", *args, env=env, cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())


async def incidentctl(api_url: str, token: str, *args: str) -> CliResult:
    env = {k: v for k, v in os.environ.items() if k != "INCIDENT_DATABASE_URL"}
    env |= {"INCIDENT_API_URL": api_url, "INCIDENT_API_TOKEN": token}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter.incidentctl", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_installation(pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[str]:
    """The URL of a migrated database with no token at all, as a new installation's."""
    async with scratch_database(pool, postgres_url, "first_admin") as url:
        yield url


async def test_the_first_admin_token_signs_in_makes_tokens_is_audited_and_a_second_run_is_refused(
    fresh_installation: str,
) -> None:
    made = await first_admin(fresh_installation, "--person", PERSON)
    assert made.code == 0, made
    token = made.out.strip()
    assert made.out == token + "\n" and token.startswith("inc_"), made.out  # the token, alone on stdout
    assert token not in made.err
    unused_temporal = f"127.0.0.1:{free_port()}"  # whoami and tokens never reach Temporal
    async with running_api(unused_temporal, "unused", fresh_installation) as api_url:
        whoami = await incidentctl(api_url, token, "whoami")
        assert whoami.code == 0, whoami
        me = whoami.json()
        assert (me["subject"], me["roles"]) == (PERSON, ["admin", "incident_manager"]), me
        bot = await incidentctl(api_url, token, "token", "create", "--name", "deploy-bot", "--role", "publisher")
        assert bot.code == 0 and bot.out.strip().startswith("inc_"), bot

    again = await first_admin(fresh_installation, "--person", "mallory")
    assert again.code == 1 and again.out == "", again
    assert len(again.err.strip().splitlines()) == 1 and "already in force" in again.err and "--force" in again.err
    async with asyncpg.create_pool(fresh_installation, min_size=1, max_size=1) as db:
        tokens = await db.fetch("SELECT name, subject, created_by FROM api_tokens ORDER BY id")
        assert [(t["name"], t["subject"]) for t in tokens] == [("first-admin", PERSON), ("deploy-bot", "deploy-bot")]
        entries = await db.fetch(
            "SELECT actor, by, action, after::text AS after, row_to_json(audit_log)::text AS whole"
            " FROM audit_log ORDER BY seq"
        )
    first = entries[0]
    assert (first["actor"], first["by"], first["action"]) == ("first-admin bootstrap", None, "token.create")
    assert PERSON in first["after"] and '"forced": false' in first["after"]
    assert len(entries) == 2 and (entries[1]["actor"], entries[1]["action"]) == (PERSON, "token.create")
    assert all(token not in e["whole"] for e in entries)

    forced = await first_admin(fresh_installation, "--person", "fiona-again", "--force", "--expires", "2h")
    assert forced.code == 0 and forced.out.strip().startswith("inc_") and forced.out.strip() != token, forced

    async with asyncpg.create_pool(fresh_installation, min_size=1, max_size=1) as db:  # every admin token lapsed
        await db.execute("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE subject = $1", PERSON)
        await db.execute("UPDATE api_tokens SET revoked_at = now(), revoked_by = 'x' WHERE subject = 'fiona-again'")
    lapsed = await first_admin(fresh_installation, "--person", PERSON)
    assert lapsed.code == 0 and lapsed.out.startswith("inc_"), lapsed  # an expired or revoked admin opens it again


async def test_an_unreachable_database_exits_3_naming_where_and_never_the_password() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://incidents:s3cret-Pa55@127.0.0.1:{port}/incidents"
    result = await first_admin(url, "--person", PERSON)
    assert result.code == 3 and result.out == "", result
    assert f"127.0.0.1:{port}" in result.err and "s3cret-Pa55" not in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


async def test_usage_errors_exit_2_and_make_nothing() -> None:
    url = f"postgresql://incidents@127.0.0.1:{free_port()}/incidents"  # never reached: usage is checked first
    assert (await first_admin(url)).code == 2  # no --person
    bad = await first_admin(url, "--person", PERSON, "--expires", "soon")
    assert bad.code == 2 and "--expires" in bad.err and bad.out == "", bad
