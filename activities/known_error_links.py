"""Which open incidents a newly published known error matches (KnownErrorLinks asks, then signals them)."""

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from activities.known_error_store import known_error_of
from domain.catalog import KnownError


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
            row = await conn.fetchrow("SELECT * FROM known_errors WHERE id = $1 AND retired_at IS NULL", known_error_id)
            if row is None:
                return MatchingIncidents(known_error=None, incidents=[])
            known = known_error_of(row)
            rows = await conn.fetch("SELECT number, workflow_id, summary FROM incidents WHERE service = $1"
                                    " AND state <> 'closed' ORDER BY logged_at", known.service)  # fmt: skip
        matching = [OpenIncident(number=r["number"], workflow_id=r["workflow_id"])
                    for r in rows if known.matches(known.service, r["summary"])]  # fmt: skip
        return MatchingIncidents(known_error=known, incidents=matching)
