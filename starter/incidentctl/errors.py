"""incidentctl's exit codes and the errors that end a command with one.

Exit codes: 0 done, 1 refused (reason in one line), 2 usage error, 3 cannot reach Temporal or the
incident database. Every command module raises these; main() turns them into the code and the line.
"""

import asyncio
import re
from typing import Any

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Refused(Exception):
    """The incident (or the server) said no; the message is the one line shown."""


class Unreachable(Exception):
    pass


def validation_refusal(err: Any) -> Refused:
    """A pydantic ValidationError, in one line."""
    first = err.errors()[0]
    return Refused(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")


def why_unreachable(err: BaseException) -> str:
    """What went wrong, in words: the SDK's transport errors carry Rust internals (tonic::transport...)."""
    text = str(err) or type(err).__name__
    lowered = text.lower()
    for needle, words in (
        ("connection refused", "connection refused"),
        ("dns error", "the name does not resolve"),
        ("failed to lookup", "the name does not resolve"),
        ("timed out", "no answer in time"),
        ("certificate", "its TLS certificate was refused"),
        ("tls", "the TLS handshake failed"),
        ("connection reset", "the connection was reset"),
    ):
        if needle in lowered:
            return words
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    return re.sub(r"\s+", " ", re.sub(r"\b\w+::[\w:]+(\([^)]*\))?", "", text)).strip(" :,") or "unreachable"
