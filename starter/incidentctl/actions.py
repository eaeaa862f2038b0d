"""What each incidentctl command does against Temporal (and Postgres for `open`'s checks, `list`, `report`)."""

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.names import unknown_name
from starter.incident_lookup import handle_for, not_found
from starter.incidentctl import render
from starter.incidentctl.commands import EngineerCommand
from starter.incidentctl.errors import Refused, Unreachable, validation_refusal, why_unreachable
from starter.incidentctl.parser import STATES

# Every command but `open` talks to the workflow through workflows.contract's stubs and plain JSON,
# so it imports neither the workflow (and through it activities, asyncpg, aiohttp) nor pydantic.
from workflows.contract import ENGINEER_UPDATES, IncidentContract, IncidentView, name_of

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


def _print(args: argparse.Namespace, view: IncidentView | dict[str, Any], detailed: bool = False) -> None:
    view = render.with_fresh_remaining(view)
    if args.output == "json":
        render.emit_json(view)
    else:
        print(render.details(view) if detailed else render.one_line(view))


def _rpc_failure(client: Client, err: RPCError, name: str) -> Exception:
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        # e.g. the server died while a command waited: name the address, as a failed connect does
        return Unreachable(
            f"cannot reach Temporal at {client.service_client.config.target_host} ({why_unreachable(err)})"
        )
    if err.status is RPCStatusCode.NOT_FOUND:
        return Refused(not_found(name))
    return Refused(f"{name}: {err.message}")


def _refusal(err: WorkflowUpdateFailedError) -> Refused:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    return Refused(cause.message if cause is not None else str(err))


async def open_(ctx: "Context", client: Client, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from domain.commands import OpenIncident
    from domain.enums import Source
    from starter.incidents import open_incident  # starts IncidentWorkflow: the one command that needs its class
    from stores.incidents import reserve_number

    try:
        request = OpenIncident(
            service=args.service,
            summary=args.summary,
            impact=args.impact,
            urgency=args.urgency,
            caller=args.caller or args.actor,
            supplier=args.supplier,
            ci=args.ci,
            category=args.category,
            source=Source.SUPPLIER if args.supplier else Source.ENGINEER,
        )
    except ValidationError as err:
        raise validation_refusal(err) from None
    # Checked before anything starts: a service outside the agreements leaves no workflow behind.
    async with ctx.database() as conn:
        await _check_agreement(conn, request, args)
        request = request.model_copy(update={"number": await reserve_number(conn)})
    try:
        view = await open_incident(client, ctx.settings.task_queue, request, actor=args.actor)
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from None
    except RPCError as err:
        raise _rpc_failure(client, err, args.service) from None
    _print(args, view)
    return 0


async def _check_agreement(conn: Any, request: Any, args: argparse.Namespace) -> None:
    import json

    from stores.catalog import agreed_services, fetch_agreement
    from stores.rejections import OUTSIDE_CATALOG, reject

    agreement = await fetch_agreement(conn, request.service)
    if agreement is None:
        await reject(
            conn,
            dedup_key=f"incidentctl-{args.request_id or os.urandom(8).hex()}",
            source="incidentctl",
            service=request.service,
            reason=OUTSIDE_CATALOG,
            payload_json=json.dumps({"summary": request.summary, "actor": args.actor}),
        )
        known = unknown_name("a service of the agreed catalog", request.service, await agreed_services(conn))
        raise Refused(f"{known}: no incident opened; recorded as a rejected event")
    categories = [c.name for c in agreement.categories]
    if request.category is not None and request.category not in categories:
        raise Refused(unknown_name(f"a category of {request.service}", request.category, categories))


async def show(ctx: "Context", client: Client, args: argparse.Namespace) -> int:
    handle = handle_for(client, args.incident)
    try:
        view = await _query(handle, args.history)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise _rpc_failure(client, err, args.incident) from None
        # not in Temporal: a closed incident past its retention is in the record
        from starter.incidentctl.closed_incidents import closed_view

        async with ctx.database() as conn:
            view = await closed_view(conn, args.incident, args.history)
        if view is None:
            raise Refused(not_found(args.incident)) from None
    _print(args, view, detailed=True)
    return 0


async def _query(handle: WorkflowHandle[Any, Any], history: bool) -> IncidentView:
    return await handle.query(IncidentContract.view, {"history": history})


async def update(
    client: Client, args: argparse.Namespace, command: EngineerCommand, payload: dict[str, Any], request_id: str
) -> int:
    # The update id makes the command idempotent: a retry with the same id returns the first
    # result instead of acting twice.
    update = ENGINEER_UPDATES[command.name]
    handle = handle_for(client, args.incident)
    try:
        view = await handle.execute_update(update, payload, id=f"{name_of(update)}-{request_id}")
    except WorkflowUpdateFailedError as err:
        raise _input_refusal(err, command, payload) or _refusal(err) from None
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise _rpc_failure(client, err, args.incident) from None
        if await _readable(handle):  # the workflow has finished: the incident is closed
            raise await _closed_refusal(handle, args) from None
        raise Refused(not_found(args.incident)) from None
    _print(args, view)
    return 0


async def _readable(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        await _query(handle, False)
    except RPCError:
        return False
    return True


def _input_refusal(err: WorkflowUpdateFailedError, command: EngineerCommand, payload: dict[str, Any]) -> Refused | None:
    """The workflow could not read the input (it failed its model): say which flag, in a sentence."""
    from starter.incidentctl.inputs import refusal_of_invalid

    cause: BaseException | None = err
    while cause is not None and not (isinstance(cause, ApplicationError) and cause.type == "ValidationError"):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    if cause is None:
        return None
    from pydantic import ValidationError  # only now: a refusal may cost what a command should not

    from domain.commands import ENGINEER_INPUTS

    try:
        ENGINEER_INPUTS[command.name].model_validate(payload)
    except ValidationError as invalid:
        return Refused(refusal_of_invalid(command, invalid.errors(include_input=False)))
    return None


async def _closed_refusal(handle: WorkflowHandle[Any, Any], args: argparse.Namespace) -> Exception:
    """Updates cannot reach a finished workflow; say why in the same words a validator would."""
    from domain.enums import Action
    from domain.lifecycle import state_refusal

    view = await _query(handle, False)
    return Refused(state_refusal(view["number"] or view["workflow_id"], view["state"], Action(args.command)))


async def list_(ctx: "Context", args: argparse.Namespace) -> int:
    from starter.incidentctl.listing import list_incidents
    from stores.catalog import agreed_services

    if args.state is not None and args.state not in STATES:
        raise Refused(unknown_name("a state", args.state, STATES))
    async with ctx.database() as conn:
        if args.service is not None:
            services = await agreed_services(conn)
            if args.service not in services:
                raise Refused(unknown_name("a service of the agreed catalog", args.service, services))
        views, total = await list_incidents(
            conn,
            state=args.state,
            priority=args.priority,
            service=args.service,
            breached=args.breached,
            all_=args.all,
            limit=args.limit,
        )
    if args.output == "json":
        render.emit_json(views)
    else:
        print(render.table(views))
    if total > len(views):  # on stderr: `-o json` stays one JSON document
        sys.stderr.write(f"showing {len(views)} of {total} (use --limit)\n")
    return 0


async def report(ctx: "Context", args: argparse.Namespace) -> int:
    from domain.durations import parse_duration
    from starter.incidentctl.report import build_report, report_table

    try:
        since = parse_duration(args.since)
    except ValueError as err:
        raise Refused(f"--since: {err}") from None
    async with ctx.database() as conn:
        result = await build_report(conn, since, datetime.now(UTC))
    if args.output == "json":
        render.emit_json(result)
    else:
        print(report_table(result))
    return 0
