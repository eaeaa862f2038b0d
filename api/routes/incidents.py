"""Incidents: list, report, show (with history), open, and each engineer action, one route per action
(POST /v1/incidents/{incident}/actions/ack, ...) with its own body, from starter.incidentctl.commands'
table as incidentctl offers them.

Who acts is who is asking (`as` names someone else: an incident manager's right, both names recorded);
a responder acts on incidents of their own groups or assigned to them. Each action that happened is
appended to the audit trail. The work itself is operations.incidents'.
"""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.audit_trail import record
from api.identity import Principal, acting_as, authenticated, require, require_to_act_on
from api.incident_models import Incident, IncidentPage, OpenRequest, Report, action_body
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, cursor_of, not_a_cursor, text_in
from api.problems import bad_request
from domain.commands import ENGINEER_INPUTS, OpenIncident
from domain.enums import Priority, Source
from domain.roles import Right
from operations import incidents as operations
from operations.outcomes import InvalidInput
from starter.incidentctl.commands import ENGINEER_COMMANDS, EngineerCommand

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

SHOWN = {"response_model_exclude_unset": True}  # an object carries only the keys its source has
AUDITED = ("state", "priority", "group", "assignee")  # before and after, in the audit trail


def _backends(request: Request) -> operations.Backends:
    return request.app.state.deps.backends()


@router.get("", response_model=IncidentPage, response_model_exclude_unset=True, summary="incidents from the record")
async def list_incidents(
    request: Request,
    who: Principal = Depends(authenticated),
    state: str | None = Query(None, description="only this state"),
    priority: Priority | None = Query(None, description="only this priority"),
    service: str | None = Query(None, description="only this service"),
    breached: bool = Query(False, description="only those that missed their restore target"),
    all: bool = Query(False, description="closed incidents too (default: open ones only)"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="at most this many on the page"),
    cursor: str | None = Query(None, description="next_cursor of the page before"),
) -> JSONResponse:
    """Open incidents (all with `all`), highest priority first, from the Postgres record."""
    from operations.listing import list_incidents as listed

    require(who, Right.READ)
    offset, after = _position(cursor)
    async with _backends(request).record() as conn:
        items, total = await listed(
            conn,
            state=state,
            priority=priority.value if priority else None,
            service=service,
            breached=breached,
            all_=all,
            limit=limit,
            after=after,
        )
    more = bool(items) and offset + len(items) < total
    # As the record made them: a thousand objects checked again against the model cost twice the query
    return JSONResponse({"items": items, "next_cursor": _cursor(offset + len(items), items[-1]) if more else None,
                         "total": total})  # fmt: skip


# A page of incidents starts after the last row of the one before (keyset: stores.incident_views.page_of);
# the cursor also carries how many came before, so the last page is known from the total.
_KEYSET = "k:"


def _cursor(seen: int, last: dict[str, Any]) -> str:
    from operations.listing import page_key

    priority, logged_at, number = page_key(last)
    return cursor_of(_KEYSET, f"{seen}|{priority}|{logged_at.isoformat()}|{number}")


def _position(cursor: str | None) -> tuple[int, tuple[str, datetime, str] | None]:
    """(rows before the page, the row it starts after: none for the first page); 400 for a cursor this API
    did not give."""
    if not cursor:
        return 0, None
    try:
        seen, priority, logged_at, number = text_in(cursor, _KEYSET).split("|")
        return int(seen), (priority, datetime.fromisoformat(logged_at), number)
    except ValueError:
        raise not_a_cursor() from None


@router.get("/report", response_model=Report, summary="MTTA, MTTR and SLA compliance per service and priority")
async def report(
    request: Request,
    who: Principal = Depends(authenticated),
    since: str = Query("30d", description="how far back, e.g. 7d, 12h, 4w"),
) -> dict[str, Any]:
    """From the record; known errors are not incidents and are left out, cancelled ones counted apart."""
    from datetime import UTC, datetime

    from domain.durations import parse_duration
    from operations.report import build_report

    require(who, Right.READ)
    now = datetime.now(UTC)
    try:
        since_ = parse_duration(since)
        if since_ > now - datetime(1, 1, 1, tzinfo=UTC):
            raise ValueError(f"{since} reaches back before the year 1")
    except ValueError as err:
        raise bad_request(f"--since: {err}") from None
    async with _backends(request).record() as conn:
        return await build_report(conn, since_, now)


@router.get("/{incident}", response_model=Incident, summary="one incident", **SHOWN)
async def show(
    request: Request, incident: str, who: Principal = Depends(authenticated), history: bool = False
) -> dict[str, Any]:
    """As its workflow knows it now (a closed incident past Temporal's retention: from the record);
    `history` adds the timeline: who did what, when."""
    require(who, Right.READ)
    return await operations.show(_backends(request), incident, history)


@router.post("", response_model=Incident, status_code=201, summary="open an incident", **SHOWN)
async def open_incident(request: Request, body: OpenRequest, who: Principal = Depends(authenticated)) -> dict[str, Any]:
    """Checked against the catalog before anything starts (a service outside it is recorded as a rejected
    event and starts nothing); answers once the incident is registered, prioritized and in the record."""
    require(who, Right.ACT_ON_GROUP_INCIDENTS)
    actor, by = acting_as(who, body.as_)
    try:
        opened = OpenIncident(
            service=body.service,
            summary=body.summary,
            impact=body.impact,
            urgency=body.urgency,
            caller=body.caller or actor,
            supplier=body.supplier,
            ci=body.ci,
            category=body.category,
            source=Source.SUPPLIER if body.supplier else Source.ENGINEER,
        )
    except ValidationError as err:  # the model's own words, without pydantic's input echo and link
        raise InvalidInput(err.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")) from None
    backends = _backends(request)
    view = await operations.open_(backends, opened, actor, body.request_id)
    number = view.get("number") or view["workflow_id"]
    await record(backends.pool, actor=actor, by=by, action="incident.open", target=number, before=None,
                 after=_audited(view))  # fmt: skip
    return view


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    return {key: view.get(key) for key in AUDITED}


def _action_route(command: EngineerCommand) -> None:
    body_model = action_body(command.name)
    groups = [(o.flags[0], o.field) for o in command.options if o.group]

    async def act(
        request: Request, incident: str, body: Any, who: Principal = Depends(authenticated)
    ) -> dict[str, Any]:
        backends = _backends(request)
        before = await operations.as_recorded(backends, incident)
        require_to_act_on(who, before)
        actor, by = acting_as(who, body.as_)
        fields = body.model_dump(exclude={"as_", "request_id"}, exclude_unset=True)
        named = [(label, fields[field]) for label, field in groups if fields.get(field)]
        payload = operations.engineer_input(ENGINEER_INPUTS[command.name], {**fields, "actor": actor, "by": by})
        request_id = body.request_id or uuid.uuid4().hex
        view = await operations.act(backends, incident, command.name, payload, named, request_id)
        await record(backends.pool, actor=actor, by=by, action=f"incident.{command.name}", target=before["number"],
                     before={k: before[k] for k in AUDITED}, after=_audited(view))  # fmt: skip
        return view

    act.__annotations__["body"] = body_model
    act.__name__ = f"incident_{command.name}"
    router.add_api_route(
        f"/{{incident}}/actions/{command.name}",
        act,
        methods=["POST"],
        response_model=Incident,
        summary=command.help,
        description=f"`incidentctl {command.name}`: {command.help}. Refused with 409 when the incident's state"
        " does not allow it, in the words incidentctl prints.",
        operation_id=f"incident_{command.name}",
        **SHOWN,
    )


for _command in ENGINEER_COMMANDS:
    _action_route(_command)
