"""/v1/releases: running incidents per release of the workflow code (needs `read`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.identity import Principal, authenticated, require
from domain.roles import Right
from operations import code_releases

router = APIRouter(tags=["releases"])


class Running(BaseModel):
    release: str
    running: int


class UnsupportedIncident(BaseModel):
    incident: str = Field(description="its number, or workflow id")
    release: str


class Unsupported(BaseModel):
    running: int = Field(description="how many, all of them")
    incidents: list[UnsupportedIncident] = Field(description="at most `named` of them")


class Releases(BaseModel):
    current: str
    releases: list[Running]
    unsupported: Unsupported


@router.get("/v1/releases", response_model=Releases, summary="running incidents per release of the workflow code")
async def releases(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    named: Annotated[int, Query(ge=1, le=1000, description="name at most this many unsupported incidents")] = 50,
) -> dict:
    require(principal, Right.READ)
    return await code_releases.running_per_release(request.app.state.deps.backends(), named)
