"""The audit log in real PostgreSQL: the application's role and even the table's owner cannot change or
remove an entry; what a superuser changes anyway (triggers switched off) is named by `incidentctl audit
verify`, run as typed against the API; an export verifies offline and a line changed in it is named;
concurrent appends keep one chain. Tampering happens in databases of their own (with an API of their own),
so the session's log stays whole."""

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from api.audit_trail import record
from domain.audit_chain import first_break
from localstack.temporal import free_port
from stores import audit_log
from tests.api_identities import issue_token
from tests.api_server import running_api
from tests.scratch_database import scratch_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(loop_scope="session")
async def scratch(pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_database(pool, postgres_url, "audit") as url:
        scratch = await asyncpg.create_pool(url, min_size=1, max_size=12)
        yield scratch
        await scratch.close()


class Auditor:
    """A database with its own API, and incidentctl run as typed by an auditor against it."""

    def __init__(self, pool: asyncpg.Pool, api_url: str, token: str, home: Path) -> None:
        self.pool = pool
        self.env = {**os.environ, "INCIDENT_API_URL": api_url, "INCIDENT_API_TOKEN": token,
                    "XDG_CONFIG_HOME": str(home)}  # fmt: skip

    async def incidentctl(self, *args: str, token: str | None = None) -> tuple[int, str, str]:
        env = self.env if token is None else {**self.env, "INCIDENT_API_TOKEN": token}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter.incidentctl", *args, env=env, cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode, out.decode(), err.decode()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def auditor(
    pool: asyncpg.Pool, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Auditor]:
    async with scratch_database(pool, postgres_url, "audit") as url:
        own = await asyncpg.create_pool(url, min_size=1, max_size=4)
        token = await issue_token(own, "audrey", ["auditor"])
        try:
            # Temporal is not needed to read the audit log: left away
            async with running_api(f"127.0.0.1:{free_port()}", "unused", url) as api_url:
                yield Auditor(own, api_url, token, tmp_path_factory.mktemp("auditor"))
        finally:
            await own.close()


async def append_some(pool: asyncpg.Pool, count: int) -> None:
    for n in range(count):
        await record(
            pool,
            actor="ana",
            by="max" if n % 2 else None,
            action="incident.acknowledge",
            target=f"INC{n:04d}",
            before={"state": "New", "priority": 2.0, "note": "ü"},
            after={"state": "In Progress", "big": 1e20},
        )


async def verified(pool: asyncpg.Pool) -> str | None:
    head = await audit_log.chain_head(pool)
    entries = await audit_log.entries(pool, after_seq=0, since=None, up_to_seq=head.seq, limit=10_000)
    found = first_break(entries, head)
    return None if found is None else found.line()


async def as_superuser(pool: asyncpg.Pool, statement: str, *args: object) -> None:
    """What someone with the database's superuser can do: switch the append-only triggers off."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(statement, *args)


async def test_appended_entries_form_one_chain_that_verifies(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 5)
    assert await verified(scratch) is None
    assert (await audit_log.chain_head(scratch)).seq == 5


async def test_fifty_concurrent_appends_keep_one_gapless_chain(scratch: asyncpg.Pool) -> None:
    await asyncio.gather(
        *(
            record(scratch, actor=f"p{n}", by=None, action="override.add", target="db", before=None, after={"n": n})
            for n in range(50)
        )
    )
    rows = await audit_log.entries(scratch, after_seq=0, since=None, up_to_seq=None, limit=100)
    assert [entry.seq for entry in rows] == list(range(1, 51))
    assert await verified(scratch) is None


async def test_the_application_role_may_append_and_read_but_not_change_or_remove(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 2)
    async with scratch.acquire() as conn:
        await conn.execute("SET ROLE incident_app")
        try:
            await record(conn, actor="ana", by=None, action="token.create", target="deploy-bot", before=None, after={})
            assert len(await audit_log.entries(conn, after_seq=0, since=None, up_to_seq=None, limit=10)) == 3
            for statement in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await conn.execute(statement)
        finally:
            await conn.execute("RESET ROLE")
    assert await verified(scratch) is None


async def test_the_tables_owner_is_refused_too_by_the_append_only_trigger(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 2)
    for statement in (
        "UPDATE audit_log SET actor = 'eve' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "TRUNCATE audit_log",
        "UPDATE audit_chain_head SET seq = 1",
        "DELETE FROM audit_chain_head",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only|only advances"):
            await scratch.execute(statement)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="does not follow the chain head"):
        await scratch.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, prev_hash, hash)"
            " VALUES (7, now(), 'eve', 'x', 'y', 'forged', 'forged')"
        )
    assert await verified(scratch) is None


@pytest_asyncio.fixture(loop_scope="session")
async def six_entries(auditor: Auditor) -> AsyncIterator[Auditor]:
    """Six more entries in the auditor's log, which the test may tamper with and must leave as it found it."""
    await append_some(auditor.pool, 6)
    yield auditor
    assert await verified(auditor.pool) is None, "the test left the log altered"


async def test_audit_verify_through_the_api_says_an_untouched_log_is_intact(six_entries: Auditor) -> None:
    head = await audit_log.chain_head(six_entries.pool)
    code, out, err = await six_entries.incidentctl("audit", "verify")
    assert (code, out, err) == (0, f"audit log intact: entries 1..{head.seq}, the last one's hash {head.hash}\n", "")


async def test_audit_verify_names_a_row_a_superuser_altered_and_exits_1(six_entries: Auditor) -> None:
    head = await audit_log.chain_head(six_entries.pool)
    seq = head.seq - 2
    original = await six_entries.pool.fetchval("SELECT before::text FROM audit_log WHERE seq = $1", seq)
    at = await six_entries.pool.fetchval("SELECT at FROM audit_log WHERE seq = $1", seq)
    await as_superuser(six_entries.pool, 'UPDATE audit_log SET before = \'{"state": "closed"}\' WHERE seq = $1', seq)
    try:
        code, out, _ = await six_entries.incidentctl("audit", "verify")
    finally:
        await as_superuser(six_entries.pool, "UPDATE audit_log SET before = $2::jsonb WHERE seq = $1", seq, original)
    when = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (code, out) == (
        1,
        f"audit log broken: entry {seq} ({when}, incident.acknowledge) was altered: its content does not match its hash\n",
    )


async def test_audit_verify_names_rows_a_superuser_deleted_in_the_middle_or_at_the_end(six_entries: Auditor) -> None:
    head = await audit_log.chain_head(six_entries.pool)
    for seq, said in (
        (head.seq - 3, f"entry {head.seq - 3} was removed: entry {head.seq - 4} is followed by entry {head.seq - 2}"),
        (head.seq, f"entry {head.seq} was removed: the log ends at entry {head.seq - 1} but its head says {head.seq}"),
    ):
        row = await six_entries.pool.fetchrow("SELECT * FROM audit_log WHERE seq = $1", seq)
        await as_superuser(six_entries.pool, "DELETE FROM audit_log WHERE seq = $1", seq)
        try:
            code, out, _ = await six_entries.incidentctl("audit", "verify")
        finally:
            await as_superuser(
                six_entries.pool,
                "INSERT INTO audit_log (seq, at, actor, by, action, target, before, after, prev_hash, hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                *row.values(),
            )
        assert (code, out) == (1, f"audit log broken: {said}\n")


async def test_an_export_verifies_offline_and_a_line_changed_in_it_is_named(
    six_entries: Auditor, tmp_path: Path
) -> None:
    export = tmp_path / "audit.jsonl"
    code, out, err = await six_entries.incidentctl("audit", "export", "--output", str(export))
    head = await audit_log.chain_head(six_entries.pool)
    assert (code, out) == (
        0,
        "",
    ) and f"exported {head.seq} entries, 1..{head.seq}; the last one's hash {head.hash}" in err
    lines = export.read_text().splitlines()
    assert len(lines) == head.seq and json.loads(lines[0])["prev_hash"] == "0" * 64

    offline = {**six_entries.env, "INCIDENT_API_URL": "http://127.0.0.1:9", "INCIDENT_API_TOKEN": ""}
    six_entries.env, saved = offline, six_entries.env  # no API: the file alone
    try:
        code, out, _ = await six_entries.incidentctl("audit", "verify", "--file", str(export))
        assert (code, out) == (
            0,
            f"audit export intact: entries 1..{head.seq} ({head.seq} lines); the last one's hash {head.hash}\n",
        )

        entry = json.loads(lines[2])
        entry["actor"] = "someone else"
        lines[2] = json.dumps(entry)
        export.write_text("\n".join(lines) + "\n")
        code, out, _ = await six_entries.incidentctl("audit", "verify", "--file", str(export))
        assert code == 1 and out.startswith(
            f"audit export broken at line 3: entry 3 ({entry['at']}, {entry['action']}) was altered"
        )

        del lines[2]
        export.write_text("\n".join(lines) + "\n")
        code, out, _ = await six_entries.incidentctl("audit", "verify", "--file", str(export))
        assert (code, out) == (
            1,
            "audit export broken at line 3: entry 3 was removed: entry 2 is followed by entry 4\n",
        )
    finally:
        six_entries.env = saved


async def test_an_export_since_a_time_starts_there_and_verifies_from_its_first_link(
    six_entries: Auditor, tmp_path: Path
) -> None:
    head = await audit_log.chain_head(six_entries.pool)
    at: datetime = await six_entries.pool.fetchval("SELECT at FROM audit_log WHERE seq = $1", head.seq - 1)
    export = tmp_path / "recent.jsonl"
    code, _, _ = await six_entries.incidentctl("audit", "export", "--since", at.isoformat(), "--output", str(export))
    assert code == 0 and [json.loads(line)["seq"] for line in export.read_text().splitlines()] == [
        head.seq - 1,
        head.seq,
    ]
    code, out, _ = await six_entries.incidentctl("audit", "verify", "--file", str(export))
    assert code == 0 and out.startswith(
        f"audit export intact: entries {head.seq - 1}..{head.seq} (2 lines), chained from entry {head.seq - 2}'s hash"
    )


async def test_only_auditors_and_admins_may_read_the_audit_log(auditor: Auditor) -> None:
    responder = await issue_token(auditor.pool, "rita", ["responder"])
    code, out, err = await auditor.incidentctl("audit", "verify", token=responder)
    assert (code, out) == (1, "") and "read_audit" in err
