"""The known-error database on the real Postgres: the catalog seeds it without touching what was added
at run time, every change is audited, a retired one stays retired. Each test runs in a transaction
that is rolled back, so the session's shared database keeps the catalog's known errors as they are."""

import asyncpg
import pytest

from domain.catalog import KnownError
from domain.releases import KnownErrorDraft
from stores import known_errors as store
from stores.known_errors import KnownErrorRefused


def catalog_one(known_id: str, workaround: str = "w") -> KnownError:
    return KnownError(id=known_id, service="checkout", title="t", match=["seeded phrase"], workaround=workaround)


async def trail(conn: asyncpg.Connection, known_id: str) -> list[tuple[str, str, str]]:
    return [(a["action"], a["actor"], a["reason"]) for a in await store.audit_trail(conn, known_id)]


async def test_seeding_adds_changes_and_retires_only_the_catalogs_own(conn: asyncpg.Connection) -> None:
    added = await store.add(conn, KnownErrorDraft(service="checkout", match=["run time"], workaround="w"),
                            actor="alice", origin="incidentctl")  # fmt: skip
    await store.seed_from_catalog(conn, [catalog_one("KE-7001"), catalog_one("KE-7002")])
    version = await store.version_of(conn, "checkout")
    await store.seed_from_catalog(conn, [catalog_one("KE-7001"), catalog_one("KE-7002")])
    assert await store.version_of(conn, "checkout") == version, "the same file again changes nothing"

    await store.seed_from_catalog(conn, [catalog_one("KE-7001", workaround="new words")])
    live = {k.id: k for k in await store.fetch_live(conn, "checkout")}
    assert live["KE-7001"].workaround == "new words" and "KE-7002" not in live
    assert added.known_error.id in live, "a reload never touches what was added at run time"
    assert await trail(conn, "KE-7001") == [("added", "catalog.toml", ""), ("changed", "catalog.toml", "")]
    assert await trail(conn, "KE-7002") == [("added", "catalog.toml", ""),
                                            ("retired", "catalog.toml", "removed from catalog.toml")]  # fmt: skip
    assert await store.version_of(conn, "checkout") > version


async def test_a_known_error_retired_at_run_time_stays_retired_across_reloads(conn: asyncpg.Connection) -> None:
    await store.seed_from_catalog(conn, [catalog_one("KE-7003")])
    await store.retire(conn, "KE-7003", "bob", "fixed in 4.13")
    await store.retire(conn, "KE-7003", "bob", "fixed in 4.13")  # twice: one audit entry
    await store.seed_from_catalog(conn, [catalog_one("KE-7003")])
    assert "KE-7003" not in {k.id for k in await store.fetch_live(conn, "checkout")}
    assert await trail(conn, "KE-7003") == [("added", "catalog.toml", ""), ("retired", "bob", "fixed in 4.13")]


async def test_a_release_publishing_again_finds_what_it_published(conn: asyncpg.Connection) -> None:
    draft = KnownErrorDraft(service="checkout", match=["voucher"], workaround="w", release="9.9", key="v-1")
    first = await store.add(conn, draft, actor="deploy-bot", origin="pipeline")
    again = await store.add(conn, draft, actor="deploy-bot", origin="pipeline")
    other_release = await store.add(conn, draft.model_copy(update={"release": "9.10"}), "deploy-bot", "pipeline")
    assert (first.created, again.created, other_release.created) == (True, False, True)
    assert again.known_error == first.known_error and other_release.known_error.id != first.known_error.id
    assert first.known_error.id.startswith("KE-") and int(first.known_error.id[3:]) >= 1000


async def test_bad_input_is_refused_and_changes_nothing(conn: asyncpg.Connection) -> None:
    before = await conn.fetchval("SELECT count(*) FROM known_error_audit")
    with pytest.raises(KnownErrorRefused, match="unknown service 'chekout'.*checkout"):
        await store.add(conn, KnownErrorDraft(service="chekout", match=["abc"], workaround="w"), "alice", "incidentctl")
    with pytest.raises(KnownErrorRefused, match="no known error KE-424242"):
        await store.retire(conn, "KE-424242", "alice", "gone")
    with pytest.raises(KnownErrorRefused, match="--reason is needed"):
        await store.retire(conn, "KE-101", "alice", "  ")
    added = await store.add(conn, KnownErrorDraft(service="checkout", match=["abc"], workaround="w"), "a", "cli")
    with pytest.raises(KnownErrorRefused, match=f"{added.known_error.id} is already a run-time known error"):
        await store.seed_from_catalog(conn, [catalog_one(added.known_error.id)])
    assert await conn.fetchval("SELECT count(*) FROM known_error_audit") == before + 1  # the one add
