"""Every incidentctl command, each refusal and exit code, idempotent retries and the report."""

from datetime import UTC, datetime, timedelta

import asyncpg

from tests.e2e.cli import Cli
from tests.workflows.incident_driver import process_steps


async def _open(cli: Cli, service: str = "checkout", impact: str = "2", urgency: str = "2") -> str:
    opened = await cli.ok_json("open", "--service", service, "--summary", "cart page slow", "--impact", impact,
                               "--urgency", urgency)  # fmt: skip
    return opened["number"]


async def test_every_working_command_changes_the_incident_as_the_contract_says(cli: Cli):
    number = await _open(cli)
    assigned = await cli.ok_json("assign", number, "--group", "checkout-oncall", "--person", "dana")
    assert (assigned["state"], assigned["group"], assigned["assignee"]) == ("in_progress", "checkout-oncall", "dana")
    moved = await cli.ok_json("escalate", number, "--to", "platform-sre", "--reason", "needs SRE")
    assert moved["group"] == "platform-sre"
    await cli.ok_json("escalate", number, "--management", "--reason", "customer impact growing")
    before = (await cli.ok_json("show", number))["sla"]["restore_due"]
    raised = await cli.ok_json("priority", number, "--impact", "1", "--urgency", "2", "--reason", "all EU users")
    assert raised["priority"] == "P2" and raised["sla"]["restore_due"] < before  # 8h instead of 24h from logged
    held = await cli.ok_json("hold", number, "--reason", "supplier", "waiting for PSP")
    assert held["state"] == "on_hold" and held["sla"]["restore_paused"] is True
    assert (await cli.ok_json("resume", number))["state"] == "in_progress"
    assert (await cli.ok_json("diagnose", number, "--finding", "PSP timeouts", "--category", "payment-provider"))[
        "category"] == "payment-provider"  # fmt: skip
    await cli.ok_json("workaround", number, "switched PSP")
    await cli.ok_json("resolve", number, "--resolution", "PSP fixed their gateway")
    reopened = await cli.ok_json("reopen", number, "--reason", "errors are back")
    assert reopened["state"] == "in_progress" and reopened["sla"]["restore_paused"] is False
    cancelled = await cli.ok_json("cancel", number, "--reason", "opened against the wrong service")
    assert (cancelled["state"], cancelled["outcome"]) == ("closed", "cancelled")
    history = (await cli.ok_json("show", number, "--history"))["history"]
    steps = process_steps([h["action"] for h in history])  # paging: tests/workflows/test_paging.py
    assert steps[3:] == ["assign", "escalate", "escalate", "priority", "hold", "resume", "diagnose", "workaround",
                         "resolve", "reopen", "cancel"]  # fmt: skip


async def test_refusals_name_the_incident_its_state_and_what_the_command_needs(cli: Cli):
    number = await _open(cli)
    refused = await cli("workaround", number, "restart")
    assert refused.code == 1 and refused.err.strip() == f"{number} is prioritized: workaround needs in_progress"
    assert (await cli("confirm", number)).err.strip() == f"{number} is prioritized: confirm needs resolved"
    await cli.ok_json("ack", number)
    assert (await cli("ack", number)).err.strip() == f"{number} is in_progress: ack needs prioritized"
    same = await cli("priority", number, "--impact", "2", "--urgency", "2", "--reason", "no change")
    assert same.code == 1 and "already has impact 2 and urgency 2" in same.err
    await cli.ok_json("cancel", number, "--reason", "test")
    closed = await cli("workaround", number, "too late")
    assert closed.code == 1 and closed.err.strip() == f"{number} is closed: workaround needs in_progress"
    history = (await cli.ok_json("show", number, "--history"))["history"]
    assert [h["action"] for h in history][-2:] == ["ack", "cancel"]  # refusals never reached history


async def test_a_p1_cannot_be_resolved_without_a_problem_record(cli: Cli):
    number = await _open(cli, impact="1", urgency="1")
    await cli.ok_json("ack", number)
    refused = await cli("resolve", number, "--resolution", "restarted")
    assert refused.code == 1 and "resolve needs --problem" in refused.err
    bad = await cli("resolve", number, "--resolution", "restarted", "--problem", "42")
    assert bad.code == 1 and "problem" in bad.err
    assert (await cli.ok_json("resolve", number, "--resolution", "restarted", "--problem", "PRB-9"))[
        "state"
    ] == "resolved"


async def test_exit_codes_separate_refusal_usage_and_an_unreachable_server(cli: Cli):
    unknown = await cli("show", "INC-999999")
    assert unknown.code == 1 and unknown.err.strip() == "no incident INC-999999" and "Traceback" not in unknown.err
    outside = await cli("open", "--service", "coffee-machine", "--summary", "no coffee")
    assert outside.code == 1 and "is not a service of the agreed catalog" in outside.err
    usage = await cli("ack")
    assert usage.code == 2 and "usage:" in usage.err
    assert (await cli("open", "--service", "checkout", "--summary", "x", "--impact", "7")).code == 2
    down = await cli("show", "INC-1001", env={"INCIDENT_API_URL": "http://127.0.0.1:9"})
    assert down.code == 3 and "cannot reach the incident API at http://127.0.0.1:9" in down.err


async def test_a_retried_command_with_the_same_request_id_is_applied_once(cli: Cli):
    number = await _open(cli)
    first = await cli("--request-id", "retry-1", "note", number, "checked the load balancer")
    again = await cli("--request-id", "retry-1", "note", number, "checked the load balancer")
    assert first.code == again.code == 0
    notes = [h for h in (await cli.ok_json("show", number, "--history"))["history"] if h["action"] == "note"]
    assert len(notes) == 1
    await cli("note", number, "checked the load balancer")  # a new request is a new note
    notes = [h for h in (await cli.ok_json("show", number, "--history"))["history"] if h["action"] == "note"]
    assert len(notes) == 2


async def test_report_computes_mtta_mttr_and_compliance_from_known_times(cli: Cli, pool: asyncpg.Pool):
    logged = datetime.now(UTC) - timedelta(days=2)
    rows = [  # (number, ack after, restore after, held seconds, breached)
        ("INC-900001", timedelta(minutes=10), timedelta(hours=2), 0.0, False),
        ("INC-900002", timedelta(minutes=30), timedelta(hours=6), 3600.0, True),
    ]
    for number, ack, restore, held, breached in rows:
        await pool.execute(
            "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, priority,"
            " logged_at, acknowledged_at, restored_at, paused_seconds, breached, outcome)"
            " VALUES ($1, $1, $1, 'email', 'report fixture', 'engineer', 'closed', 'P4', $2, $3, $4, $5, $6,"
            " 'resolved') ON CONFLICT (number) DO NOTHING",
            number, logged, logged + ack, logged + restore, held, breached,
        )  # fmt: skip
    report = await cli.ok_json("report", "--since", "7d")
    group = next(g for g in report["groups"] if (g["service"], g["priority"]) == ("email", "P4"))
    assert group["incidents"] == 2 and group["breached"] == 1
    assert group["mtta_seconds"] == 1200.0  # (10 + 30) / 2 minutes
    assert group["mttr_seconds"] == 12600.0  # (2h + (6h - 1h held)) / 2
    assert group["sla_compliance"] == 0.5
    table = await cli("report", "--since", "7d")
    assert table.code == 0 and "email" in table.out and "50%" in table.out
    assert (await cli("report", "--since", "soon")).code == 1
