"""Tell people: deliver the outbox rows of one incident to webhooks and the message log.

The outbox row is written in the same transaction as the event that causes it (see
records.py), so no message is lost. Here each row bound for a webhook is locked, posted,
and marked sent in one transaction: a retry skips rows already sent, so each event is
sent once (the receiving end also gets the row id as an idempotency key, for the rare
crash between its 2xx and our commit). Rows with no webhook (the message log is their
delivery) are marked and logged together, in one statement.
"""

from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from yarl import URL

from channels.message import DeliveryFailed
from channels.webhook import send_webhook
from domain.catalog import Notifications
from stores import outbox
from stores.catalog import notifications_from
from stores.oncall import fetch_person

log = structlog.get_logger(__name__)


class DeliverNotifications(BaseModel):
    incident_key: str
    service: str


def slack_message(row: asyncpg.Record) -> dict[str, Any]:
    """Slack-compatible (`text`), with the facts a machine reader wants beside it."""
    return {
        "text": row["message"],
        "incident": row["number"],
        "service": row["service"],
        "audience": row["audience"],
        "action": row["action"],
        "id": row["id"],
    }


class NotificationActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def deliver_notifications(self, request: DeliverNotifications) -> int:
        """Send every unsent message of the incident, oldest first. Returns how many were sent now."""
        async with self._pool.acquire() as conn:
            unsent = await outbox.unsent(conn, request.incident_key, request.service)
            if not unsent:
                return 0
            targets = Targets(
                notifications_from(unsent[0]["notifications"]),
                await _person_webhooks(conn, [row["audience"] for row in unsent]),
            )
            to_log = {row["id"] for row in unsent if not targets.webhook_for(row["audience"])}
            sent = await self._log_all(conn, sorted(to_log)) if to_log else 0
            for row in unsent:
                if row["id"] in to_log:
                    continue
                try:
                    sent += await self._deliver_one(conn, targets, row["id"])
                except DeliveryFailed as err:
                    # the row's transaction rolled back; note the failure, then let Temporal retry
                    why = err.__cause__ or err  # the connection's own error, or the webhook's answer
                    await outbox.note_failure(conn, row["id"], str(why)[:500] or type(why).__name__)
                    raise
        return sent

    async def _log_all(self, conn: asyncpg.Connection, outbox_ids: list[int]) -> int:
        """Messages with no webhook: the message log is their delivery, all in one statement."""
        rows = await outbox.log_all(conn, outbox_ids)
        for row in rows:
            _log_sent(row)
        return len(rows)

    async def _deliver_one(self, conn: asyncpg.Connection, targets: "Targets", outbox_id: int) -> int:
        """One message to its webhook (messages with no webhook go through _log_all)."""
        async with conn.transaction():
            row = await outbox.lock_unsent(conn, outbox_id)
            if row is None:
                return 0  # sent meanwhile by another attempt
            url = targets.webhook_for(row["audience"])
            await send_webhook(url, slack_message(row), f"incident-notification-{row['id']}")
            await outbox.mark_sent(conn, outbox_id, URL(url).host, row["message"])
            _log_sent(row)
            return 1


class Targets:
    """Where each audience's messages go: a group's or the service's webhook (the catalog), or a
    person's own Slack-compatible webhook (oncall.toml); a person without one: the message log."""

    def __init__(self, service: Notifications, people: dict[str, str]) -> None:
        self._service, self._people = service, people

    def webhook_for(self, audience: str) -> str:
        kind, _, name = audience.partition(":")
        return self._people.get(name, "") if kind == "person" else self._service.webhook_for(audience)


async def _person_webhooks(conn: asyncpg.Connection, audiences: list[str]) -> dict[str, str]:
    """The Slack-compatible webhooks of the people the messages are for (oncall.toml, as paging reads it)."""
    hooks: dict[str, str] = {}
    for name in {audience.partition(":")[2] for audience in audiences if audience.startswith("person:")}:
        person = await fetch_person(conn, name)
        if person is not None and person.slack_webhook:
            hooks[name] = person.slack_webhook
    return hooks


def _log_sent(row: asyncpg.Record) -> None:
    log.info(
        "notification sent",
        incident=row["number"],
        audience=row["audience"],
        action=row["action"],
        message=row["message"],
    )
