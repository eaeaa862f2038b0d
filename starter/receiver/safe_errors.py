"""Unexpected exceptions, logged without local variables.

starter.logs renders tracebacks with structlog's defaults, which include every frame's
locals; here those hold bearer tokens, routing keys and whole request bodies. So the
receiver logs the plain traceback text instead of passing exc_info.
"""

import traceback


def exception_fields(err: BaseException) -> dict[str, str]:
    return {"error": f"{type(err).__name__}: {err}", "traceback": "".join(traceback.format_exception(err))}
