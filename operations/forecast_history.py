"""The record a forecast is fitted to (GET /v1/forecast/history), so `incidentctl forecast --from-history`
needs the API's address, not the database's. Pages are keyed by the last row given (logged time and
number), carried in an opaque cursor."""

import base64
import binascii
from datetime import datetime
from typing import Any

from operations.incidents import Backends
from operations.outcomes import InvalidInput
from stores.forecast_history import history_page


def _cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(f"k:{row['logged_at'].isoformat()}|{row['number']}".encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        at, number = text.removeprefix("k:").split("|", 1)
        if not text.startswith("k:"):
            raise ValueError(text)
        return datetime.fromisoformat(at), number
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("query.cursor: not a cursor this API gave (pass next_cursor as it came)") from None


async def history(
    backends: Backends, since: datetime, services: list[str], limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of the incidents of `services` logged since `since`, with the times a forecast fits."""
    async with backends.record() as conn:
        rows = await history_page(conn, since, services, _after(cursor), limit)
    return {
        "items": [{k: v for k, v in dict(r).items() if k != "number"} for r in rows],
        "next_cursor": _cursor(rows[-1]) if len(rows) == limit else None,
    }
