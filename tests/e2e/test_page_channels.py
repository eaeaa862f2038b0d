"""The page channels against real servers on loopback: SMTP with STARTTLS and credentials (aiosmtpd,
a certificate from a test authority), a Slack-compatible or generic webhook (aiohttp), and what
INCIDENT_SMTP_URL may say. The paging activity's rows and retries are tested in tests/workflows."""

import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from channels import email
from channels.email import SmtpServer, send_email
from channels.message import DeliveryFailed, PageMessage
from channels.webhook import send_webhook
from localstack.temporal import free_port
from tests.e2e.webhook_sink import WebhookSink, serving

MESSAGE = PageMessage(number="INC-1042", priority="P1", service="checkout", summary="checkout down",
                      runbook="https://runbooks.example/checkout", reason="P1 logged", step="step 1 of 3",
                      person="dana", ack_url="https://incidents.example/v1/pages/token/ack")  # fmt: skip


def test_the_smtp_url_says_host_port_sender_credentials_and_tls() -> None:
    server = SmtpServer.from_url(
        "smtp://pager%40example.com:s%3Acret@mail.example:2525?starttls=true&from=pager@example.com"
    )
    assert server == SmtpServer(host="mail.example", port=2525, sender="pager@example.com",
                                username="pager@example.com", password="s:cret", starttls=True)  # fmt: skip
    assert SmtpServer.from_url("smtps://mail.example") == SmtpServer(host="mail.example", port=465,
                                                                      sender="incidents@localhost", implicit_tls=True)  # fmt: skip
    assert SmtpServer.from_url("smtp://mail.example").port == 25
    assert SmtpServer.from_url("") is None  # no SMTP: pages are recorded as no-smtp


@pytest.mark.parametrize("url", ["http://mail.example", "mail.example:25", "smtp://"])
def test_an_smtp_url_that_is_not_one_is_refused_with_what_it_must_look_like(url: str) -> None:
    with pytest.raises(ValueError, match="INCIDENT_SMTP_URL must look like smtp://"):
        SmtpServer.from_url(url)


class Mailbox:
    def __init__(self) -> None:
        self.mail: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.mail.append(envelope)
        return "250 OK"


def only_pager(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"pager", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server that insists on STARTTLS before AUTH; the pager trusts the test authority only."""
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    monkeypatch.setattr(email, "_tls", lambda: trusted)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=served, require_starttls=True,
                            authenticator=only_pager, auth_require_tls=True)  # fmt: skip
    controller.start()
    yield mailbox, port
    controller.stop()


async def test_an_email_page_goes_over_starttls_with_the_credentials_of_the_smtp_url(tls_smtp) -> None:
    mailbox, port = tls_smtp
    server = SmtpServer.from_url(f"smtp://pager:s3cret@127.0.0.1:{port}?starttls=true&from=pager@example.com")
    await send_email(server, "dana@example.com", MESSAGE, "page-7")
    [mail] = mailbox.mail
    assert (mail.mail_from, mail.rcpt_tos) == ("pager@example.com", ["dana@example.com"])
    content = mail.content.decode()
    assert "Subject: [INC-1042 P1] checkout: checkout down" in content and "Message-ID: <page-7@" in content
    assert "https://incidents.example/v1/pages/token/ack" in content


async def test_wrong_credentials_or_no_starttls_fail_the_page_and_send_nothing(tls_smtp) -> None:
    mailbox, port = tls_smtp
    for url in (f"smtp://pager:wrong@127.0.0.1:{port}?starttls=true", f"smtp://127.0.0.1:{port}"):
        with pytest.raises(DeliveryFailed, match=f"SMTP 127.0.0.1:{port}"):
            await send_email(SmtpServer.from_url(url), "dana@example.com", MESSAGE, "page-8")
    assert mailbox.mail == []


@pytest.fixture
async def webhook_sink() -> AsyncIterator[tuple[WebhookSink, str]]:
    sink = WebhookSink()
    async with serving(sink) as url:
        yield sink, url


async def test_a_slack_and_a_generic_webhook_page_carry_the_message_and_an_idempotency_key(webhook_sink) -> None:
    sink, url = webhook_sink
    await send_webhook(url, {"text": MESSAGE.text}, "page-9")  # how paging sends to Slack
    await send_webhook(url, MESSAGE.as_json(), "page-10")  # and to a generic webhook
    slack, generic = sink.accepted
    assert slack == {"text": MESSAGE.text, "key": "page-9"}
    assert generic["incident"] == "INC-1042" and generic["ack_url"] == MESSAGE.ack_url and generic["key"] == "page-10"
    assert "Acknowledge (stops the paging): https://incidents.example/v1/pages/token/ack" in slack["text"]


async def test_a_webhook_that_answers_an_error_or_is_not_there_fails_the_page(webhook_sink) -> None:
    sink, url = webhook_sink
    sink.status = 503
    with pytest.raises(DeliveryFailed, match="webhook answered 503"):
        await send_webhook(url, MESSAGE.as_json(), "page-11")
    with pytest.raises(DeliveryFailed, match="webhook: "):
        await send_webhook(f"http://127.0.0.1:{free_port()}/hook", MESSAGE.as_json(), "page-12")
