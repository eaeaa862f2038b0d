"""Paging people: who a step means now, one row per person and channel, and the delivery of each.

`page` runs when an escalation policy's step is due. It looks up who the step's target means at
that moment (a shift hand-off while paging pages the new on-call), writes the rows in one
transaction, keyed by (incident, page, person, channel), and tries each channel once. A retry, or a
worker that crashed between the rows and the delivery, finds the rows already there: the same
people, no page twice. Rows a channel did not take stay pending and `deliver_pages` retries them
with backoff, beside the incident: paging never holds up its timers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity

import channels
from channels.email import SmtpServer
from channels.message import DeliveryFailed, PageMessage
from domain.oncall import Person
from domain.page_links import LINK_LIFETIME, PageToken, sign
from stores import pages
from stores.oncall import fetch_person, people_to_page

log = structlog.get_logger(__name__)
LIVE_CHANNELS = frozenset({"email", "slack", "webhook"})  # `none`, `no-smtp`: written as failed, with the reason


@dataclass(frozen=True)
class PagingSettings:
    smtp: SmtpServer | None
    public_url: str  # where people reach the receiver: the acknowledgement links point there
    secret: str = ""  # signs the links (INCIDENT_PAGE_SECRET); empty: pages carry no link


class PageRequest(BaseModel):
    incident_key: str
    number: str
    service: str
    priority: str
    summary: str
    runbook: str
    target: str  # schedule:X | person:P | group:G
    step: str  # e.g. "step 1 of 3, round 1 of 3"
    reason: str
    page: int  # the incident's page sequence number
    at: datetime  # when the step was due: who is on call is looked up for this moment


class PageResult(BaseModel):
    people: list[str]
    channels: list[str]  # "dana:email", one per row
    nobody: str | None = None  # why nobody was paged (a hole in the schedule, no schedule)
    undelivered: int = 0  # rows left for deliver_pages


class DeliverPages(BaseModel):
    incident_key: str


def channels_of(person: Person | None) -> list[tuple[str, str]]:
    """(channel, address) pairs; `none` when there is no way to reach them (kept as a row: it shows)."""
    if person is None:
        return [("none", "")]
    pairs = [
        (kind, address)
        for kind, address in (("email", person.email), ("slack", person.slack_webhook), ("webhook", person.webhook))
        if address
    ]
    return pairs or [("none", "")]


class PagingActivities:
    def __init__(self, pool: asyncpg.Pool, settings: PagingSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._senders = channels.by_name(settings.smtp)

    @activity.defn
    async def page(self, request: PageRequest) -> PageResult:
        async with self._pool.acquire() as conn:
            rows = await self._rows(conn, request)
            if not rows:
                people, nobody = await people_to_page(conn, request.target, request.at)
                async with conn.transaction():
                    for person in people:
                        for channel, _ in self._channels(await fetch_person(conn, person)):
                            await pages.add(
                                conn,
                                incident_key=request.incident_key,
                                page=request.page,
                                number=request.number,
                                priority=request.priority,
                                service=request.service,
                                summary=request.summary,
                                runbook=request.runbook,
                                person=person,
                                channel=channel,
                                step=f"{request.target}, {request.step}",
                                reason=request.reason,
                                status="pending" if channel in LIVE_CHANNELS else "failed",
                            )
                rows = await self._rows(conn, request)
                if not rows:
                    return PageResult(people=[], channels=[], nobody=nobody or f"nobody to page for {request.target}")
            # a delivery changes a row's status, never who or which channel: the rows answer as read
            undelivered = await self._deliver(conn, [r["id"] for r in rows if r["status"] == "pending"])
        people = list(dict.fromkeys(r["person"] for r in rows))
        return PageResult(
            people=people, channels=[f"{r['person']}:{r['channel']}" for r in rows], undelivered=undelivered
        )

    def _channels(self, person: Person | None) -> list[tuple[str, str]]:
        """As channels_of, with email marked unusable (`no-smtp`) when no SMTP server is configured:
        a row that shows why, not a delivery retried for ever."""
        return [("no-smtp" if c == "email" and self._settings.smtp is None else c, a) for c, a in channels_of(person)]

    @activity.defn
    async def deliver_pages(self, request: DeliverPages) -> int:
        """Every pending page of the incident, again; raises while any is left, so Temporal retries."""
        async with self._pool.acquire() as conn:
            ids = await pages.pending_ids(conn, request.incident_key)
            left = await self._deliver(conn, ids)
        if left:
            raise DeliveryFailed(f"{left} page(s) not delivered yet")
        return len(ids)

    async def _rows(self, conn: asyncpg.Connection, request: PageRequest) -> list[asyncpg.Record]:
        return await pages.of_page(conn, request.incident_key, request.page)

    async def _deliver(self, conn: asyncpg.Connection, ids: list[int]) -> int:
        """Send each row once (locked while it is sent); returns how many are still pending."""
        left = 0
        for row_id in ids:
            async with conn.transaction():
                row = await pages.lock_pending(conn, row_id)
                if row is None:
                    continue  # sent meanwhile by another attempt
                try:
                    await self._send(conn, row)
                except DeliveryFailed as err:
                    left += 1
                    await pages.note_failure(conn, row_id, str(err)[:500])
                    log.warning(
                        "page not delivered",
                        incident=row["number"],
                        person=row["person"],
                        channel=row["channel"],
                        error=str(err),
                    )
                    continue
                await pages.mark_sent(conn, row_id)
                log.info(
                    "page sent",
                    incident=row["number"],
                    person=row["person"],
                    channel=row["channel"],
                    page=row["page_seq"],
                )
        return left

    async def _send(self, conn: asyncpg.Connection, row: asyncpg.Record) -> None:
        person = await fetch_person(conn, row["person"])
        message = PageMessage(
            number=row["number"],
            priority=row["priority"],
            service=row["service"],
            summary=row["summary"],
            runbook=row["runbook"],
            reason=row["reason"],
            step=row["step"],
            person=row["person"],
            ack_url=self._ack_url(row),
        )
        key = f"page-{row['id']}"
        if person is None:
            raise DeliveryFailed(f"{row['person']} is not in oncall_people")
        channel = self._senders.get(row["channel"])
        if channel is not None:  # pending rows are written for live channels only
            await channel.send(person, message, key)

    def _ack_url(self, row: asyncpg.Record) -> str:
        if not self._settings.secret:
            return ""
        token = PageToken(row["number"], row["person"], row["page_seq"], datetime.now(UTC) + LINK_LIFETIME)
        return f"{self._settings.public_url.rstrip('/')}/v1/pages/{sign(token, self._settings.secret)}/ack"
