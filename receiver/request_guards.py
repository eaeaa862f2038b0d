"""Checks made before a payload is trusted: the credential, that it says it is JSON, then the size
(and that it can be read at all)."""

import hmac

from aiohttp import web

from receiver.refusals import not_json, too_large, unauthorized, unreadable


def check_bearer(request: web.Request, token: str) -> None:
    """`Authorization: Bearer <token>`, compared in constant time. The token is never logged or echoed."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise unauthorized("missing bearer token", bearer=True)
    # An empty configured token refuses everything rather than accepting everything. aiohttp keeps
    # header bytes that are not UTF-8 as surrogate escapes: give those bytes back, never fail on them.
    if not token or not hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token.encode()):
        raise unauthorized("invalid bearer token", bearer=True)


def check_json(request: web.Request) -> None:
    """415 unless the body is declared JSON (application/json, or a +json type): a form post or text
    sent here by mistake is told so, rather than answered "invalid JSON"."""
    declared = request.headers.get("Content-Type", "")
    kind = request.content_type.lower() if declared else ""
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        raise not_json(declared.split(";")[0].strip())


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit`.

    Content-Length is checked first (no read at all), then the bytes actually read,
    because a chunked body has no length and a client may lie about it.
    """
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > limit:
                raise too_large(limit)
    except web.RequestPayloadError as err:  # e.g. a `Content-Encoding: gzip` body that is not gzip
        raise unreadable(getattr(err.__cause__, "message", None) or "broken body") from None
    return bytes(body)
