"""An auditor reads a closed incident after Temporal let it go: `incidentctl show` (text and `-o json`,
with and without `--history`) answers from the PostgreSQL record exactly as it answered from the
workflow, for an incident an engineer opened and for one an alert opened (its context, CI and keys). Temporal lets the history go here as retention does, by deleting the closed workflow (the
`temporal` CLI an operator would use)."""

import asyncio
import subprocess
import uuid

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from localstack.temporal import temporal_binary
from starter.intake.events_api import event_route
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import CHECKOUT_KEY, Receiver, receiver  # noqa: F401
from workflows.contract import IncidentContract

SHOWN = (
    ("show", "N"),
    ("show", "N", "--history"),
    ("show", "N", "-o", "json"),
    ("-o", "json", "show", "N", "--history"),
)


async def shown(cli: Cli, number: str) -> dict[tuple[str, ...], str]:
    """Every way `show` prints the incident, as typed (N: the incident)."""
    answers = {}
    for form in SHOWN:
        result = await cli(*(number if word == "N" else word for word in form))
        assert result.code == 0, (form, result.err)
        answers[form] = result.out
    return answers


async def recorded(pool: asyncpg.Pool, client: Client, number: str) -> None:
    """Until the record caught up with the closed workflow (the projection follows it within moments)."""
    handle = client.get_workflow_handle(number)
    await handle.result()
    entries = len((await handle.query(IncidentContract.view, {"history": True}))["history"])
    for _ in range(200):
        if await pool.fetchval("SELECT count(*) FROM incident_events WHERE number = $1", number) == entries:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the record of {number} never caught up")


async def let_go(dev_server: str, client: Client, number: str) -> None:
    deleted = subprocess.run([str(temporal_binary()), "workflow", "delete", "--yes", "--workflow-id", number, "--address",
                              dev_server], capture_output=True, text=True, timeout=30)  # fmt: skip
    assert deleted.returncode == 0, deleted.stderr + deleted.stdout
    for _ in range(600):  # deletion is asynchronous (its visibility record may outlive the history: either way)
        try:
            await client.get_workflow_handle(number).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"Temporal still has {number}")


async def test_show_serves_a_closed_incident_from_the_record_as_it_did_from_temporal(
    cli: Cli, dev_server: str, dev_client: Client, pool: asyncpg.Pool
) -> None:
    tag = uuid.uuid4().hex[:8]
    opened = await cli.ok_json("open", "--service", "checkout", "--summary", f"card payments declined {tag}",
                               "--impact", "2", "--urgency", "2", "--supplier", "psp-acme", "--caller", "carol")  # fmt: skip
    number = opened["number"]
    for command in (("ack", number, "--as", "bob"), ("assign", number, "--group", "checkout-oncall", "--person",
                    "alice"), ("diagnose", number, "--finding", "the PSP rotated its keys"),
                    ("workaround", number, "routed payments to the second PSP"),
                    ("resolve", number, "--resolution", "new keys installed"), ("confirm", number, "--as", "carol")):  # fmt: skip
        result = await cli(*command)
        assert result.code == 0, (command, result.err)
    await recorded(pool, dev_client, number)
    from_temporal = await shown(cli, number)
    view = await cli.ok_json("show", number)
    assert view["state"] == "closed" and view["supplier"] == "psp-acme" and view["workaround"]

    await let_go(dev_server, dev_client, number)
    from_record = await shown(cli, number)
    for form in SHOWN:
        assert from_record[form] == from_temporal[form], form
    by_workflow_id = await cli("show", opened["workflow_id"])  # an incident is found by either name
    assert by_workflow_id.out == from_temporal[("show", "N")]
    gone = await cli("show", "INC-99999999")
    assert gone.code == 1 and "no incident INC-99999999" in gone.err


async def test_show_of_an_incident_temporal_never_had_and_the_record_does_not_hold_still_says_no_incident(
    cli: Cli,
) -> None:
    result = await cli("show", "12345678")
    assert result.code == 1 and "no incident 12345678 (did you mean INC-12345678?)" in result.err


async def test_an_alert_incident_keeps_its_context_ci_and_keys_after_temporal_let_it_go(
    receiver: Receiver,  # noqa: F811
    cli: Cli,
    dev_server: str,
    dev_client: Client,
    pool: asyncpg.Pool,
) -> None:
    tag = uuid.uuid4().hex[:8]
    event = {
        "routing_key": CHECKOUT_KEY, "event_action": "trigger", "dedup_key": f"kept-{tag}",
        "payload": {"summary": f"5xx above 5% on checkout {tag}", "source": "web-3", "severity": "critical",
                    "component": "checkout-api", "custom_details": {"runbook_url": f"https://wiki.example/{tag}"}},
        "links": [{"href": f"https://grafana.example/d/{tag}", "text": "dashboard"}],
    }  # fmt: skip
    status, answer = await receiver.post("/v2/enqueue", event)
    assert status == 202, answer
    view = await receiver.view_when(event_route(CHECKOUT_KEY, f"kept-{tag}"),
                                    lambda v: v["priority"] is not None and v["alert_context"] is not None)  # fmt: skip
    number = view["number"]
    for command in (("ack", number), ("workaround", number, "failed over"),
                    ("resolve", number, "--resolution", "pool resized", "--problem", "PRB-7"), ("confirm", number)):  # fmt: skip
        result = await cli(*command)
        assert result.code == 0, (command, result.err)
    await recorded(pool, dev_client, number)
    from_temporal = await shown(cli, number)
    shown_json = await cli.ok_json("show", number)
    assert shown_json["alert_context"]["links"] and shown_json["alerts"]["keys"] == 1

    await let_go(dev_server, dev_client, number)
    from_record = await shown(cli, number)
    for form in SHOWN:
        assert from_record[form] == from_temporal[form], form
