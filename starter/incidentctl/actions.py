"""What each incidentctl command does against Temporal (and Postgres for `report`)."""

import argparse
import asyncio
import os
from datetime import datetime, timezone
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from starter.incident_lookup import IncidentNotFound, find_incident
from starter.incidentctl import render
from starter.incidentctl.main import Refused, Unreachable, validation_refusal
from starter.settings import Settings

QUERY_CONCURRENCY = 16
# IncidentWorkflow.view, by name: every command but `open` talks to the workflow by names and plain
# JSON, so it imports neither workflows/ (and through it activities, asyncpg, aiohttp) nor pydantic.
# make bench B3: `incidentctl ack` went from 1.44x to 1.07x the wall time of a bare SDK script.
VIEW = "view"


def _print(args: argparse.Namespace, view: dict[str, Any], detailed: bool = False) -> None:
    view = render.with_fresh_remaining(view)
    if args.output == "json":
        render.emit_json(view)
    else:
        print(render.details(view) if detailed else render.one_line(view))


def _rpc_failure(client: Client, err: RPCError, name: str) -> Exception:
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        # e.g. the server died while a command waited: name the address, as a failed connect does
        return Unreachable(f"cannot reach Temporal at {client.service_client.config.target_host}: {err.message}")
    if err.status is RPCStatusCode.NOT_FOUND:
        return Refused(f"no incident {name}")
    return Refused(f"{name}: {err.message}")


def _refusal(err: WorkflowUpdateFailedError) -> Refused:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    return Refused(cause.message if cause is not None else str(err))


async def _handle(client: Client, name: str) -> Any:
    try:
        return await find_incident(client, name)
    except IncidentNotFound as err:
        raise Refused(str(err)) from None
    except RPCError as err:
        raise _rpc_failure(client, err, name) from None


async def open_(client: Client, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from domain.commands import OpenIncident
    from domain.enums import Source
    from starter.incidents import open_incident  # starts IncidentWorkflow: the one command that needs its class

    settings = Settings.from_env(os.environ)
    try:
        request = OpenIncident(service=args.service, summary=args.summary, impact=args.impact,
                               urgency=args.urgency, caller=args.caller or args.actor, supplier=args.supplier,
                               ci=args.ci, category=args.category,
                               source=Source.SUPPLIER if args.supplier else Source.ENGINEER)  # fmt: skip
    except ValidationError as err:
        raise validation_refusal(err) from None
    try:
        view = await open_incident(client, settings.task_queue, request, actor=args.actor)
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from None
    except RPCError as err:
        raise _rpc_failure(client, err, args.service) from None
    _print(args, view)
    return 0


async def show(client: Client, args: argparse.Namespace) -> int:
    handle = await _handle(client, args.incident)
    try:
        view = await handle.query(VIEW, {"history": args.history}, result_type=dict)
    except RPCError as err:
        raise _rpc_failure(client, err, args.incident) from None
    _print(args, view, detailed=True)
    return 0


async def update(client: Client, args: argparse.Namespace, name: str, model: str, payload: dict[str, Any],
                 request_id: str) -> int:  # fmt: skip
    handle = await _handle(client, args.incident)
    # The update id makes the command idempotent: a retry with the same id returns the
    # first result instead of acting twice.
    update_id = f"{name}-{request_id}"
    try:
        view = await handle.execute_update(name, payload, id=update_id, result_type=dict)
    except WorkflowUpdateFailedError as err:
        raise _input_refusal(err, model, payload) or _refusal(err) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the workflow has finished: the incident is closed
            raise await _closed_refusal(handle, args) from None
        raise _rpc_failure(client, err, args.incident) from None
    _print(args, view)
    return 0


def _input_refusal(err: WorkflowUpdateFailedError, model: str, payload: dict[str, Any]) -> Refused | None:
    """The workflow could not read the input (it failed its model): word it as pydantic does, in one line."""
    cause: BaseException | None = err
    while cause is not None and not (isinstance(cause, ApplicationError) and cause.type == "ValidationError"):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    if cause is None:
        return None
    from pydantic import ValidationError

    from domain import commands

    try:
        getattr(commands, model).model_validate(payload)
    except ValidationError as invalid:
        return validation_refusal(invalid)
    return None


async def _closed_refusal(handle: Any, args: argparse.Namespace) -> Exception:
    """Updates cannot reach a finished workflow; say why in the same words a validator would."""
    from domain.enums import Action
    from domain.lifecycle import allowed_states

    try:
        view = await handle.query(VIEW, {"history": False}, result_type=dict)
    except RPCError:
        return Refused(f"no incident {args.incident}")
    needs = " or ".join(allowed_states(Action(args.command)))
    return Refused(f"{view['number'] or view['workflow_id']} is {view['state']}: {args.command} needs {needs}")


def _list_query(args: argparse.Namespace) -> str:
    clauses = ['WorkflowType = "IncidentWorkflow"', "IncidentNumber IS NOT NULL"]
    if not args.all:
        clauses.append('ExecutionStatus = "Running"')
    for attribute, value in (("IncidentState", args.state), ("IncidentPriority", args.priority),
                             ("IncidentService", args.service)):  # fmt: skip
        if value:
            clauses.append(f'{attribute} = "{value.replace(chr(34), "")}"')
    if args.breached:
        clauses.append("SlaBreached = true")
    return " AND ".join(clauses)


async def list_(client: Client, args: argparse.Namespace) -> int:
    try:
        executions = [e async for e in client.list_workflows(_list_query(args), limit=args.limit)]
    except RPCError as err:
        raise _rpc_failure(client, err, "list") from None
    gate = asyncio.Semaphore(QUERY_CONCURRENCY)

    async def view_of(execution: Any) -> dict[str, Any] | None:
        async with gate:
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            try:
                return await handle.query(VIEW, {"history": False}, result_type=dict)
            except RPCError:
                return None  # finished between list and query, or no worker: leave it out

    views = [render.with_fresh_remaining(v) for v in await asyncio.gather(*(view_of(e) for e in executions)) if v]
    views.sort(key=lambda v: (v.get("priority") or "P9", v.get("logged_at") or ""))
    if args.output == "json":
        render.emit_json(views)
    else:
        print(render.table(views))
    return 0


async def report(args: argparse.Namespace) -> int:
    from domain.durations import parse_duration
    from starter.incidentctl.report import build_report, report_table

    try:
        since = parse_duration(args.since)
    except ValueError as err:
        raise Refused(str(err)) from None
    settings = Settings.from_env(os.environ)
    try:
        result = await build_report(settings.database_url, since, datetime.now(timezone.utc))
    except (OSError, asyncio.TimeoutError) as err:
        raise Unreachable(f"cannot reach the incident database: {err}") from None
    if args.output == "json":
        render.emit_json(result)
    else:
        print(report_table(result))
    return 0
