"""Why a server could not be reached, in words a person reads: for incidentctl's exit 3 and the API's 503."""

import asyncio
import re


def why_unreachable(err: BaseException) -> str:
    """What went wrong, in words: the SDK's transport errors carry Rust internals (tonic::transport...)."""
    text = str(err) or type(err).__name__
    lowered = text.lower()
    for needle, words in (
        ("connection refused", "connection refused"),
        ("dns error", "the name does not resolve"),
        ("failed to lookup", "the name does not resolve"),
        ("name or service not known", "the name does not resolve"),
        ("timed out", "no answer in time"),
        ("certificate", "its TLS certificate was refused"),
        ("tls", "the TLS handshake failed"),
        ("connection reset", "the connection was reset"),
    ):
        if needle in lowered:
            return words
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    return re.sub(r"\s+", " ", re.sub(r"\b\w+::[\w:]+(\([^)]*\))?", "", text)).strip(" :,") or "unreachable"
