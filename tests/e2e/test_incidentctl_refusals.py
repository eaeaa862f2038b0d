"""incidentctl as a tired person types it: empty and blank values, the Web UI's address for the API's,
a known error shown, a zero-length shift. Each refusal is one line naming the flag, checked before
anything is sent or reserved, and changes nothing."""

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from tests.e2e.cli import Cli, CliResult

PROJECT = Path(__file__).resolve().parents[2]
NOBODY_THERE = {
    "INCIDENT_API_URL": "http://127.0.0.1:9"
}  # nothing listens: a command that tried to connect would exit 3


def one_line(result: CliResult) -> str:
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1, result.err
    return result.err.strip()


async def next_number(pool: asyncpg.Pool) -> tuple[int, bool]:
    row = await pool.fetchrow("SELECT last_value, is_called FROM incident_number_seq")
    return row["last_value"], row["is_called"]


async def test_open_with_an_empty_name_summary_or_service_is_refused_naming_the_flag_and_uses_no_number(
    cli: Cli, pool: asyncpg.Pool
):
    before = await next_number(pool)
    typed = {
        ("--as", ""): "--as must not be empty",
        ("--summary", ""): "--summary must not be empty",
        ("--summary", "   "): "--summary must not be empty",
        ("--service", ""): "--service must not be empty",
        ("--category", ""): "--category must not be empty",
        ("--caller", " "): "--caller must not be empty",
    }
    for (flag, value), said in typed.items():
        args = {"--service": "checkout", "--summary": "basket page slow", flag: value}
        refused = await cli("open", *[part for pair in args.items() for part in pair])
        assert (refused.code, one_line(refused)) == (1, said), (flag, value, refused.err)
    assert await next_number(pool) == before  # no incident number used up
    unreachable = await cli("open", "--service", "checkout", "--summary", "slow", "--as", "",
                            env=NOBODY_THERE)  # fmt: skip
    assert (unreachable.code, one_line(unreachable)) == (1, "--as must not be empty")  # checked before connecting


async def test_an_empty_or_blank_value_of_an_engineer_command_is_refused_before_anything_is_sent(cli: Cli):
    number = (await cli.ok_json("open", "--service", "checkout", "--summary", "basket page slow"))["number"]
    await cli.ok_json("ack", number)
    typed = {
        ("note", number, ""): "TEXT must not be empty",
        ("note", number, "  "): "TEXT must not be empty",
        ("note", number, "checked", "--as", ""): "--as must not be empty",
        ("escalate", number, "--to", "", "--reason", "network"): "--to must not be empty",
        ("diagnose", number, "--finding", "cdn", "--category", ""): "--category must not be empty",
        ("resolve", number, "--resolution", "fixed", "--problem", ""): "--problem must not be empty",
    }
    for args, said in typed.items():
        refused = await cli(*args, env=NOBODY_THERE)
        assert (refused.code, one_line(refused)) == (1, said), (args, refused.err)
        sent = await cli(*args)  # with Temporal there: the same words, nothing reaches the incident
        assert (sent.code, one_line(sent)) == (1, said), (args, sent.err)
    history = (await cli.ok_json("show", number, "--history"))["history"]
    assert [h["action"] for h in history if h["actor"] == "tester"] == ["register", "ack"]  # nothing after ack


async def test_the_api_url_at_the_web_uis_address_says_nothing_there_speaks_the_incident_api(cli: Cli, web_ui: str):
    address = f"http://{urlsplit(web_ui).netloc}"  # what a person copies from the browser's address bar
    for command in (("show", "INC-1001"), ("ack", "INC-1001"), ("open", "--service", "checkout", "--summary", "x")):
        answered = await cli(*command, env={"INCIDENT_API_URL": address})
        assert answered.code == 3, (command, answered.err)
        assert one_line(answered) == (f"nothing at {address} speaks the incident API (something answers there: is"
                                      " INCIDENT_API_URL the API's address? It listens on 8081 by default)")  # fmt: skip


async def test_show_of_a_known_error_says_it_has_no_targets_instead_of_none(cli: Cli):
    phrase = f"voucher-{uuid.uuid4().hex[:8]}"
    added = await cli("known-error", "add", "--service", "checkout", "--match", phrase,
                      "--workaround", "Enter the voucher by hand.")  # fmt: skip
    assert added.code == 0, added.err
    opened = await cli.ok_json("open", "--service", "checkout", "--summary", f"{phrase} refused at the till")
    assert opened["outcome"] == "known_error"
    shown = await cli("show", opened["number"])
    assert shown.code == 0, shown.err
    assert "None" not in shown.out, shown.out
    assert "  impact x urgency not set (never prioritized)" in shown.out
    assert "  targets     none: closed as known_error before it was prioritized" in shown.out
    assert "Enter the voucher by hand." in shown.out


async def test_a_zero_length_shift_is_refused_at_the_shift_field_and_nothing_changes(cli: Cli, tmp_path: Path):
    catalog, oncall = tmp_path / "catalog.toml", tmp_path / "oncall.toml"
    catalog.write_text((PROJECT / "catalog.toml").read_text())
    oncall.write_text((PROJECT / "oncall.toml").read_text().replace('shift = "1w"', 'shift = "0h"', 1))
    before = await cli.ok_json("oncall", "who", "--group", "checkout-oncall")
    refused = await cli("catalog", "reload", "--file", str(catalog))
    assert refused.code == 1
    said = one_line(refused)
    assert said.startswith(f"{oncall}: schedules[checkout-oncall].layers[0].shift: a shift of 0m is too short"), said
    assert "nothing changed" in said
    assert await cli.ok_json("oncall", "who", "--group", "checkout-oncall") == before
