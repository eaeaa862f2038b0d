"""Two engineers press conflicting buttons at the same moment: one wins, the other is told why."""

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import commands as c
from tests.e2e.cli import Cli
from tests.reliability.conftest import Stack
from tests.reliability.projection import audit_all, open_many, projected_up_to_date, view_of
from tests.reliability.stack import ChildProcess, eventually
from workflows.contract import ILLEGAL_TRANSITION, name_of
from workflows.contract import IncidentContract as I

ROUNDS = 6  # incidents per conflict: the first to land wins, the other meets a validator (or the handler's re-check)

Make = Callable[[str], BaseModel]
ACK: tuple[Callable[..., Any], Make] = (I.ack, lambda a: c.Ack(actor=a))
# (state to reach first, the two conflicting updates)
CONFLICTS: dict[str, tuple[list[tuple[Callable[..., Any], Make]], tuple[Callable[..., Any], Make], tuple[Callable[..., Any], Make]]] = {
    "ack vs ack": ([], ACK, ACK),
    "resolve vs cancel": ([ACK], (I.resolve, lambda a: c.Resolve(actor=a, resolution="rolled back")),
                          (I.cancel, lambda a: c.Cancel(actor=a, reason="not an incident"))),
    "workaround vs hold": ([ACK], (I.workaround, lambda a: c.Workaround(actor=a, text="failover")),
                           (I.hold, lambda a: c.Hold(actor=a, reason="caller", text="waiting for logs"))),
    "confirm vs reopen": ([ACK, (I.resolve, lambda a: c.Resolve(actor=a, resolution="disk swapped"))],
                          (I.confirm, lambda a: c.Confirm(actor=a)),
                          (I.reopen, lambda a: c.Reopen(actor=a, reason="again"))),
}  # fmt: skip


def refusal_of(outcome: Any) -> str | None:
    """Why an update was refused, or None if it succeeded."""
    if not isinstance(outcome, BaseException):
        return None
    if isinstance(outcome, RPCError) and outcome.status is RPCStatusCode.NOT_FOUND:
        # the winner closed the incident and its workflow finished before the loser's update
        # arrived (incidentctl words this like a validator: 'INC-n is closed: cancel needs ...')
        assert "completed" in outcome.message, outcome
        return "closed"
    assert isinstance(outcome, WorkflowUpdateFailedError), repr(outcome)
    cause = outcome.cause
    assert isinstance(cause, ApplicationError) and cause.type == ILLEGAL_TRANSITION, repr(cause)
    assert " needs " in cause.message, cause.message  # e.g. 'INC-1042 is in_progress: ack needs prioritized'
    return cause.message


@pytest.fixture(scope="module")
async def second_client(stack: Stack) -> Client:
    """The other engineer: a connection of their own."""
    return await stack.temporal.client()


@pytest.mark.parametrize("conflict", sorted(CONFLICTS))
async def test_two_engineers_sending_conflicting_updates_at_once_leave_one_consistent_state(
    conflict: str, stack: Stack, client: Client, second_client: Client, pool: asyncpg.Pool, worker: ChildProcess
):
    before, (first_name, first), (second_name, second) = CONFLICTS[conflict]
    async with asyncio.timeout(60):
        ids = [v["workflow_id"] for v in await open_many(client, stack, ROUNDS, "payroll", conflict)]
        for workflow_id in ids:
            for name, make in before:
                await client.get_workflow_handle(workflow_id).execute_update(name, make("lead"))
        lengths = {w: len((await view_of(client, w))["history"]) for w in ids}

        for workflow_id in ids:
            outcomes = await asyncio.gather(
                client.get_workflow_handle(workflow_id).execute_update(first_name, first("alice"), result_type=dict),
                second_client.get_workflow_handle(workflow_id).execute_update(second_name, second("bob"),
                                                                              result_type=dict),
                return_exceptions=True,
            )  # fmt: skip
            refusals = [refusal_of(outcome) for outcome in outcomes]
            assert sum(r is None for r in refusals) == 1, (conflict, outcomes)  # exactly one wins
            winner = 0 if refusals[0] is None else 1

            view = await view_of(client, workflow_id)
            added = view["history"][lengths[workflow_id] :]
            engineer_entries = [e for e in added if e["actor"] in ("alice", "bob")]
            assert [(e["actor"], e["action"]) for e in engineer_entries] == [
                (("alice", "bob")[winner], name_of((first_name, second_name)[winner]))]  # fmt: skip
            assert view["state"] == outcomes[winner]["state"]

        async def settled() -> bool:
            return await projected_up_to_date(client, pool, ids)

        await eventually(settled, 20, "the projection catches up")
    assert await audit_all(client, pool, ids) == []


async def test_two_engineers_running_incidentctl_at_once_get_exit_0_and_exit_1_with_the_reason(
    stack: Stack, client: Client, worker: ChildProcess, cli: Cli
):
    async with asyncio.timeout(60):
        [view] = await open_many(client, stack, 1, "payroll", "payslips late")
        number = view["number"]
        assert (await cli("ack", number)).code == 0
        results = await asyncio.gather(cli("--as", "alice", "resolve", number, "--resolution", "rerun the batch"),
                                       cli("--as", "bob", "cancel", number, "--reason", "duplicate"))  # fmt: skip
    assert sorted(r.code for r in results) == [0, 1], results
    refused = next(r for r in results if r.code == 1)
    assert refused.err.startswith(f"{number} is ") and " needs " in refused.err and refused.err.count("\n") == 1
    history = (await view_of(client, view["workflow_id"]))["history"]
    assert sum(e["action"] in ("resolve", "cancel") for e in history) == 1
