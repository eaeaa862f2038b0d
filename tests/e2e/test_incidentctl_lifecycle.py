"""incidentctl against the real dev server, worker and Postgres, as an engineer drives it."""

import asyncio

import asyncpg
from temporalio.client import Client

from tests.e2e.cli import Cli

INCIDENT_KEYS = {"number", "workflow_id", "state", "outcome", "priority", "impact", "urgency", "service", "category",
                 "group", "assignee", "summary", "source", "major", "logged_at", "sla"}  # fmt: skip


async def _projection(pool: asyncpg.Pool, number: str, state: str) -> asyncpg.Record:
    """The Postgres record follows the workflow by one activity; wait for it briefly."""
    for _ in range(100):
        row = await pool.fetchrow("SELECT * FROM incidents WHERE number = $1", number)
        if row is not None and row["state"] == state:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{number} never reached {state} in Postgres (last: {row and row['state']})")


async def test_an_engineer_drives_an_incident_from_open_to_closed_and_every_step_is_recorded(
    cli: Cli, pool: asyncpg.Pool, dev_client: Client
):
    opened = await cli.ok_json(
        "open", "--service", "checkout", "--summary", "5xx above 5%", "--impact", "1", "--urgency", "1"
    )
    number = opened["number"]
    assert number.startswith("INC-") and opened["priority"] == "P1" and opened["major"] is True
    assert INCIDENT_KEYS <= opened.keys() and {"response_due", "restore_due", "breached"} <= opened["sla"].keys()
    assert (await cli("--as", "alice", "ack", number)).code == 0
    assert (await cli("diagnose", number, "--finding", "bad deploy 4.12")).code == 0
    assert (await cli("workaround", number, "rolled back to 4.11")).code == 0
    assert (await cli("resolve", number, "--resolution", "config fixed", "--problem", "PRB-12")).code == 0
    closed = await cli.ok_json("confirm", number)
    assert closed["state"] == "closed" and closed["outcome"] == "resolved"

    row = await _projection(pool, number, "closed")
    assert row["priority"] == "P1" and row["outcome"] == "resolved" and row["problem"] == "PRB-12"
    events = await pool.fetch("SELECT actor, action, from_state, to_state FROM incident_events "
                              "WHERE number = $1 AND action NOT IN ('page', 'page_ack', 'paging_exhausted')"
                              " ORDER BY seq", number)  # fmt: skip
    assert [e["action"] for e in events] == ["register", "categorize", "prioritize", "major_escalation", "ack",
                                             "diagnose", "workaround", "resolve", "confirm"]  # fmt: skip
    assert events[4]["actor"] == "alice" and events[5]["actor"] == "tester"
    assert (events[4]["from_state"], events[4]["to_state"]) == ("prioritized", "in_progress")
    found = [w.id async for w in dev_client.list_workflows(f'IncidentNumber = "{number}" AND IncidentState = "closed"')]
    assert found == [opened["workflow_id"]]


async def test_show_history_tells_who_did_what_and_when(cli: Cli):
    number = (await cli.ok_json("open", "--service", "payroll", "--summary", "batch export failed"))["number"]
    await cli("--as", "bob", "note", number, "vendor contacted")
    shown = await cli.ok_json("show", number, "--history")
    assert shown["priority"] == "P3"  # no impact/urgency given: the default (2, 2)
    last = shown["history"][-1]
    assert set(last) == {"at", "actor", "action", "from", "to", "detail"}
    # tester acted for bob (--as): both names are recorded
    assert (last["actor"], last["action"], last["detail"]) == ("bob", "note", "vendor contacted (by tester for bob)")
    assert last["at"].endswith("+00:00")
    table = await cli("show", number, "--history")
    assert table.code == 0 and "vendor contacted" in table.out and "bob" in table.out


async def test_list_filters_open_incidents_and_prints_a_json_array(cli: Cli):
    opened = await cli.ok_json("open", "--service", "email", "--summary", "mailbox quota errors", "--impact", "3",
                               "--urgency", "3")  # fmt: skip
    number = opened["number"]
    listed = await cli.ok_json("list", "--service", "email", "--priority", "P5")
    assert number in [v["number"] for v in listed] and all(v["priority"] == "P5" for v in listed)
    await cli("cancel", number, "--reason", "duplicate of a ticket")
    assert number not in [v["number"] for v in await cli.ok_json("list", "--service", "email")]
    assert number in [v["number"] for v in await cli.ok_json("list", "--service", "email", "--all")]
