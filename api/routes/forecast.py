"""/v1/forecast/history: the incident record a forecast is fitted to (needs `read`). The forecast itself
runs where the person is (incidentctl forecast): it is CPU-bound, minutes long, and theirs to tune."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from api.identity import Principal, authenticated, require
from api.inputs import Instant
from api.pages import Page
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from domain.roles import Right
from operations import forecast_history

router = APIRouter(tags=["forecast"])


class PastIncident(BaseModel):
    service: str
    priority: str | None
    category: str | None
    outcome: str | None
    logged_at: datetime
    acknowledged_at: datetime | None
    restored_at: datetime | None
    resolved_at: datetime | None
    paused_seconds: float


@router.get("/v1/forecast/history", response_model=Page[PastIncident], summary="the record a forecast fits")
async def history(
    request: Request,
    since: Instant,
    principal: Annotated[Principal, Depends(authenticated)],
    services: Annotated[str, Query(description="the services, comma-separated (those the catalog has)")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict:
    require(principal, Right.READ)
    return await forecast_history.history(
        request.app.state.deps.backends(), since, [s for s in services.split(",") if s], limit, cursor
    )
