"""Who may change the configuration through the API, as incidentctl (a subprocess) and an HTTP client see
it: a refusal is 403 naming the missing right and changes nothing, not even the audit log; an auditor
reads everything and changes nothing; every change that lands is in the audit log, with who and what."""

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import asyncpg

from tests.api_identities import issue_token
from tests.conftest import CATALOG
from tests.e2e.cli import Cli

FUTURE = ("--from", "2031-03-01T09:00+00:00", "--to", "2031-03-01T18:00+00:00")


def as_holder(cli: Cli, token: str) -> Cli:
    holder = Cli.__new__(Cli)
    holder.env = {**cli.env, "INCIDENT_API_TOKEN": token}
    holder.env.pop("INCIDENT_USER")  # nobody named: the change is made as the token's holder
    return holder


async def counts(pool: asyncpg.Pool) -> tuple[int, ...]:
    return tuple(
        [
            await pool.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("oncall_overrides", "maintenance_windows", "known_errors", "audit_log")
        ]
        + [await pool.fetchval("SELECT count(*) FROM known_errors WHERE retired_at IS NOT NULL")]
    )


async def test_a_publisher_may_publish_known_errors_but_not_add_an_override(
    cli: Cli, pool: asyncpg.Pool, api_url: str
) -> None:
    token = await issue_token(pool, "release-bot", ["publisher"])
    publisher = as_holder(cli, token)
    before = await counts(pool)

    refused = await publisher("oncall", "override", "hr-systems", "--person", "dana", *FUTURE)
    assert refused.code == 1 and refused.out == ""
    assert refused.err == "release-bot may not do this: it needs the right configure\n"
    request = urllib.request.Request(
        f"{api_url}/v1/oncall/schedules/hr-systems/overrides",
        data=json.dumps({"person": "dana", "from": FUTURE[1], "to": FUTURE[3]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a publisher added an override")
    except urllib.error.HTTPError as err:
        assert err.code == 403 and err.headers["content-type"] == "application/problem+json"
        assert json.loads(err.read())["right"] == "configure"
    assert await counts(pool) == before, "a refusal changed something"

    tag = uuid.uuid4().hex[:8]
    added = await publisher.ok_json("known-error", "add", "--service", "email", "--match", f"bounce {tag}",
                                    "--workaround", "wait it out")  # fmt: skip
    entry = await pool.fetchrow("SELECT * FROM audit_log WHERE action = 'known_error.add' AND target = $1", added["id"])
    assert (entry["actor"], entry["by"]) == ("release-bot", None)
    assert json.loads(entry["after"])["match"] == [f"bounce {tag}"]


async def test_an_auditor_reads_everything_and_changes_nothing(cli: Cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    auditor = as_holder(cli, await issue_token(pool, "ada.audit", ["auditor"]))
    for read in (("oncall", "who"), ("oncall", "overrides", "hr-systems"), ("known-error", "list", "--all"),
                 ("maintenance", "list"), ("catalog", "show"), ("changes", "--since", "7d")):  # fmt: skip
        result = await auditor(*read)
        assert result.code == 0, f"incidentctl {' '.join(read)}: {result.err}"
    before = await counts(pool)
    known = (await cli.ok_json("known-error", "list"))[0]["id"]
    for change, right in (
        (("oncall", "override", "hr-systems", "--person", "dana", *FUTURE), "configure"),
        (("oncall", "remove-override", "1"), "configure"),
        (("maintenance", "add", "--service", "email", *FUTURE, "--summary", "Mail upgrade"), "configure"),
        (("maintenance", "cancel", "1"), "configure"),
        (("catalog", "reload", "--file", str(CATALOG)), "configure"),
        (("known-error", "add", "--service", "email", "--match", "bounce", "--workaround", "wait"), "publish"),
        (("known-error", "retire", known, "--reason", "fixed"), "publish"),
    ):
        result = await auditor(*change)
        assert (result.code, result.err) == (1, f"ada.audit may not do this: it needs the right {right}\n"), change
    assert await counts(pool) == before, "an auditor changed something"


async def test_every_configuration_change_lands_in_the_audit_log_with_who_and_what(
    cli: Cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    start = await pool.fetchval("SELECT coalesce(max(seq), 0) FROM audit_log")
    made = await cli.ok_json("oncall", "override", "hr-systems", "--person", "dana", *FUTURE, "--reason", "dentist")
    assert (await cli("oncall", "remove-override", str(made["id"]), "--reason", "back early")).code == 0
    window = await cli.ok_json("maintenance", "add", "--service", "email", *FUTURE, "--summary", "Mail upgrade")
    assert (await cli("maintenance", "cancel", str(window["id"]))).code == 0
    assert (await cli("maintenance", "cancel", str(window["id"]))).code == 0  # again: nothing more to record
    known = await cli.ok_json("known-error", "add", "--service", "email", "--match", f"queue {uuid.uuid4().hex[:8]}",
                              "--workaround", "restart the relay")  # fmt: skip
    assert (await cli("known-error", "retire", known["id"], "--reason", "fixed in 5.1")).code == 0
    (tmp_path / "oncall.toml").write_text((CATALOG.parent / "oncall.toml").read_text())
    changed = tmp_path / "catalog.toml"
    changed.write_text(CATALOG.read_text().replace('service_manager = "jonas.berg"', 'service_manager = "dana"', 1))
    assert 'service_manager = "dana"' in changed.read_text()
    try:
        assert (await cli("catalog", "reload", "--file", str(changed))).code == 0
    finally:
        assert (await cli("catalog", "reload", "--file", str(CATALOG))).code == 0

    again = await cli("oncall", "remove-override", str(made["id"]))
    assert (again.code, again.err) == (1, f"no override {made['id']} in force\n")  # a 404: nothing to record

    rows = await pool.fetch("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq", start)
    assert [(r["action"], r["target"]) for r in rows] == [
        ("oncall.override.add", f"hr-systems override {made['id']}"),
        ("oncall.override.remove", f"hr-systems override {made['id']}"),
        ("maintenance.add", f"maintenance {window['id']}"),
        ("maintenance.cancel", f"maintenance {window['id']}"),
        ("known_error.add", known["id"]),
        ("known_error.retire", known["id"]),
        ("catalog.reload", str(changed)),
        ("catalog.reload", str(CATALOG)),
    ]
    assert {(r["actor"], r["by"]) for r in rows} == {("tester", None)}
    assert json.loads(rows[0]["after"])["reason"] == "dentist"
    assert json.loads(rows[1]["after"])["removed_reason"] == "back early"
    reload = rows[6]
    owner = [name for name, a in json.loads(reload["after"]).items() if a["service_manager"] == "dana"]
    assert owner and json.loads(reload["before"])[owner[0]]["service_manager"] == "jonas.berg"
    assert "notifications" not in json.dumps(json.loads(reload["after"])), "webhook URLs are credentials"
