"""Every way the receiver says no, as one exception the middleware turns into a JSON answer.

The status tells the sender what to do: 4xx means "fix it, do not retry"; 503 means
"retry later", because nothing was stored. `reason` is the metrics label.
"""

from typing import Any

import asyncpg
from aiohttp import web


class Refusal(Exception):
    def __init__(
        self, status: int, reason: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> web.Response:
        body = {"status": self.reason.replace("_", " "), "message": self.message, **self.extra}
        return web.json_response(body, status=self.status, headers=self.headers)


def malformed(errors: list[dict[str, Any]]) -> Refusal:
    # PagerDuty's own wording and shape, with pydantic's loc/msg for each field
    return Refusal(400, "invalid_event", "Event object is invalid", errors=errors)


def is_data_error(err: BaseException) -> bool:
    """A value Postgres refuses (SQLSTATE class 22) or asyncpg cannot encode for it (a date-time out of
    range, say): the same body fails the same way at every retry, so it is never "retry later"."""
    return isinstance(err, asyncpg.DataError) or (
        isinstance(err, asyncpg.InterfaceError) and isinstance(err, ValueError)
    )


def unstorable(err: BaseException) -> Refusal:
    """A 400 naming why the database cannot hold a value of the body (without echoing the value)."""
    why = str(err.__cause__) if err.__cause__ is not None else getattr(err, "message", "") or str(err)
    return malformed(
        [{"loc": [], "msg": f"a value of the body cannot be stored: {why}"[:300], "type": "value_unstorable"}]
    )


def unreadable(why: str) -> Refusal:
    """The body could not be read as sent (a broken Content-Encoding): a 400 like any malformed body."""
    return malformed([{"loc": [], "msg": f"body could not be read: {why}"[:300], "type": "body_unreadable"}])


def unauthorized(message: str, *, bearer: bool) -> Refusal:
    headers = {"WWW-Authenticate": 'Bearer realm="incident-receiver"'} if bearer else {}
    return Refusal(401, "unauthorized", message, headers=headers)


def not_json(content_type: str) -> Refusal:
    return Refusal(
        415,
        "unsupported_media_type",
        f"the body must be JSON (Content-Type: application/json), not {content_type or 'unspecified'!r}",
    )


def too_large(limit: int) -> Refusal:
    return Refusal(413, "too_large", f"body larger than {limit} bytes")


def not_in_catalog(message: str, service: str | None) -> Refusal:
    return Refusal(422, "not_in_catalog", message, service=service, recorded=True)


def unavailable(what: str, retry_after: int) -> Refusal:
    return Refusal(
        503, "unavailable", f"{what}; nothing was stored, retry later", headers={"Retry-After": str(retry_after)}
    )
