"""Acknowledgement links in pages: `/v1/pages/<token>/ack` on the receiver (a GET opens a page with one
button, which POSTs to it).

The token names one incident, one person and one page, expires, and is signed (HMAC-SHA256 with
INCIDENT_PAGE_SECRET), so it cannot be made up or altered. The receiver lets each page's link
acknowledge once (`page_acks`); a wrong, expired or reused token gets 403 and acknowledges nothing.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

LINK_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class PageToken:
    number: str  # the incident, INC-n (its workflow id)
    person: str
    page: int  # the incident's page sequence number
    expires: datetime

    @property
    def token_id(self) -> str:
        """What `page_acks` keys on: one acknowledgement per page and person, whichever channel's link."""
        return f"{self.number}/{self.page}/{self.person}"


class BadToken(ValueError):
    """Not a token we signed, or expired: the message says which (for the log, never a secret)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def sign(token: PageToken, secret: str) -> str:
    claims = {"n": token.number, "p": token.person, "s": token.page, "e": int(token.expires.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, body)}"


def verify(text: str, secret: str, now: datetime) -> PageToken:
    body, _, mac = text.partition(".")
    if not body or not mac or not secret or not hmac.compare_digest(_mac(secret, body), mac):
        raise BadToken("signature does not match")
    try:
        claims = json.loads(_unb64(body))
        token = PageToken(
            str(claims["n"]),
            str(claims["p"]),
            int(claims["s"]),
            datetime.fromtimestamp(int(claims["e"]), tz=now.tzinfo),
        )
    except (ValueError, KeyError, TypeError):
        raise BadToken("claims cannot be read") from None
    if token.expires <= now:
        raise BadToken("expired")
    return token
