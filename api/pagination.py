"""Pages of a list: `?limit=N&cursor=OPAQUE`, answered as `{"items": [...], "next_cursor": str | null}`.

The cursor is opaque to clients (they hand back what they were given); here it holds the offset of the
next page in an order the store keeps total, so a page neither repeats nor skips a row that did not move.
"""

import base64
import binascii

from api.problems import bad_request

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
_PREFIX = "o:"


def offset_of(cursor: str | None) -> int:
    """Where the page starts; 400 for a cursor this API did not give."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise bad_request("query.cursor: not a cursor this API gave (pass next_cursor as it came)")
    return int(text[len(_PREFIX) :])


def next_cursor(offset: int, returned: int, total: int) -> str | None:
    """The cursor of the page after this one, or None when this one is the last."""
    after = offset + returned
    if returned == 0 or after >= total:
        return None
    return base64.urlsafe_b64encode(f"{_PREFIX}{after}".encode()).decode().rstrip("=")
