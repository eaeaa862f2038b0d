"""/v1/maintenance and /v1/catalog (and, through api/routes/known_errors.py, /v1/known-errors and
/v1/changes): the configuration people change at run time.

Reads need `read`; announcing or cancelling maintenance and reloading the catalog need `configure`
(admins). The service layers are operations.maintenance and operations.catalog; every change lands in
the audit log there.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.identity import Principal, acting_as, authenticated, require
from api.inputs import Aliased, Instant, RowId
from api.pages import Cursor, Limit, Page, paged
from api.pagination import DEFAULT_LIMIT
from api.routes import code_releases, forecast, known_errors
from domain.roles import Right
from operations import catalog, maintenance
from operations.incidents import Backends

router = APIRouter()
router.include_router(known_errors.router)
# the record a forecast fits and the workflow code's releases: reads of what the catalog's incidents left
router.include_router(forecast.router)
router.include_router(code_releases.router)


class Window(Aliased):
    id: int
    service: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    summary: str = Field(description="what the business reads on the status page")
    events: int = Field(description="alert events the window took (recorded against it, no incident)")


class WindowRequest(Aliased):
    service: str
    start: Instant = Field(alias="from", description="when it begins (with its offset)")
    end: Instant = Field(alias="to")
    summary: str = Field(max_length=500)
    as_name: str | None = Field(default=None, alias="as", description="acting for this person (act_on_behalf)")


class CatalogKnownError(BaseModel):
    id: str
    service: str
    title: str
    match: list[str]
    workaround: str
    problem: str | None


class Catalog(BaseModel):
    services: dict[str, dict[str, Any]] = Field(description="each service's agreement (no notification settings)")
    known_errors: list[CatalogKnownError]


class ReloadRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    file: str = Field(description="the catalog file's name: refusals name it, and its `oncall` file is beside it")
    text: str = Field(max_length=2_000_000, description="the catalog file's text (TOML)")
    oncall_text: str | None = Field(default=None, max_length=2_000_000, description="the oncall file it names")
    as_name: str | None = Field(default=None, alias="as")


class Reloaded(BaseModel):
    file: str
    services: dict[str, str] = Field(description="per service: added, changed, unchanged or withdrawn")
    known_errors: int = Field(description="known errors the file states")
    services_in_file: int


def _backends(request: Request) -> Backends:
    return request.app.state.deps.backends()


@router.get("/v1/maintenance", response_model=Page[Window], tags=["maintenance"], summary="current and upcoming")
async def windows(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    require(principal, Right.READ)
    return paged(await maintenance.current_and_ahead(_backends(request)), limit, cursor)


@router.post(
    "/v1/maintenance", response_model=Window, status_code=201, tags=["maintenance"], summary="announce a window"
)
async def announce(
    request: Request, body: WindowRequest, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.CONFIGURE)
    actor, by = acting_as(principal, body.as_name)
    return await maintenance.add(_backends(request), body.service, body.start, body.end, body.summary, actor, by)


@router.delete("/v1/maintenance/{window_id}", response_model=Window, tags=["maintenance"], summary="cancel a window")
async def cancel(
    request: Request,
    window_id: RowId,
    principal: Annotated[Principal, Depends(authenticated)],
    as_name: Annotated[str | None, Query(alias="as", description="acting for this person")] = None,
) -> dict:
    require(principal, Right.CONFIGURE)
    actor, by = acting_as(principal, as_name)
    return await maintenance.cancel(_backends(request), window_id, actor, by)


@router.get("/v1/catalog", response_model=Catalog, tags=["catalog"], summary="the agreements as loaded")
async def shown(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    service: Annotated[str | None, Query(description="one service (default: all)")] = None,
) -> dict:
    require(principal, Right.READ)
    return await catalog.shown(_backends(request), service)


@router.post("/v1/catalog/reload", response_model=Reloaded, tags=["catalog"], summary="validate and load a catalog")
async def reload(
    request: Request, body: ReloadRequest, principal: Annotated[Principal, Depends(authenticated)]
) -> dict:
    require(principal, Right.CONFIGURE)
    actor, by = acting_as(principal, body.as_name)
    return await catalog.reload(_backends(request), body.file, body.text, body.oncall_text, actor, by)
