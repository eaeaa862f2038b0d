"""incidentctl as engineers type it at 3 am: options anywhere, help that explains, names checked,
refusals in sentences, a list that says when it cuts, and the catalog at hand."""

import asyncio
from pathlib import Path

import asyncpg
from temporalio.client import Client

from starter.incidentctl.commands import ENGINEER_COMMANDS
from tests.e2e.cli import Cli

CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"


async def _open(cli: Cli, service: str = "checkout", *extra: str) -> str:
    opened = await cli.ok_json("open", "--service", service, "--summary", "basket page slow", *extra)
    return opened["number"]


async def eventually_listed(cli: Cli, number: str, *filters: str, present: bool = True) -> list[dict]:  # type: ignore[type-arg]
    """`list` reads the record, which follows each change within moments."""
    for _ in range(100):
        listed = await cli.ok_json("list", *filters)
        if (number in [v["number"] for v in listed]) is present:
            return listed
        await asyncio.sleep(0.1)
    raise AssertionError(f"{number} {'never' if present else 'still'} listed with {filters}")


async def test_global_options_work_before_and_after_the_command(cli: Cli):
    number = await _open(cli)
    shown = await cli("show", number, "-o", "json")
    assert shown.code == 0 and shown.json()["number"] == number
    acked = await cli("ack", number, "--as", "bob", "-o", "json")
    assert acked.code == 0 and acked.json()["assignee"] == "bob"
    noted = await cli("--as", "carol", "note", number, "looking at the CDN", "--request-id", "note-1")
    again = await cli("note", number, "looking at the CDN", "--request-id", "note-1", "--as", "carol")
    assert noted.code == again.code == 0
    history = (await cli.ok_json("show", number, "--history"))["history"]
    assert [h["actor"] for h in history if h["action"] == "note"] == ["carol"]  # once, by carol


async def test_help_lists_every_command_with_what_it_does_and_every_option_with_its_values(cli: Cli):
    top = await cli("--help")
    assert top.code == 0
    for command in ENGINEER_COMMANDS:
        assert command.name in top.out and command.help.split(";")[0][:30] in " ".join(top.out.split())
    for name in ("open", "list", "show", "report", "catalog", "completion"):
        assert f"    {name} " in top.out
    opened = " ".join((await cli("open", "--help")).out.split())
    assert "--impact 1..3" in opened and "P3 when both are left out" in opened
    listed = " ".join((await cli("list", "--help")).out.split())
    assert "(default 200)" in listed and "in_progress" in listed


async def test_unknown_names_are_refused_with_the_valid_ones_and_the_closest_match(cli: Cli, pool: asyncpg.Pool):
    number = await _open(cli)
    await cli.ok_json("ack", number)
    typo = await cli("escalate", number, "--to", "platfrom-sre", "--reason", "network")
    assert typo.code == 1
    assert typo.err.strip().startswith("--to: 'platfrom-sre' is not a group the catalog or oncall.toml knows:")
    assert typo.err.strip().endswith("(did you mean platform-sre?)")
    service = await cli("list", "--service", "chekout")
    assert (
        service.code == 1
        and "(did you mean checkout?)" in service.err
        and "choose one of checkout, email" in service.err
    )
    state = await cli("list", "--state", "inprogress")
    assert state.code == 1 and "(did you mean in_progress?)" in state.err
    category = await cli("open", "--service", "checkout", "--summary", "slow", "--category", "perfromance")
    assert category.code == 1 and "(did you mean performance?)" in category.err
    digits = await cli("ack", number.removeprefix("INC-"))
    assert (
        digits.code == 1 and digits.err.strip() == f"no incident {number.removeprefix('INC-')} (did you mean {number}?)"
    )
    history = (await cli.ok_json("show", number, "--history"))["history"]
    assert [h["action"] for h in history][-1] == "ack"  # none of the refusals reached history


async def test_refusals_are_sentences_that_name_the_flag(cli: Cli):
    number = await _open(cli)
    await cli.ok_json("ack", number)
    bad = await cli("resolve", number, "--resolution", "fixed", "--problem", "PRB12")
    assert bad.code == 1 and bad.err.strip() == "--problem must look like PRB-123 (got 'PRB12')"
    long = await cli("note", number, "x" * 2001)
    assert long.code == 1 and long.err.strip() == "TEXT is 2001 characters long; at most 2000"
    down = await cli("show", number, env={"INCIDENT_API_URL": "http://127.0.0.1:9"})
    assert (
        down.code == 3
        and down.err.strip() == "cannot reach the incident API at http://127.0.0.1:9 (connection refused)"
    )
    assert "tonic" not in down.err and "transport" not in down.err


async def test_open_outside_the_agreements_leaves_no_workflow_and_is_recorded_as_rejected(
    cli: Cli, dev_client: Client, pool: asyncpg.Pool
):
    outside = await cli("open", "--service", "coffee-machine", "--summary", "no coffee on floor 3")
    assert outside.code == 1
    assert outside.err.strip().endswith("no incident opened; recorded as a rejected event")
    found = [w async for w in dev_client.list_workflows('IncidentService = "coffee-machine"')]
    assert found == []  # nothing in the auditors' list looks like an incident
    row = await pool.fetchrow("SELECT source, reason, payload FROM rejected_events WHERE service = 'coffee-machine'"
                              " ORDER BY id DESC LIMIT 1")  # fmt: skip
    assert row["source"] == "incidentctl" and "no coffee on floor 3" in row["payload"]


async def test_list_answers_from_the_record_and_says_when_the_limit_cuts(cli: Cli):
    numbers = [await _open(cli, "payroll", "--impact", "3", "--urgency", "3") for _ in range(3)]
    await eventually_listed(cli, numbers[-1], "--service", "payroll")
    cut = await cli("-o", "json", "list", "--service", "payroll", "--limit", "2")
    assert cut.code == 0 and len(cut.json()) == 2
    total = len(await cli.ok_json("list", "--service", "payroll", "--limit", "1000"))
    assert cut.err.strip() == f"showing 2 of {total} (use --limit)"
    whole = await cli("list", "--service", "payroll", "--limit", "1000")
    assert whole.err == "" and all(n in whole.out for n in numbers)
    one = next(v for v in cut.json() + await cli.ok_json("list", "--service", "payroll", "--limit", "1000")
               if v["number"] == numbers[0])  # fmt: skip
    assert {"number", "workflow_id", "state", "priority", "service", "group", "sla"} <= set(one)
    assert one["workflow_id"] == one["number"] and one["sla"]["restore_due"].endswith("+00:00")


async def test_catalog_show_and_reload_with_a_clear_refusal_for_a_broken_file(cli: Cli, tmp_path: Path):
    shown = await cli("catalog", "show", "checkout")
    assert shown.code == 0 and "checkout" in shown.out and "platform-sre" in shown.out and "P1 15m/2h" in shown.out
    as_json = await cli.ok_json("catalog", "show")
    assert set(as_json["services"]) >= {"checkout", "payroll", "email"}
    assert "integration_key" not in str(as_json) and "notifications" not in str(as_json)  # credentials stay out
    broken = tmp_path / "catalog.toml"
    broken.write_text(CATALOG.read_text().replace('restore = "2h"', 'restore = "soon"'))
    (tmp_path / "oncall.toml").write_text((CATALOG.parent / "oncall.toml").read_text())  # the catalog names it
    refused = await cli("catalog", "reload", "--file", str(broken))
    assert refused.code == 1 and str(broken) in refused.err and "not a duration: 'soon'" in refused.err
    assert "nothing changed" in refused.err
    first = await cli("catalog", "reload", "--file", str(CATALOG))  # tests before may have layered services on it
    again = await cli("catalog", "reload", "--file", str(CATALOG))
    assert first.code == again.code == 0 and "(already loaded)" in again.out  # idempotent
    assert "checkout         unchanged" in again.out
    missing = await cli("catalog", "show", "chekout")
    assert missing.code == 1 and "(did you mean checkout?)" in missing.err
