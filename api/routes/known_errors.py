"""/v1/known-errors and /v1/changes: what release management told us.

Reads need `read`; adding or retiring a known error needs `publish` (publishers, admins). The service
layer is operations.known_errors; every change lands in the audit log there.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.identity import Principal, acting_as, authenticated, require
from api.inputs import Instant
from api.pages import Cursor, Limit, Page, paged
from api.pagination import DEFAULT_LIMIT
from domain.roles import Right
from operations import known_errors
from operations.incidents import Backends

router = APIRouter(tags=["release management"])


class KnownError(BaseModel):
    id: str = Field(description="KE-1000 on")
    service: str
    title: str
    match: list[str] = Field(description="phrases that must all appear in an event's text")
    workaround: str
    problem: str | None = None
    release: str | None = None


class ListedKnownError(KnownError):
    origin: str = Field(description="catalog, incidentctl or a release pipeline")
    added_by: str
    added_at: str = Field(description="ISO 8601")
    retired_at: str | None
    retired_by: str | None
    retired_reason: str | None


class AuditEntry(BaseModel):
    at: str
    action: str
    actor: str
    reason: str


class KnownErrorWithAudit(ListedKnownError):
    audit: list[AuditEntry]


class AddedKnownError(KnownError):
    created: bool = Field(description="false: this request id had published it already")


class KnownErrorRequest(BaseModel):
    """Checked by the known-error rules (domain.releases.KnownErrorDraft): a refusal names the field."""

    model_config = ConfigDict(populate_by_name=True)
    service: str
    match: list[str]
    workaround: str
    title: str = ""
    problem: str | None = Field(default=None, description="the problem record, e.g. PRB-77")
    release: str | None = None
    key: str | None = Field(default=None, description="idempotency key: the same key again adds nothing new")
    as_name: str | None = Field(default=None, alias="as", description="acting for this person (act_on_behalf)")


class RetireRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    reason: str = Field(description="why it no longer applies, e.g. fixed in 4.13")
    as_name: str | None = Field(default=None, alias="as")


class Match(BaseModel):
    matches: KnownError | None = Field(description="the known error the event would match; null: none")


class Change(BaseModel):
    service: str
    summary: str
    source: str | None
    at: datetime
    links: list[dict[str, Any]]
    custom_details: dict[str, Any]


def _backends(request: Request) -> Backends:
    return request.app.state.deps.backends()


@router.get("/v1/known-errors", response_model=Page[ListedKnownError], summary="the known errors")
async def listed(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    service: str | None = None,
    retired: Annotated[bool, Query(description="retired ones too")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await known_errors.listed(_backends(request), service, retired), limit, cursor)


@router.get("/v1/known-errors/match", response_model=Match, summary="what an event with this text would match")
async def match(
    request: Request, service: str, text: str, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.READ)
    return {"matches": await known_errors.matching(_backends(request), service, text)}


@router.get("/v1/known-errors/{known_error_id}", response_model=KnownErrorWithAudit, summary="one, with its audit")
async def one(request: Request, known_error_id: str, principal: Annotated[Principal, Depends(authenticated)]) -> dict:
    require(principal, Right.READ)
    return await known_errors.one(_backends(request), known_error_id)


@router.post("/v1/known-errors", response_model=AddedKnownError, summary="add a known error and offer it")
async def add(
    request: Request, body: KnownErrorRequest, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.PUBLISH)
    actor, by = acting_as(principal, body.as_name)
    fields = body.model_dump(exclude={"as_name"})
    return await known_errors.add(_backends(request), fields, actor, by)


@router.post("/v1/known-errors/{known_error_id}/retire", response_model=KnownError, summary="stop matching it")
async def retire(
    request: Request, known_error_id: str, body: RetireRequest, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.PUBLISH)
    actor, by = acting_as(principal, body.as_name)
    return await known_errors.retire(_backends(request), known_error_id, body.reason, actor, by)


@router.get("/v1/changes", response_model=Page[Change], summary="change events since an instant, newest first")
async def changes(
    request: Request,
    since: Instant,
    principal: Annotated[Principal, Depends(authenticated)],
    service: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await known_errors.changes_since(_backends(request), service, since), limit, cursor)
