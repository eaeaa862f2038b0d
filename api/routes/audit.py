"""/v1/audit: the hash-chained audit log, read by auditors (the right `read_audit`: auditors and admins).

The API hands out entries as stored and the chain head; the checking is the client's (`incidentctl audit
verify` recomputes every hash with domain/audit_chain.py), so an auditor need not trust the API's word.
"""

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.identity import Principal, authenticated, require
from api.inputs import Instant
from api.pagination import cursor_of, number_in
from api.problems import bad_request, unavailable
from domain.audit_chain import to_json
from domain.roles import Right
from stores import audit_log

router = APIRouter(prefix="/v1/audit", tags=["audit"])
_CURSOR_PREFIX = "seq:"
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000  # an export of a year pages through in a few hundred requests


class AuditEntryModel(BaseModel):
    seq: int = Field(description="the entry's number: 1, 2, 3 ... with no gaps")
    at: str = Field(description="when, UTC with microseconds (as hashed)")
    actor: str = Field(description="who did it (the authenticated subject, or the paged person via a page link)")
    by: str | None = Field(description="who acted on the actor's behalf, if someone did")
    action: str = Field(description="what was done, e.g. incident.acknowledge, oncall.override.add")
    target: str = Field(description="to what: an incident number, a group, a token's name ...")
    before: Any = Field(description="the state before (JSON), or null")
    after: Any = Field(description="the state after (JSON), or null")
    prev_hash: str = Field(description="the previous entry's hash (64 zeros for entry 1)")
    hash: str = Field(description="SHA-256 of the entry's canonical JSON, prev_hash included")


class AuditPage(BaseModel):
    items: list[AuditEntryModel]
    next_cursor: str | None = None  # hand it back as `cursor` for the next page; null on the last


class ChainHeadModel(BaseModel):
    seq: int = Field(description="the newest entry's number (0: the log is empty)")
    hash: str = Field(description="the newest entry's hash")


def _after_seq(cursor: str | None) -> int:
    return number_in(cursor, _CURSOR_PREFIX)


def _cursor_after(seq: int) -> str:
    return cursor_of(_CURSOR_PREFIX, str(seq))


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.deps.pool


_UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


@router.get("", response_model=AuditPage, summary="audit log entries in chain order, from a time on")
async def entries(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    since: Annotated[Instant | None, Query(description="from the first entry made at or after this instant")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many items")] = DEFAULT_LIMIT,
) -> dict:
    require(principal, Right.READ_AUDIT)
    if since is not None and since.tzinfo is None:
        raise bad_request("query.since: give the instant with its offset, e.g. 2026-12-07T09:00:00Z")
    try:
        found = await audit_log.entries(
            _pool(request), after_seq=_after_seq(cursor), since=since, up_to_seq=None, limit=limit + 1
        )
    except _UNREACHABLE as err:
        raise unavailable(f"cannot reach PostgreSQL ({type(err).__name__})") from None
    page = found[:limit]
    more = len(found) > limit
    return {"items": [to_json(entry) for entry in page], "next_cursor": _cursor_after(page[-1].seq) if more else None}


@router.get("/head", response_model=ChainHeadModel, summary="the chain head: the newest entry's number and hash")
async def head(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> dict:
    """Read it before the entries: a verify then checks the log up to this entry, and the removal of the
    newest entries shows as the log ending before its head."""
    require(principal, Right.READ_AUDIT)
    try:
        found = await audit_log.chain_head(_pool(request))
    except _UNREACHABLE as err:
        raise unavailable(f"cannot reach PostgreSQL ({type(err).__name__})") from None
    return {"seq": found.seq, "hash": found.hash}
