"""Illegal transitions are refused by update validators: the reason in one line, history untouched."""

from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import (
    Ack,
    Assign,
    Cancel,
    ChangePriority,
    Confirm,
    Diagnose,
    Escalate,
    Hold,
    Note,
    Reopen,
    Resolve,
    Resume,
    Workaround,
)  # fmt: skip
from domain.enums import HoldReason
from tests.workflows.incident_driver import (
    Handle,
    events_since,
    history_length,
    open_on,
    refused,
    send,
    settled_history_length,
    show,
)  # fmt: skip
from workflows.contract import IncidentContract as I
from workflows.incident import IncidentWorkflow

W = IncidentWorkflow


async def assert_refused(handle: Handle, update: Any, request: Any, reason: str) -> None:
    """Refused with `reason`; neither the incident's timeline nor the Temporal history took anything in."""
    events = await settled_history_length(handle)
    timeline = len((await show(handle))["history"])
    assert await refused(handle.execute_update(update, request)) == reason
    assert len((await show(handle))["history"]) == timeline
    assert await events_since(handle, events) == []


async def test_every_action_outside_its_states_is_refused_with_the_reason_and_leaves_history_unchanged(skipping):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    inc = view["number"]
    # prioritized
    await assert_refused(handle, I.confirm, Confirm(actor="bob"), f"{inc} is prioritized: confirm needs resolved")
    await assert_refused(handle, I.workaround, Workaround(actor="a", text="x"),
                         f"{inc} is prioritized: workaround needs in_progress")  # fmt: skip
    await assert_refused(handle, I.resume, Resume(actor="a"), f"{inc} is prioritized: resume needs on_hold")
    await assert_refused(handle, I.reopen, Reopen(actor="a", reason="x"),
                         f"{inc} is prioritized: reopen needs restored or resolved")  # fmt: skip
    await assert_refused(handle, I.resolve, Resolve(actor="a", resolution="x"),
                         f"{inc} is prioritized: resolve needs in_progress or restored")  # fmt: skip
    await assert_refused(handle, I.diagnose, Diagnose(actor="a", finding="x"),
                         f"{inc} is prioritized: diagnose needs in_progress")  # fmt: skip
    await assert_refused(handle, I.escalate, Escalate(actor="a", to_group="checkout-oncall", reason="x"),
                         f"{inc} is already with checkout-oncall")  # fmt: skip
    await assert_refused(handle, I.change_priority, ChangePriority(actor="a", impact=2, urgency=2, reason="x"),
                         f"{inc} already has impact 2 and urgency 2 (P3)")  # fmt: skip
    # in_progress
    await send(handle, Ack(actor="alice"))
    await assert_refused(handle, I.ack, Ack(actor="bob"), f"{inc} is in_progress: ack needs prioritized")
    await assert_refused(handle, I.diagnose, Diagnose(actor="a", finding="x", category="billing"),
                         f"{inc}: 'billing' is not a category of checkout: choose one of availability, performance,"
                         " payment-provider")  # fmt: skip
    await assert_refused(handle, I.diagnose, Diagnose(actor="a", finding="x", category="perfromance"),
                         f"{inc}: 'perfromance' is not a category of checkout: choose one of availability,"
                         " performance, payment-provider (did you mean performance?)")  # fmt: skip
    # names the service does not have are refused, with what was meant: never accepted silently
    await assert_refused(handle, I.escalate, Escalate(actor="a", to_group="platfrom-sre", reason="x"),
                         f"{inc}: 'platfrom-sre' is not a support line of checkout: choose one of service-desk,"
                         " checkout-oncall, platform-sre (did you mean platform-sre?)")  # fmt: skip
    await assert_refused(handle, I.assign, Assign(actor="a", group="chekout-oncall"),
                         f"{inc}: 'chekout-oncall' is not a group of checkout: choose one of service-desk,"
                         " checkout-oncall, platform-sre (did you mean checkout-oncall?)")  # fmt: skip
    # on_hold
    await send(handle, Hold(actor="alice", reason=HoldReason.CALLER, text="awaiting logs"))
    await assert_refused(handle, I.workaround, Workaround(actor="a", text="x"),
                         f"{inc} is on_hold: workaround needs in_progress")  # fmt: skip
    await assert_refused(handle, I.hold, Hold(actor="a", reason=HoldReason.CALLER, text="x"),
                         f"{inc} is on_hold: hold needs in_progress")  # fmt: skip
    # resolved
    await send(handle, Resume(actor="alice"))
    await send(handle, Resolve(actor="alice", resolution="config fixed"))
    await assert_refused(handle, I.workaround, Workaround(actor="a", text="x"),
                         f"{inc} is resolved: workaround needs in_progress")  # fmt: skip
    await assert_refused(handle, I.cancel, Cancel(actor="a", reason="x"),
                         f"{inc} is resolved: cancel needs logged or categorized or prioritized or in_progress"
                         " or on_hold or restored")  # fmt: skip
    await assert_refused(
        handle,
        "assign",
        Assign(actor="a", group="platform-sre"),
        f"{inc} is resolved: assign needs prioritized or in_progress or on_hold or restored",
    )
    await assert_refused(handle, I.change_priority, ChangePriority(actor="a", impact=1, urgency=1, reason="x"),
                         f"{inc} is resolved: priority needs prioritized or in_progress or on_hold")  # fmt: skip
    assert (await show(handle))["state"] == "resolved"
    await send(handle, Confirm(actor="bob"))  # the incident still works after refusals
    assert (await handle.result()).outcome == "resolved"


async def test_resolving_a_major_incident_without_a_problem_record_is_refused(skipping):
    view, handle = await open_on(skipping, "checkout", "checkout down for all customers", impact=1, urgency=1)
    await send(handle, Ack(actor="alice"))
    await send(handle, Workaround(actor="alice", text="failover to region b"))
    await assert_refused(handle, I.resolve, Resolve(actor="alice", resolution="db fixed"),
                         f"{view['number']} is a major incident (P1): resolve needs --problem PRB-...")  # fmt: skip
    resolved = await send(handle, Resolve(actor="alice", resolution="db fixed", problem="PRB-9"))
    assert resolved["state"] == "resolved" and resolved["problem"] == "PRB-9"


async def test_a_closed_incident_takes_no_more_actions_and_its_history_stays_as_it_was(skipping):
    _, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Cancel(actor="alice", reason="duplicate of INC-1"))
    await handle.result()
    events = await history_length(handle)
    for update, request in [(I.workaround, Workaround(actor="a", text="x")), (I.reopen, Reopen(actor="a", reason="x")),
                            (I.note, Note(actor="a", text="x"))]:  # fmt: skip
        # a closed incident is a finished workflow: the server refuses before any validator runs
        with pytest.raises(RPCError) as refusal:
            await handle.execute_update(update, request)
        assert refusal.value.status == RPCStatusCode.NOT_FOUND
    assert await history_length(handle) == events
    story = await show(handle)  # still readable by auditors
    # the page sent at prioritize may tell its story after the cancel: every page issued has one
    assert (
        story["state"] == "closed" and [h["action"] for h in story["history"] if h["action"] != "page"][-1] == "cancel"
    )
