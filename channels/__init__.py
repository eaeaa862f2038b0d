"""How a message reaches people: email over SMTP, a Slack-compatible webhook, a generic JSON webhook.

Each is a `Channel` (channels/message.py); paging looks one up by the name its `pages` row carries.
"""

from channels.email import EmailChannel, SmtpServer
from channels.message import Channel
from channels.webhook import SlackChannel, WebhookChannel


def by_name(smtp: SmtpServer | None) -> dict[str, Channel]:
    """The live channels, by the name a `pages` row carries (`none` and `no-smtp` rows are never sent)."""
    return {"email": EmailChannel(smtp), "slack": SlackChannel(), "webhook": WebhookChannel()}
