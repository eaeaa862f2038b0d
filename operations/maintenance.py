"""Maintenance windows behind the API (/v1/maintenance): announced on the status page; a service's alerts
inside one are recorded against it and open no incident. Stored through stores.maintenance; every
announcement and cancellation is appended to the audit log in the same transaction."""

from datetime import UTC, datetime
from typing import Any

from api.audit_trail import record, with_instants_as_text
from domain.names import unknown_name
from operations.incidents import Backends
from operations.outcomes import InvalidInput, NotFound, UnknownName
from stores import maintenance as store
from stores.catalog import agreed_services


class NoSuchWindow(NotFound):
    """No maintenance window by that id (404)."""


def window_fields(window: Any, events: int) -> dict[str, Any]:
    return {
        "id": window.id,
        "service": window.service,
        "from": window.starts_at,
        "to": window.ends_at,
        "summary": window.summary,
        "events": events,
    }


def _audited(window: Any) -> dict[str, Any]:
    return with_instants_as_text(window_fields(window, 0))


async def add(
    backends: Backends, service: str, start: datetime, end: datetime, summary: str, actor: str, by: str | None
) -> dict[str, Any]:
    async with backends.record() as conn:
        services = await agreed_services(conn)
        if service not in services:
            raise UnknownName(unknown_name("a service", service, services))
        async with conn.transaction():
            try:
                window = await store.add(conn, service, start, end, summary, actor)
            except store.MaintenanceRefused as err:
                raise InvalidInput(str(err)) from None
            await record(
                conn,
                actor=actor,
                by=by,
                action="maintenance.add",
                target=f"maintenance {window.id}",
                before=None,
                after=_audited(window),
            )
    return window_fields(window, 0)


async def cancel(backends: Backends, window_id: int, actor: str, by: str | None) -> dict[str, Any]:
    """Cancelling twice changes nothing (the first cancellation is kept) and is recorded once."""
    async with backends.record() as conn, conn.transaction():
        in_force = {w.id for w in await store.windows(conn, datetime.min.replace(tzinfo=UTC))}
        try:
            window = await store.cancel(conn, window_id, actor)
        except store.MaintenanceRefused as err:
            raise NoSuchWindow(str(err)) from None
        if window.id in in_force:
            before = _audited(window)
            await record(
                conn,
                actor=actor,
                by=by,
                action="maintenance.cancel",
                target=f"maintenance {window.id}",
                before=before,
                after={**before, "cancelled": True},
            )
    return window_fields(window, 0)


async def current_and_ahead(backends: Backends) -> list[dict[str, Any]]:
    """Windows not cancelled and not over, with how many alert events each took."""
    async with backends.record() as conn:
        listed = await store.windows(conn, datetime.now(UTC))
        counts = await store.events_taken(conn, [w.id for w in listed])
    return [window_fields(w, counts.get(w.id, 0)) for w in listed]
