"""Pages of a list: `?limit=N&cursor=OPAQUE`, answered as `{"items": [...], "next_cursor": str | null}`.

The cursor is opaque to clients (they hand back what they were given); here it holds the offset of the
next page in an order the store keeps total, so a page neither repeats nor skips a row that did not move.
"""

import base64
import binascii

from api.problems import Problem, bad_request

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
_PREFIX = "o:"


def offset_of(cursor: str | None) -> int:
    """Where the page starts; 400 for a cursor this API did not give."""
    return number_in(cursor, _PREFIX)


def next_cursor(offset: int, returned: int, total: int) -> str | None:
    """The cursor of the page after this one, or None when this one is the last."""
    after = offset + returned
    if returned == 0 or after >= total:
        return None
    return cursor_of(_PREFIX, str(after))


def cursor_of(prefix: str, text: str) -> str:
    """An opaque cursor holding `text`, its kind said by `prefix` (read back with text_in)."""
    return base64.urlsafe_b64encode(f"{prefix}{text}".encode()).decode().rstrip("=")


def text_in(cursor: str, prefix: str) -> str:
    """What cursor_of(prefix, ...) put in `cursor`; 400 for a cursor this API did not give."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(prefix):
        raise not_a_cursor()
    return text[len(prefix) :]


def number_in(cursor: str | None, prefix: str) -> int:
    """The number a cursor of kind `prefix` holds (0 without a cursor); 400 for any other cursor."""
    if not cursor:
        return 0
    text = text_in(cursor, prefix)
    if not text.isdigit():
        raise not_a_cursor()
    return int(text)


def not_a_cursor() -> Problem:
    return bad_request("query.cursor: not a cursor this API gave (pass next_cursor as it came)")
