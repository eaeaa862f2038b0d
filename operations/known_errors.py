"""Known errors and change events behind the API (/v1/known-errors, /v1/changes): what release management
told us. Stored through stores.known_errors and stores.changes; a new known error is offered to the open
incidents it matches through Temporal (starter.known_error_publishing). Every change is appended to the
audit log.

Refusals name the command line's flags (`--match: ...`), as the known-error store's own do: incidentctl
prints them as they are, and an API caller reads the same field names in its request.
"""

import json
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from api.audit_trail import record
from domain.names import unknown_name
from domain.releases import KnownErrorDraft, first_match
from operations.incidents import Backends
from operations.outcomes import InvalidInput, NotFound, RefusedNow, UnknownName
from starter.known_error_publishing import NotOfferedYet, publish
from stores import changes as change_events
from stores import known_errors as store
from stores.catalog import agreed_services

FLAGS = {
    "match": "--match",
    "workaround": "--workaround",
    "problem": "--problem",
    "title": "--title",
    "release": "--release",
    "service": "--service",
}


class NoSuchKnownError(NotFound):
    """No known error by that id (404)."""


async def _agreed(conn: asyncpg.Connection, service: str | None) -> None:
    if service is not None:
        services = await agreed_services(conn)
        if service not in services:
            raise UnknownName(unknown_name("a service", service, services))


def _draft(fields: dict[str, Any]) -> KnownErrorDraft:
    try:
        return KnownErrorDraft.model_validate(fields)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = first["msg"].removeprefix("Value error, ")
        if field == "problem":
            message = "must look like PRB-123"
        raise InvalidInput(f"{FLAGS.get(field, field)}: {message}") from None


async def add(backends: Backends, fields: dict[str, Any], actor: str, by: str | None) -> dict[str, Any]:
    """Store it and offer it to the open incidents it matches. Its key (the request id) names it: the same
    request again (after "not offered yet") finds it and adds nothing new."""
    async with backends.record() as conn:
        await _agreed(conn, fields.get("service"))
        draft = _draft(fields)
        try:
            [added] = await publish(conn, backends.client, backends.task_queue, [draft], actor, origin="incidentctl")
        except store.KnownErrorRefused as err:
            raise InvalidInput(str(err)) from None
        except NotOfferedYet as err:
            raise RefusedNow(f"{err}: run the same command again with --request-id {draft.key}") from None
        known = added.known_error.model_dump()
        if added.created:
            await record(
                conn, actor=actor, by=by, action="known_error.add", target=known["id"], before=None, after=known
            )
    return {**known, "created": added.created}


async def retire(backends: Backends, known_error_id: str, reason: str, actor: str, by: str | None) -> dict[str, Any]:
    known_error_id = known_error_id.upper()
    async with backends.record() as conn:
        was = [row for row in await store.listing(conn, None, retired=True) if row["id"] == known_error_id]
        try:
            known = (await store.retire(conn, known_error_id, actor, reason)).model_dump()
        except store.KnownErrorRefused as err:
            raise InvalidInput(str(err)) from None
        if was and not was[0]["retired_at"]:  # retiring twice changes nothing, and records nothing
            after = {**was[0], "retired_by": actor, "retired_reason": reason}
            await record(
                conn, actor=actor, by=by, action="known_error.retire", target=known_error_id, before=was[0], after=after
            )
    return known


async def listed(backends: Backends, service: str | None, retired: bool) -> list[dict[str, Any]]:
    async with backends.record() as conn:
        await _agreed(conn, service)
        return await store.listing(conn, service, retired=retired)


async def one(backends: Backends, known_error_id: str) -> dict[str, Any]:
    """The known error, retired or not, with its audit trail (who, when, why)."""
    known_error_id = known_error_id.upper()
    async with backends.record() as conn:
        found = [row for row in await store.listing(conn, None, retired=True) if row["id"] == known_error_id]
        if not found:
            raise NoSuchKnownError(f"no known error {known_error_id} (incidentctl known-error list --all)")
        return {**found[0], "audit": await store.audit_trail(conn, known_error_id)}


async def matching(backends: Backends, service: str, text: str) -> dict[str, Any] | None:
    """The known error an event of `service` with this text would match, if any."""
    async with backends.record() as conn:
        await _agreed(conn, service)
        known = first_match(await store.fetch_live(conn, service), service, text)
    return known.model_dump() if known else None


async def changes_since(backends: Backends, service: str | None, since: datetime) -> list[dict[str, Any]]:
    """Change events (POST /v2/change/enqueue on the receiver) since then, newest first."""
    async with backends.record() as conn:
        await _agreed(conn, service)
        rows = await change_events.since(conn, service, since)
    return [
        {
            "service": r["service"],
            "summary": r["summary"],
            "source": r["source"] or None,
            "at": r["happened_at"],
            "links": json.loads(r["links"]),
            "custom_details": json.loads(r["custom_details"]),
        }
        for r in rows
    ]
