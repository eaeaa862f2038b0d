"""The ledger every scenario ends with.

- every accepted alert is in exactly one incident: each alert group the receivers answered with is
  routed to one workflow, and each workflow's occurrences add up to the deliveries accepted for it;
- every incident's state, timeline and record agree (tests/reliability/projection.py: the workflow's
  view against `incidents` and `incident_events`, the outbox against the notify lists in its history,
  and no failed task, activity or workflow in that history);
- every page and notification was sent at least once: each `pages` row of a live channel is `sent`
  and its key arrived at the client host's sinks; each outbox row has its sent mark;
- duplicates (a key that arrived more than once) are counted and listed with their keys.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from tests.chaos.hosts import eventually
from tests.chaos.sinks import Sinks
from tests.reliability.projection import audit_all, projected_up_to_date, view_of

SETTLE_SECONDS = 180


@dataclass
class Sent:
    """What the alert senders did: per alert group, how many deliveries a receiver accepted (2xx)."""

    attempts: int = 0
    accepted: Counter[str] = field(default_factory=Counter)  # route -> accepted deliveries
    answers: Counter[str] = field(default_factory=Counter)  # "receiver1 202", "receiver2 503", ...
    last_route: str = ""  # the alert group of the last accepted delivery

    @property
    def total_accepted(self) -> int:
        return sum(self.accepted.values())


@dataclass
class Ledger:
    alerts_sent: int
    accepted: int
    incidents: int
    pages: int
    page_deliveries: int
    notifications: int
    duplicates: dict[str, int]
    problems: list[str]

    def counts(self) -> dict[str, Any]:
        return {"alerts sent": self.alerts_sent, "accepted": self.accepted, "incidents": self.incidents,
                "pages": self.pages, "page deliveries": self.page_deliveries, "notifications": self.notifications,
                "duplicates": sum(self.duplicates.values()), "duplicate keys": dict(self.duplicates)}  # fmt: skip


async def _routes(pool: asyncpg.Pool, sent: Sent) -> dict[str, str]:
    rows = await pool.fetch("SELECT route, workflow_id FROM alert_routes WHERE route = ANY($1::text[])",
                            list(sent.accepted))  # fmt: skip
    return {r["route"]: r["workflow_id"] for r in rows}


async def _occurrences(client: Any, workflow_ids: list[str]) -> dict[str, int]:
    views = await asyncio.gather(*(view_of(client, w, history=False) for w in workflow_ids))
    return {w: v["alerts"]["occurrences"] for w, v in zip(workflow_ids, views)}


async def settle_and_check(client: Any, pool: asyncpg.Pool, sinks: Sinks, sent: Sent) -> Ledger:
    """Wait (bounded) until the pipeline caught up with what was accepted, then check the ledger."""
    expected: dict[str, int] = {}

    async def caught_up() -> bool:
        routes = await _routes(pool, sent)
        if set(routes) != set(sent.accepted):
            return False
        expected.clear()
        for route, workflow_id in routes.items():
            expected[workflow_id] = expected.get(workflow_id, 0) + sent.accepted[route]
        if await _occurrences(client, list(expected)) != expected:
            return False
        if not await projected_up_to_date(client, pool, list(expected)):
            return False
        pending = await pool.fetchval(
            "SELECT (SELECT count(*) FROM pages WHERE status = 'pending')"
            " + (SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL)"
        )
        return pending == 0

    problems: list[str] = []
    try:
        await eventually(caught_up, SETTLE_SECONDS, "every accepted alert in its incident, every page sent", every=1)
    except AssertionError as err:
        problems.append(str(err))
    routes = await _routes(pool, sent)
    problems += [f"alert group {r}: accepted but routed to no incident" for r in sent.accepted if r not in routes]
    workflow_ids = sorted(set(routes.values()))
    got = await _occurrences(client, workflow_ids)
    problems += [f"{w}: {got.get(w)} occurrences, {n} accepted" for w, n in expected.items() if got.get(w) != n]
    problems += await audit_all(client, pool, workflow_ids)
    numbers = [r["number"] for r in await pool.fetch(
        "SELECT number FROM incidents WHERE workflow_id = ANY($1::text[])", workflow_ids)]  # fmt: skip
    if len(numbers) != len(workflow_ids):
        problems.append(f"{len(workflow_ids)} incidents in Temporal, {len(numbers)} registered in PostgreSQL")
    pages = await pool.fetch("SELECT id, number, person, channel, status FROM pages WHERE number = ANY($1::text[])",
                             numbers)  # fmt: skip
    live = [p for p in pages if p["channel"] in ("email", "webhook", "slack")]
    for page in live:
        arrivals = (sinks.emails if page["channel"] == "email" else sinks.webhooks)[f"page-{page['id']}"]
        if page["status"] != "sent" or arrivals == 0:
            problems.append(f"page {page['id']} ({page['number']} {page['person']} {page['channel']}): "
                            f"{page['status']}, {arrivals} arrivals")  # fmt: skip
    unsent = await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE number = ANY($1::text[])"
                                 " AND sent_at IS NULL", numbers)  # fmt: skip
    if unsent:
        problems.append(f"{unsent} notifications never sent")
    notifications = await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE number = ANY($1::text[])",
                                        numbers)  # fmt: skip
    duplicates = {f"email {k}": n - 1 for k, n in sinks.emails.items() if n > 1}
    duplicates |= {f"webhook {k}": n - 1 for k, n in sinks.webhooks.items() if n > 1}
    return Ledger(alerts_sent=sent.attempts, accepted=sent.total_accepted, incidents=len(workflow_ids),
                  pages=len(live), page_deliveries=sum(sinks.emails.values()) + sum(sinks.webhooks.values()),
                  notifications=notifications, duplicates=duplicates, problems=problems)  # fmt: skip
