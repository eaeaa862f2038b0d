"""How a page reaches a person: email over SMTP, a Slack-compatible webhook, a generic JSON webhook.

Each message carries the incident's number, priority, service, summary, runbook, why and at which
step it pages, and the acknowledgement link. SMTP comes from INCIDENT_SMTP_URL:
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

import aiohttp

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
        return cls(host=parts.hostname, port=parts.port or (465 if secure else 25),
                   sender=query.get("from", ["incidents@localhost"])[0], username=unquote(parts.username or ""),
                   password=unquote(parts.password or ""), starttls=query.get("starttls", ["false"])[0] == "true",
                   implicit_tls=secure)  # fmt: skip


@dataclass(frozen=True)
class PageMessage:
    number: str
    priority: str
    service: str
    summary: str
    runbook: str
    reason: str
    step: str
    person: str
    ack_url: str

    @property
    def subject(self) -> str:
        return f"[{self.number} {self.priority}] {self.service}: {self.summary}"[:200]

    @property
    def text(self) -> str:
        lines = [
            f"{self.number} {self.priority} {self.service}: {self.summary}",
            f"Why you: {self.reason} ({self.step})",
        ]
        if self.runbook:
            lines.append(f"Runbook: {self.runbook}")
        if self.ack_url:
            lines.append(f"Acknowledge (stops the paging): {self.ack_url}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "incident": self.number, "priority": self.priority, "service": self.service,
                "summary": self.summary, "runbook": self.runbook, "reason": self.reason, "step": self.step,
                "person": self.person, "ack_url": self.ack_url}  # fmt: skip


class DeliveryFailed(Exception):
    """The channel did not take the page; the row stays pending and is retried."""


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
    """One context for every send: building one reads the system's CA bundle, which cost half the
    worker's CPU during the B7 storm when it was built per email (and even without TLS)."""
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


async def send_webhook(url: str, body: dict[str, Any], idempotency_key: str) -> None:
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.post(url, json=body, headers={"Idempotency-Key": idempotency_key}) as answer:
                if answer.status >= 300:
                    raise DeliveryFailed(f"webhook answered {answer.status}")
    except (aiohttp.ClientError, TimeoutError) as err:
        raise DeliveryFailed(f"webhook: {type(err).__name__}: {err}") from err
