"""`incidentctl oncall`: overrides change who is on call at once, are listed and removed, and bad input
is refused with a clear message and changes nothing."""

from datetime import UTC, datetime, timedelta

import asyncpg

from tests.e2e.cli import Cli


async def test_an_override_covers_the_group_until_it_is_removed(cli: Cli, pool: asyncpg.Pool):
    before = (await cli.ok_json("oncall", "who", "--group", "hr-systems"))[0]["person"]
    cover = "dana" if before != "dana" else "erik"
    start = datetime.now(UTC) - timedelta(minutes=1)
    made = await cli.ok_json("oncall", "override", "hr-systems", "--person", cover, "--from", start.isoformat(),
                             "--to", (start + timedelta(hours=2)).isoformat(), "--reason", "jonas at the dentist")  # fmt: skip
    try:
        now = (await cli.ok_json("oncall", "who", "--group", "hr-systems"))[0]
        assert (now["person"], now["source"]) == (cover, "override")
        listed = await cli.ok_json("oncall", "overrides", "hr-systems")
        assert [(o["id"], o["person"], o["reason"], o["by"]) for o in listed] == [
            (made["id"], cover, "jonas at the dentist", "tester")
        ]
        table = await cli("oncall", "shifts", "hr-systems", "--days", "1", "--tz", "Europe/Stockholm")
        assert table.code == 0 and f"{cover:<14}" in table.out and "override" in table.out
    finally:
        removed = await cli("oncall", "remove-override", str(made["id"]), "--reason", "back early")
    assert removed.code == 0 and "removed" in removed.out
    assert (await cli.ok_json("oncall", "who", "--group", "hr-systems"))[0]["person"] == before
    row = await pool.fetchrow("SELECT removed_by, reason FROM oncall_overrides WHERE id = $1", made["id"])
    assert row["removed_by"] == "tester" and row["reason"].endswith("(removed: back early)")  # kept, for the audit


async def test_bad_override_input_is_refused_and_changes_nothing(cli: Cli, pool: asyncpg.Pool):
    count = await pool.fetchval("SELECT count(*) FROM oncall_overrides")
    backwards = await cli("oncall", "override", "hr-systems", "--person", "dana", "--from", "2026-12-24T18:00",
                          "--to", "2026-12-24T09:00")  # fmt: skip
    assert backwards.code == 1 and "--to (" in backwards.err and "must be after --from" in backwards.err
    stranger = await cli("oncall", "override", "hr-systems", "--person", "dnaa", "--from", "2026-12-24T09:00",
                         "--to", "2026-12-24T18:00")  # fmt: skip
    assert stranger.code == 1 and "(did you mean dana?)" in stranger.err
    group = await cli("oncall", "override", "hr-sytems", "--person", "dana", "--from", "2026-12-24T09:00",
                      "--to", "2026-12-24T18:00")  # fmt: skip
    assert group.code == 1 and "(did you mean hr-systems?)" in group.err
    when = await cli("oncall", "who", "--at", "christmas eve")
    assert when.code == 1 and "--at must be a date and time" in when.err
    assert await pool.fetchval("SELECT count(*) FROM oncall_overrides") == count
