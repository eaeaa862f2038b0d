"""What you may do: roles and rights through the API, driven with incidentctl as typed. Every refusal is
403 naming the missing right, and the incident is as it was; API tokens are an admin's to make, shown
once, listed without their text, revoked and audited."""

import json
import re

import aiohttp
import asyncpg

from tests.api_identities import issue_token
from tests.e2e.cli import Cli


async def _acks(pool: asyncpg.Pool, number: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT actor FROM incident_events WHERE number = $1 AND action = 'ack'", number)


async def _whoami(cli: Cli, env: dict[str, str]) -> dict:
    result = await cli("whoami", env=env)
    assert result.code == 0, result
    return json.loads(result.out)


async def _open(cli: Cli, service: str, summary: str) -> str:
    # P5: test_incidentctl_commands' report counts the session's email P4s as its own fixtures
    return (await cli.ok_json("open", "--service", service, "--summary", summary, "--impact", "3", "--urgency", "3"))[
        "number"
    ]


async def test_a_responder_acts_on_their_groups_incidents_and_is_refused_anothers_with_nothing_changed(
    cli: Cli, pool: asyncpg.Pool
) -> None:
    ours, theirs = await _open(cli, "checkout", "dana's group"), await _open(cli, "payroll", "hr-systems'")
    dana = {"INCIDENT_API_TOKEN": await issue_token(pool, "dana", ["responder"]), "INCIDENT_USER": "dana"}
    refused = await cli("ack", theirs, env=dana)
    assert refused.code == 1 and "act_on_any_incident" in refused.err and refused.out == "", refused
    assert await _acks(pool, theirs) == [] and (await cli.ok_json("show", theirs))["acknowledged_at"] is None
    assert (await cli("ack", ours, env=dana)).code == 0
    assert [r["actor"] for r in await _acks(pool, ours)] == ["dana"]
    assert (await cli("show", theirs, env=dana)).code == 0  # reading is every responder's right


async def test_an_auditor_reads_everything_and_every_change_is_refused_naming_the_right(
    cli: Cli, pool: asyncpg.Pool, api_url: str
) -> None:
    number = await _open(cli, "email", "audited")
    auditor = await issue_token(pool, "hana", ["auditor"])
    as_auditor = {"INCIDENT_API_TOKEN": auditor, "INCIDENT_USER": "hana"}
    assert (await cli("show", number, env=as_auditor)).code == 0
    refused = await cli("ack", number, env=as_auditor)
    assert refused.code == 1 and "act_on_group_incidents" in refused.err, refused
    made = await cli("token", "create", "--name", "sneaky", "--role", "admin", env=as_auditor)
    assert made.code == 1 and "manage_tokens" in made.err and "inc_" not in made.out + made.err
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api_url}/v1/incidents/{number}/actions/ack", json={},
                  headers={"Authorization": f"Bearer {auditor}"}) as answer,
    ):  # fmt: skip
        problem = await answer.json(content_type=None)
        assert answer.status == 403 and answer.content_type == "application/problem+json"
        assert problem["right"] == "act_on_group_incidents" and problem["title"] == "Forbidden"
    assert await _acks(pool, number) == [] and (await cli.ok_json("show", number))["state"] == "prioritized"
    assert await pool.fetchval("SELECT count(*) FROM api_tokens WHERE name = 'sneaky'") == 0


async def test_acting_as_someone_needs_the_incident_manager_right_and_records_both_names(
    cli: Cli, pool: asyncpg.Pool
) -> None:
    number = await _open(cli, "checkout", "on behalf")
    dana = {"INCIDENT_API_TOKEN": await issue_token(pool, "dana", ["responder"]), "INCIDENT_USER": "dana"}
    refused = await cli("--as", "erik", "ack", number, env=dana)
    assert refused.code == 1 and "act_on_behalf" in refused.err, refused
    assert await _acks(pool, number) == []
    gus = {"INCIDENT_API_TOKEN": await issue_token(pool, "gus", ["incident_manager"]), "INCIDENT_USER": "gus"}
    assert (await cli("--as", "erik", "ack", number, env=gus)).code == 0
    assert [r["actor"] for r in await _acks(pool, number)] == ["erik"]
    entry = await pool.fetchrow("SELECT actor, by FROM audit_log WHERE action = 'incident.ack' AND target = $1", number)
    assert (entry["actor"], entry["by"]) == ("erik", "gus")


async def test_an_admin_makes_a_token_shown_once_lists_it_without_its_text_and_revokes_it(
    cli: Cli, pool: asyncpg.Pool
) -> None:
    made = await cli("token", "create", "--name", "deploy-bot", "--role", "publisher", "--expires", "90d")
    assert made.code == 0, made
    token = made.out.strip()
    assert re.fullmatch(r"inc_[A-Za-z0-9_-]{43}", token) and "not shown again" in made.err
    bot = {"INCIDENT_API_TOKEN": token}
    me = await _whoami(cli, bot)
    assert (me["subject"], me["roles"], me["via"]) == ("deploy-bot", ["publisher"], "api_token")
    listed = await cli("token", "list")
    assert listed.code == 0 and token not in listed.out
    entry = next(t for t in json.loads(listed.out) if t["name"] == "deploy-bot" and t["revoked_at"] is None)
    assert entry["roles"] == ["publisher"] and entry["created_by"] == "tester" and entry["expires_at"]
    assert await pool.fetchval("SELECT count(*) FROM api_tokens WHERE token_sha256::text LIKE $1", f"%{token}%") == 0

    responder = {"INCIDENT_API_TOKEN": await issue_token(pool, "dana", ["responder"])}
    refused = await cli("token", "revoke", str(entry["id"]), env=responder)
    assert refused.code == 1 and "manage_tokens" in refused.err
    assert (await _whoami(cli, bot))["subject"] == "deploy-bot"  # still in force

    assert (await cli("token", "revoke", str(entry["id"]))).code == 0
    after = await cli("whoami", env=bot)
    assert after.code == 1 and "not valid" in after.err and token not in after.err
    again = await cli("token", "revoke", str(entry["id"]))
    assert again.code == 1 and "no token" in again.err
    audited = await pool.fetch(
        "SELECT action, actor, after::text AS after FROM audit_log WHERE target = $1 ORDER BY seq",
        f"token:{entry['id']}",
    )
    assert [(a["action"], a["actor"]) for a in audited] == [("token.create", "tester"), ("token.revoke", "tester")]
    assert not any(token in a["after"] for a in audited)
