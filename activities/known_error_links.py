"""Which open incidents a newly published known error matches (KnownErrorLinks asks, then signals them)."""

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from domain.catalog import KnownError
from stores import incidents
from stores.known_errors import fetch_one_live


class OpenIncident(BaseModel):
    number: str
    workflow_id: str


class MatchingIncidents(BaseModel):
    known_error: KnownError | None  # None: retired (or gone) before it could be linked
    incidents: list[OpenIncident]


class KnownErrorLinkActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def open_incidents_matching(self, known_error_id: str) -> MatchingIncidents:
        """Read only: the incidents themselves decide (each matches again when its signal arrives)."""
        async with self._pool.acquire() as conn:
            known = await fetch_one_live(conn, known_error_id)
            if known is None:
                return MatchingIncidents(known_error=None, incidents=[])
            rows = await incidents.open_of_service(conn, known.service)
        matching = [
            OpenIncident(number=r["number"], workflow_id=r["workflow_id"])
            for r in rows
            if known.matches(known.service, r["summary"])
        ]
        return MatchingIncidents(known_error=known, incidents=matching)
