"""What the forwarder does with inbox rows besides sending them: batch, stamp, set aside."""

import json
from typing import Any

import asyncpg
import structlog

from starter.intake.deliveries import Delivery
from stores import inbox

log = structlog.get_logger("receiver")

Row = asyncpg.Record  # seq, workflow_id (the delivery's route), delivery (the JSON document, as stored)
# Temporal refuses a payload over 2 MB (INVALID_ARGUMENT): one call stays at half that. A single
# row is at most a 512 KB request's worth, so it always fits alone.
MAX_EVENTS_PER_CALL = 1000
MAX_BYTES_PER_CALL = 1_000_000  # of the rows' stored JSON, which the signal's payload follows closely


def chunks(rows: list[tuple[Row, Delivery]]) -> list[list[tuple[Row, Delivery]]]:
    """Consecutive rows within MAX_EVENTS_PER_CALL events and MAX_BYTES_PER_CALL (a bigger row goes alone)."""
    batches: list[list[tuple[Row, Delivery]]] = []
    events = size = 0
    for row, delivery in rows:
        row_events, row_size = len(delivery.events), len(row["delivery"])
        if not batches or events + row_events > MAX_EVENTS_PER_CALL or size + row_size > MAX_BYTES_PER_CALL:
            batches.append([])
            events = size = 0
        batches[-1].append((row, delivery))
        events += row_events
        size += row_size
    return batches


def stamped(delivery: Delivery, seq: int) -> Delivery:
    """Each event carries its row's seq, so the workflow can apply a row sent twice once."""
    events = [event.model_copy(update={"inbox_seq": seq}) for event in delivery.events]
    return Delivery(route=delivery.route, actor=delivery.actor, events=events, opens=delivery.opens)


async def set_aside(pool: asyncpg.Pool, row: Row, reason: str, timeout: float) -> None:
    """A row that can never be forwarded moves to rejected_events (kept, with the reason), in one transaction."""
    await inbox.set_aside(pool, row["seq"], _service_named(row["delivery"]), reason[:500], row["delivery"], timeout)
    log.error("inbox row set aside", route=row["workflow_id"], seq=row["seq"], reason=reason)


def _service_named(document: str) -> str | None:
    """The catalog service a stored delivery would open an incident for, if it says."""
    delivery: Any = json.loads(document)
    opens = delivery.get("opens") if isinstance(delivery, dict) else None
    service = opens.get("service") if isinstance(opens, dict) else None
    return service if isinstance(service, str) else None
