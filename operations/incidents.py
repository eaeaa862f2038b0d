"""Opening an incident, reading one, and each engineer action on it: the workflow through Temporal, the
record through stores/ (the checks before anything starts, and a closed incident Temporal let go).

Refusals come back as operations.outcomes, in the words incidentctl has always printed: the workflow's
validators' (`INC-1042 is resolved: workaround needs in_progress`), `no incident 1001 (did you mean
INC-1001?)`, a name nobody knows with the closest match.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import EngineerInput, OpenIncident
from domain.enums import Action
from domain.lifecycle import state_refusal
from domain.names import incident_number, unknown_name
from operations.outcomes import InvalidInput, NoSuchIncident, RefusedNow, Unavailable, UnknownName
from runtime.unreachable import why_unreachable
from starter.incident_lookup import handle_for, not_found
from starter.incidents import open_incident
from stores import incident_views
from stores.database import where
from stores.incidents import reserve_number
from workflows.contract import ENGINEER_UPDATES, IncidentContract, name_of

DATABASE_WAIT_SECONDS = 10
# Temporal's answers that mean it is away (or the call ran out of time), not that it said no
AWAY = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


@dataclass(frozen=True)
class Backends:
    """Where incidents live: the workflows (Temporal, the worker's task queue) and the record (Postgres)."""

    client: Client
    pool: asyncpg.Pool
    task_queue: str
    database_url: str

    @property
    def temporal_address(self) -> str:
        return self.client.service_client.config.target_host

    @asynccontextmanager
    async def record(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the pool; Unavailable naming where (never the password) when it cannot be had."""
        try:
            async with self.pool.acquire(timeout=DATABASE_WAIT_SECONDS) as conn:
                yield conn
        except (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as err:
            why = why_unreachable(err)
            raise Unavailable(f"cannot reach the incident database at {where(self.database_url)} ({why})") from None

    def temporal_away(self, err: BaseException) -> Unavailable:
        return Unavailable(f"cannot reach Temporal at {self.temporal_address} ({why_unreachable(err)})")


async def open_(backends: Backends, request: OpenIncident, actor: str, request_id: str | None) -> dict[str, Any]:
    """Check the service and category against the catalog, reserve a number, start the workflow and
    answer once the incident is registered, prioritized and in the record. A service outside the
    agreements starts nothing and is recorded as a rejected event."""
    async with backends.record() as conn:
        await _check_agreement(conn, request, actor, request_id)
        request = request.model_copy(update={"number": await reserve_number(conn)})
    try:
        return dict(await open_incident(backends.client, backends.task_queue, request, actor=actor))
    except WorkflowUpdateFailedError as err:
        raise RefusedNow(_validator_words(err)) from None
    except RPCError as err:
        raise _rpc_failure(backends, err, request.service) from None
    except RuntimeError as err:  # the lazy client's first connection failed
        raise backends.temporal_away(err) from None


async def _check_agreement(conn: Any, request: OpenIncident, actor: str, request_id: str | None) -> None:
    from stores.catalog import agreed_services, fetch_agreement
    from stores.rejections import OUTSIDE_CATALOG, reject

    agreement = await fetch_agreement(conn, request.service)
    if agreement is None:
        await reject(
            conn,
            dedup_key=f"incidentctl-{request_id or os.urandom(8).hex()}",
            source="incidentctl",
            service=request.service,
            reason=OUTSIDE_CATALOG,
            payload_json=json.dumps({"summary": request.summary, "actor": actor}),
        )
        known = unknown_name("a service of the agreed catalog", request.service, await agreed_services(conn))
        raise UnknownName(f"{known}: no incident opened; recorded as a rejected event")
    categories = [c.name for c in agreement.categories]
    if request.category is not None and request.category not in categories:
        raise UnknownName(unknown_name(f"a category of {request.service}", request.category, categories))


async def show(backends: Backends, name: str, history: bool) -> dict[str, Any]:
    """The incident as its workflow knows it now; a closed incident past Temporal's retention from the record."""
    from operations.closed_incidents import closed_view

    try:
        return await _query(handle_for(backends.client, name), history)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise _rpc_failure(backends, err, name) from None
    except RuntimeError as err:
        raise backends.temporal_away(err) from None
    async with backends.record() as conn:
        view = await closed_view(conn, name, history)
    if view is None:
        raise NoSuchIncident(not_found(name))
    return view


async def as_recorded(backends: Backends, name: str) -> dict[str, Any]:
    """The incident's number, group, assignee, state and priority (who may act on it, and the audit trail's
    `before`): from the record, which follows the workflow within moments, else from the workflow itself
    (an incident its worker has not recorded yet); NoSuchIncident when neither has it."""
    async with backends.record() as conn:
        row = await incident_views.current(conn, incident_number(name) or name, name)
    if row is not None:
        found = dict(row) | {"group": row["assignment_group"] or None, "assignee": row["assignee"] or None}
    else:
        found = await show(backends, name, False)
    return {
        "number": found["number"] or found["workflow_id"],
        "service": found["service"],
        "state": found["state"],
        "priority": found["priority"],
        "group": found["group"],
        "assignee": found["assignee"],
    }


async def act(
    backends: Backends, name: str, command: str, request: EngineerInput, groups: list[tuple[str, str]], request_id: str
) -> dict[str, Any]:
    """One engineer action (`command`: ack, assign, ...), applied once per `request_id` (its update id).
    `groups`: (how the caller names the field, group) for the groups `request` names: each must be one the
    catalog or oncall.toml knows; the workflow is told where it was found."""
    if groups:
        from operations.groups import where_known

        async with backends.record() as conn:
            request = request.model_copy(update={"known_as": await where_known(conn, groups)})
    update = ENGINEER_UPDATES[command]
    handle = handle_for(backends.client, name)
    try:
        return dict(await handle.execute_update(update, request, id=f"{name_of(update)}-{request_id}"))
    except WorkflowUpdateFailedError as err:
        raise RefusedNow(_validator_words(err)) from None
    except RuntimeError as err:
        raise backends.temporal_away(err) from None
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise _rpc_failure(backends, err, name) from None
    # Not running: an update cannot reach a finished workflow; say why in a validator's words
    try:
        view = await _query(handle, False)
    except RPCError:
        raise NoSuchIncident(not_found(name)) from None
    raise RefusedNow(state_refusal(view["number"] or view["workflow_id"], view["state"], Action(command)))


def engineer_input(model: type[EngineerInput], fields: dict[str, Any]) -> EngineerInput:
    """The action's input as the workflow decodes it; InvalidInput names the field and what is wrong."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        first = err.errors(include_input=False)[0]
        where_ = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{where_}: {first['msg']}" if where_ else first["msg"]) from None


async def _query(handle: WorkflowHandle[Any, Any], history: bool) -> dict[str, Any]:
    return dict(await handle.query(IncidentContract.view, {"history": history}))


def _rpc_failure(backends: Backends, err: RPCError, name: str) -> Exception:
    if err.status in AWAY:  # e.g. the server died while the call waited: name the address
        return backends.temporal_away(err)
    if err.status is RPCStatusCode.NOT_FOUND:
        return NoSuchIncident(not_found(name))
    return RefusedNow(f"{name}: {err.message}")


def _validator_words(err: WorkflowUpdateFailedError) -> str:
    cause: BaseException | None = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause if hasattr(cause, "cause") else None
    return cause.message if isinstance(cause, ApplicationError) else str(err)
