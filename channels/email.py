"""Email over SMTP. The server comes from INCIDENT_SMTP_URL:
`smtp://[user:password@]host[:port][?starttls=true&from=pager@example.com]` (STARTTLS and
credentials optional), or `smtps://` for TLS from the first byte.
"""

import asyncio
import functools
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from channels.message import DeliveryFailed, PageMessage
from domain.oncall import Person

SEND_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer | None":
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("INCIDENT_SMTP_URL must look like smtp://[user:password@]host[:port][?starttls=true]")
        query = parse_qs(parts.query)
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if secure else 25),
            sender=query.get("from", ["incidents@localhost"])[0],
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=query.get("starttls", ["false"])[0] == "true",
            implicit_tls=secure,
        )


async def send_email(server: SmtpServer | None, to: str, message: PageMessage, idempotency_key: str) -> None:
    if server is None:
        raise DeliveryFailed("no SMTP server configured (INCIDENT_SMTP_URL)")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = server.sender, to, message.subject
    mail["Message-ID"] = f"<{idempotency_key}@incident-pipeline>"  # a resend is recognisably the same page
    mail.set_content(message.text)
    try:
        await asyncio.to_thread(_smtp_send, server, mail)
    except (OSError, smtplib.SMTPException) as err:
        raise DeliveryFailed(f"SMTP {server.host}:{server.port}: {err}") from err


@functools.cache
def _tls() -> ssl.SSLContext:
    """One context for every send: building one reads the system's CA bundle, which during an alert
    storm would take much of the worker's CPU if done per email (even without TLS; make bench B7)."""
    return ssl.create_default_context()


def _smtp_send(server: SmtpServer, mail: EmailMessage) -> None:
    smtp_class = smtplib.SMTP_SSL if server.implicit_tls else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": _tls()} if server.implicit_tls else {}
    with smtp_class(server.host, server.port, timeout=SEND_TIMEOUT_SECONDS, **kwargs) as smtp:
        if server.starttls:
            smtp.starttls(context=_tls())
        if server.username:
            smtp.login(server.username, server.password)
        smtp.send_message(mail)


class EmailChannel:
    def __init__(self, server: SmtpServer | None) -> None:
        self._server = server

    async def send(self, person: Person, message: PageMessage, idempotency_key: str) -> None:
        await send_email(self._server, person.email, message, idempotency_key)
