"""Unexpected exceptions, logged without local variables, and aiohttp's own errors without request bytes.

runtime.logs renders tracebacks with structlog's defaults, which include every frame's
locals; here those hold bearer tokens, routing keys and whole request bodies. So the
receiver logs the plain traceback text instead of passing exc_info.
"""

import logging
import traceback


def exception_fields(err: BaseException) -> dict[str, str]:
    return {"error": f"{type(err).__name__}: {err}", "traceback": "".join(traceback.format_exception(err))}


class WithoutRequestBytes(logging.Filter):
    """For the `aiohttp.server` logger: keep the line, drop the exception, whose text quotes the request.

    aiohttp logs a request it could not parse at ERROR with the parser's exception, e.g.
    "Got more than 8190 bytes when reading: b'Bearer <the token>...'": a header too long or
    holding a forbidden byte would put a credential in the log. The exception's type and
    status are enough to tell what happened.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            status = getattr(err, "code", None)
            record.msg = f"{record.getMessage()}: {type(err).__name__}" + (f" {status}" if status else "")
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def keep_request_bytes_out_of_aiohttp_logs() -> None:
    logging.getLogger("aiohttp.server").addFilter(WithoutRequestBytes())
