"""Publishing known errors, from incidentctl or a release pipeline (POST /v1/known-errors): store them
(one transaction: all or none), then start one KnownErrorLinks workflow each, which offers the
workaround to the open incidents it matches. The new events it matches stop opening incidents at once.

Publishing again is safe: a release's known error is found by its key, and a KnownErrorLinks already
running is used as it is. So a publisher told "not offered yet" simply publishes again.
"""

from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from domain.releases import KnownErrorDraft
from stores import known_errors
from stores.known_errors import Added
from workflows.contract import KnownErrorLinksContract


class NotOfferedYet(Exception):
    """Stored, and matching new events; the open incidents were not offered it yet (Temporal unreachable)."""


def links_workflow_id(known_error_id: str) -> str:
    return f"known-error-{known_error_id}"


async def publish(
    conn: Any, client: Client, task_queue: str, drafts: list[KnownErrorDraft], actor: str, origin: str
) -> list[Added]:
    async with conn.transaction():
        added = [await known_errors.add(conn, draft, actor, origin) for draft in drafts]
    await offer_to_open_incidents(client, task_queue, [a.known_error.id for a in added])
    return added


async def offer_to_open_incidents(client: Client, task_queue: str, known_error_ids: list[str]) -> None:
    for known_error_id in known_error_ids:
        try:
            await client.start_workflow(
                KnownErrorLinksContract.run,
                known_error_id,
                id=links_workflow_id(known_error_id),
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"{known_error_id}: offer its workaround to the open incidents it matches",
            )
        except RPCError as err:
            raise NotOfferedYet(
                f"{known_error_id} is stored but not offered to open incidents yet ({err.message}); publish it again"
            ) from None
