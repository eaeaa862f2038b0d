"""A misrouted incident moves to the team that can fix it: `assign --group` and `escalate --to` take
any group the catalog or oncall.toml knows, the history says the incident left its service's own
lines, and paging follows the new group (its on-call, by the policy oncall.toml gives a group
without one of its own). Names nobody knows are refused with the closest match, before sending."""

import asyncio
from typing import Any

from tests.e2e.cli import Cli


async def _open(cli: Cli) -> str:
    return (await cli.ok_json("open", "--service", "checkout", "--summary", "laptop dock flickers at the till"))[
        "number"
    ]


async def paged_for(cli: Cli, number: str, schedule: str) -> dict[str, Any]:
    """The timeline's page entry for `schedule`: the paging activity answers beside the incident."""
    for _ in range(300):
        history = (await cli.ok_json("show", number, "--history"))["history"]
        found = [h for h in history if h["action"] == "page" and f"(schedule:{schedule}," in h["detail"]]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{number} never paged {schedule}: {[h['detail'] for h in history]}")


async def test_a_checkout_incident_assigned_to_workplace_it_leaves_checkouts_lines_and_pages_its_on_call(cli: Cli):
    number = await _open(cli)
    assigned = await cli("--as", "bob", "assign", number, "--group", "workplace-it", "-o", "json")
    assert assigned.code == 0, assigned.err
    assert (assigned.json()["group"], assigned.json()["state"]) == ("workplace-it", "in_progress")
    shown = await cli("show", number, "--history")
    assert shown.code == 0
    assert "assigned to workplace-it; it left checkout's own lines (workplace-it is a group of email)" in shown.out
    on_call = (await cli.ok_json("oncall", "who", "--group", "workplace-it"))[0]["person"]
    page = await paged_for(cli, number, "workplace-it")
    assert page["detail"].startswith(f"paged {on_call}:"), page
    # the group's on-call, by the policy oncall.toml gives a group without its own (one step, three
    # rounds), not checkout's, whose later steps page platform-sre and checkout's manager
    assert "(schedule:workplace-it, step 1 of 1, round 1 of 3: assigned to workplace-it)" in page["detail"], page


async def test_an_escalation_to_another_services_team_is_taken_and_pages_that_team(cli: Cli):
    number = await _open(cli)
    await cli.ok_json("ack", number)
    moved = await cli("escalate", number, "--to", "hr-systems", "--reason", "the dock is on the HR laptop image")
    assert moved.code == 0, moved.err
    history = (await cli.ok_json("show", number, "--history"))["history"]
    escalation = next(h for h in history if h["action"] == "escalate")
    assert escalation["detail"] == ("functional escalation to hr-systems: the dock is on the HR laptop image;"
                                    " it left checkout's own lines (hr-systems is a group of payroll)")  # fmt: skip
    on_call = (await cli.ok_json("oncall", "who", "--group", "hr-systems"))[0]["person"]
    assert (await paged_for(cli, number, "hr-systems"))["detail"].startswith(f"paged {on_call}:")
    back = await cli.ok_json("escalate", number, "--to", "platform-sre", "--reason", "it is the till after all")
    assert back["group"] == "platform-sre"  # one of checkout's own lines again: nothing more to say
    last = (await cli.ok_json("show", number, "--history"))["history"]
    assert next(h for h in reversed(last) if h["action"] == "escalate")["detail"].endswith("it is the till after all")


async def test_a_group_nobody_knows_is_refused_with_the_closest_match_before_anything_is_sent(cli: Cli):
    number = await _open(cli)
    for args, flag, meant in ((("assign", number, "--group", "workplce-it"), "--group", "workplace-it"),
                              (("escalate", number, "--to", "platfrom-sre", "--reason", "net"), "--to", "platform-sre"),
                              (("assign", number, "--group", "coffee-machine"), "--group", None)):  # fmt: skip
        refused = await cli(*args)
        said = refused.err.strip()
        assert refused.code == 1 and len(said.splitlines()) == 1, said
        assert said.startswith(f"{flag}: '{args[3]}' is not a group the catalog or oncall.toml knows: choose one of")
        assert "workplace-it" in said and "hr-systems" in said and "service-desk" in said
        assert said.endswith(f"(did you mean {meant}?)") if meant else "did you mean" not in said, said
    history = (await cli.ok_json("show", number, "--history"))["history"]
    assert not [h for h in history if h["action"] in ("assign", "escalate")]  # nothing reached the incident
