"""Release management feeds incident management, end to end on the dev server and Postgres: a deploy's
change event shows on the incident that follows it; a known error published by a release pipeline
turns the next matching alert into known_error and is offered to an open incident it matches; a
retire makes the next matching alert an incident again; bad input changes nothing."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from starter.intake.events_api import event_route
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import CHECKOUT_KEY, TOKEN, Receiver, receiver  # noqa: F401
from tests.workflows.incident_driver import current_details


def trigger(summary: str) -> dict[str, Any]:
    return {"routing_key": CHECKOUT_KEY, "event_action": "trigger", "dedup_key": uuid.uuid4().hex,
            "payload": {"summary": summary, "source": "synthetic-probe", "severity": "error"}}  # fmt: skip


async def alert(receiver: Receiver, summary: str) -> str:
    """An events-API alert; returns its route (the incident it opens is found through it)."""
    event = trigger(summary)
    status, answer = await receiver.post("/v2/enqueue", event)
    assert status == 202, answer
    return event_route(CHECKOUT_KEY, event["dedup_key"])


def settled(view: dict[str, Any]) -> bool:
    return view["state"] == "closed" or view["priority"] is not None


@pytest_asyncio.fixture(loop_scope="session")
async def changes_cleaned(receiver: Receiver) -> AsyncIterator[Receiver]:  # noqa: F811
    """The change events a test sends are removed after it: other tests' checkout incidents, logged in
    the same 24 h window, would otherwise show them in their histories."""
    yield receiver
    await receiver.pool.execute("DELETE FROM change_events WHERE summary LIKE 'e2e %'")


async def test_a_deploy_shows_on_the_incident_that_follows_it(changes_cleaned: Receiver, cli: Cli) -> None:
    receiver, tag = changes_cleaned, uuid.uuid4().hex[:8]
    change = {"routing_key": CHECKOUT_KEY,
              "payload": {"summary": f"e2e deploy checkout 4.13 {tag}", "source": "github-actions",
                          "timestamp": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                          "custom_details": {"commit": "9f2c1e0", "actor": "ci"}},
              "links": [{"href": f"https://ci.example/runs/{tag}", "text": "run"}]}  # fmt: skip
    status, answer = await receiver.post("/v2/change/enqueue", change)
    assert (status, answer) == (202, {"status": "success", "message": "Change event processed"})
    # a sender's retry (same time, text and details) is stored once
    assert (await receiver.post("/v2/change/enqueue", change))[0] == 202
    assert await receiver.pool.fetchval("SELECT count(*) FROM change_events WHERE summary LIKE $1", f"%{tag}") == 1
    bad_key = {**change, "routing_key": "not-a-routing-key-of-any-service"}
    assert (await receiver.post("/v2/change/enqueue", bad_key))[0] == 401
    assert (await receiver.post("/v2/change/enqueue", {"routing_key": CHECKOUT_KEY, "payload": {}}))[0] == 400

    view = await receiver.view_when(await alert(receiver, f"card payments failing {tag}"), settled)
    [shown] = [c for c in view["recent_changes"] if tag in c["summary"]]
    assert (shown["source"], shown["link"]) == ("github-actions", f"https://ci.example/runs/{tag}")
    history = (await cli.ok_json("show", view["number"], "--history"))["history"]
    noted = [e for e in history if e["action"] == "recent_changes"]
    assert len(noted) == 1 and f"e2e deploy checkout 4.13 {tag} (github-actions)" in noted[0]["detail"]
    shown_text = await cli("show", view["number"])
    assert shown_text.code == 0 and "changed     " in shown_text.out and tag in shown_text.out
    handle = receiver.client.get_workflow_handle(view["number"])
    details = await current_details(handle)  # what the Web UI shows on the incident's page
    assert f"changed 5m before: e2e deploy checkout 4.13 {tag} (github-actions)" in details, details
    listed = await cli.ok_json("changes", "--service", "checkout", "--since", "1h")
    assert [c["custom_details"] for c in listed if tag in c["summary"]] == [{"commit": "9f2c1e0", "actor": "ci"}]


async def test_a_published_known_error_is_offered_then_matches_then_retires(receiver: Receiver, cli: Cli) -> None:  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    phrase = f"voucher-{tag}"
    summary = f"{phrase} service returns 502 at checkout"
    already_open = await receiver.view_when(await alert(receiver, summary), settled)
    assert already_open["state"] == "prioritized" and already_open["outcome"] is None

    release = {"release": f"4.13-{tag}", "actor": "deploy-bot",
               "known_errors": [{"id": "voucher-502", "service": "checkout", "match": [phrase, "502"],
                                 "title": "Voucher service 502 after 4.13",
                                 "workaround": "Retry the payment without the voucher.", "problem": "PRB-91"}]}  # fmt: skip
    assert (await receiver.post("/v1/known-errors", release))[0] == 401  # no token
    assert (await receiver.post("/v1/known-errors", release, token="wrong"))[0] == 401
    status, answer = await receiver.post("/v1/known-errors", release, token=TOKEN)
    assert status == 201, answer
    [published] = answer["known_errors"]
    known_id = published["known_error"]
    assert published == {"id": "voucher-502", "known_error": known_id, "created": True}
    again = await receiver.post("/v1/known-errors", release, token=TOKEN)  # idempotent per (release, id)
    assert again == (200, {**answer, "known_errors": [{**published, "created": False}]})

    # the incident already open is linked to it and offered its workaround, not closed
    offered = await receiver.view_when(already_open["number"], lambda v: v["offered_known_errors"] == [known_id])
    assert offered["state"] == "prioritized"
    [entry] = [e for e in (await cli.ok_json("show", offered["number"], "--history"))["history"]
               if e["action"] == "known_error_offered"]  # fmt: skip
    assert known_id in entry["detail"] and f'"{phrase}" + "502"' in entry["detail"]
    assert "Retry the payment without the voucher." in entry["detail"]

    # the next matching alert is a known error: answered with the workaround, not an incident
    known = await receiver.view_when(await alert(receiver, f"again: {summary}"), settled)
    assert (known["state"], known["outcome"], known["known_error"]) == ("closed", "known_error", known_id)
    assert known["workaround"] == "Retry the payment without the voucher." and known["problem"] == "PRB-91"
    tested = await cli("known-error", "test", "--service", "checkout", f"a {summary}")
    assert tested.code == 0 and f"matches known error {known_id}" in tested.out

    retired = await cli("known-error", "retire", known_id, "--reason", "fixed in 4.14")
    assert retired.code == 0, retired.err
    reopened = await receiver.view_when(await alert(receiver, f"once more: {summary}"), settled)
    assert (reopened["state"], reopened["outcome"]) == ("prioritized", None)
    closed_earlier = await receiver.view(known["number"])
    assert closed_earlier["known_error"] == known_id  # incidents it closed keep their history
    trail = (await cli.ok_json("known-error", "show", known_id))["audit"]
    assert [(a["action"], a["actor"], a["reason"]) for a in trail] == [
        ("added", "deploy-bot", f"release 4.13-{tag}"), ("retired", "tester", "fixed in 4.14")]  # fmt: skip


async def test_bad_known_errors_are_refused_and_change_nothing(receiver: Receiver, cli: Cli) -> None:  # noqa: F811
    count = "SELECT count(*) FROM known_errors"
    before = await receiver.pool.fetchval(count)
    good = {"id": "fine", "service": "checkout", "match": ["perfectly specific"], "workaround": "w"}
    for wrong, says in ((["ab"], "at least 3 characters"), ([], "at least 1 item")):
        body = {"release": "r1", "known_errors": [good, {**good, "id": "bad", "match": wrong}]}
        status, answer = await receiver.post("/v1/known-errors", body, token=TOKEN)
        assert status == 400 and says in str(answer["errors"]), answer
    body = {"release": "r1", "known_errors": [good, {**good, "id": "elsewhere", "service": "chekout"}]}
    status, answer = await receiver.post("/v1/known-errors", body, token=TOKEN)
    assert status == 400 and "unknown service 'chekout'" in answer["message"], answer
    assert await receiver.pool.fetchval(count) == before  # all or none: the good one was not kept either

    short = await cli("known-error", "add", "--service", "checkout", "--match", "ok", "--workaround", "w")
    assert short.code == 1 and "--match: match phrases must be at least 3 characters" in short.err
    elsewhere = await cli("known-error", "add", "--service", "chekout", "--match", "long enough", "--workaround", "w")
    assert elsewhere.code == 1 and "checkout" in elsewhere.err  # the closest match is named
    problem = await cli("known-error", "add", "--service", "checkout", "--match", "long enough", "--workaround", "w",
                        "--problem", "77")  # fmt: skip
    assert problem.code == 1 and "--problem: must look like PRB-123" in problem.err
    unknown = await cli("known-error", "retire", "KE-999999", "--reason", "gone")
    assert unknown.code == 1 and "no known error KE-999999" in unknown.err
    assert await receiver.pool.fetchval(count) == before


async def test_incidentctl_adds_a_known_error_that_matches_at_once(receiver: Receiver, cli: Cli) -> None:  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    added = await cli.ok_json("known-error", "add", "--service", "checkout", "--match", f"ledger-{tag}", "locked",
                              "--workaround", "Wait for the nightly unlock.", "--release", "4.12")  # fmt: skip
    assert added["created"] and added["match"] == [f"ledger-{tag}", "locked"]
    listed = await cli.ok_json("known-error", "list", "--service", "checkout")
    [row] = [r for r in listed if r["id"] == added["id"]]
    assert (row["origin"], row["added_by"], row["release"]) == ("incidentctl", "tester", "4.12")
    view = await receiver.view_when(await alert(receiver, f"ledger-{tag} is LOCKED for writes"), settled)
    assert (view["outcome"], view["known_error"]) == ("known_error", added["id"])
    [entry] = [e for e in (await cli.ok_json("show", view["number"], "--history"))["history"]
               if e["action"] == "known_error"]  # fmt: skip
    assert f'on "ledger-{tag}" + "locked"' in entry["detail"]  # which phrases matched
