"""/v1/oncall: who is on call, the shifts ahead, and the overrides (a person covers a group for a while).

Reads need the right `read`; adding or removing an override needs `configure` (admins). The service
layer is operations.oncall; every change lands in the audit log there.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.identity import Principal, acting_as, authenticated, require
from api.inputs import Aliased, Instant, RowId
from api.pages import Cursor, Limit, Page, paged
from api.pagination import DEFAULT_LIMIT
from domain.roles import Right
from operations import oncall
from operations.incidents import Backends

router = APIRouter(prefix="/v1/oncall", tags=["on call"])


class OnCallNow(BaseModel):
    group: str
    person: str | None = Field(description="null: a hole in the schedule, nobody is on call")
    source: str = Field(description="the layer or override that puts them there")
    until: datetime | None = Field(description="when the next change happens")


class Shift(Aliased):
    person: str | None
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    source: str


class Override(Aliased):
    id: int
    person: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    reason: str
    by: str = Field(description="who added it")


class AddedOverride(Override):
    group: str


class OverrideRequest(Aliased):
    person: str = Field(description="who covers: a person of oncall.toml")
    start: Instant = Field(alias="from", description="when the cover begins (with its offset)")
    end: Instant = Field(alias="to", description="when it ends")
    reason: str = Field(default="", max_length=2000)
    as_name: str | None = Field(default=None, alias="as", description="acting for this person (act_on_behalf)")


class RemovedOverride(BaseModel):
    id: int
    group: str
    person: str


def _backends(request: Request) -> Backends:
    return request.app.state.deps.backends()


@router.get("/who", response_model=Page[OnCallNow], summary="who is on call at an instant, per group")
async def who(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    group: Annotated[str | None, Query(description="one group's schedule (default: every one)")] = None,
    at: Annotated[Instant | None, Query(description="an instant with its offset (default: now)")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await oncall.who(_backends(request), group, at), limit, cursor)


@router.get("/schedules/{group}/shifts", response_model=Page[Shift], summary="a group's shifts ahead")
async def shifts(
    request: Request,
    group: str,
    principal: Annotated[Principal, Depends(authenticated)],
    start: Annotated[Instant | None, Query(alias="from", description="from this instant (default: now)")] = None,
    days: Annotated[int, Query(description=f"how many days ahead, 1 to {oncall.MAX_DAYS}")] = 14,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await oncall.shifts_ahead(_backends(request), group, start, days), limit, cursor)


@router.get("/schedules/{group}/overrides", response_model=Page[Override], summary="overrides in force or ahead")
async def overrides(
    request: Request,
    group: str,
    principal: Annotated[Principal, Depends(authenticated)],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await oncall.overrides(_backends(request), group), limit, cursor)


@router.post(
    "/schedules/{group}/overrides", response_model=AddedOverride, status_code=201, summary="a person covers a group"
)
async def add_override(
    request: Request, group: str, body: OverrideRequest, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.CONFIGURE)
    actor, by = acting_as(principal, body.as_name)
    return await oncall.add_override(
        _backends(request), group, body.person, body.start, body.end, body.reason, actor, by
    )


@router.delete("/overrides/{override_id}", response_model=RemovedOverride, summary="remove an override")
async def remove_override(
    request: Request,
    override_id: RowId,
    principal: Annotated[Principal, Depends(authenticated)],
    reason: Annotated[str, Query(max_length=2000, description="why (kept with the override)")] = "",
    as_name: Annotated[str | None, Query(alias="as", description="acting for this person")] = None,
) -> dict:
    require(principal, Right.CONFIGURE)
    actor, by = acting_as(principal, as_name)
    return await oncall.remove_override(_backends(request), override_id, reason, actor, by)
