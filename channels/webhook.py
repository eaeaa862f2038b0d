"""JSON over HTTPS POST: a Slack-compatible webhook (`text`) or a generic one (every field of the page).
Notifications (activities/notifications.py) post through `send_webhook` too."""

from typing import Any

import aiohttp

from channels.message import DeliveryFailed, PageMessage
from domain.oncall import Person

SEND_TIMEOUT_SECONDS = 10


async def send_webhook(url: str, body: dict[str, Any], idempotency_key: str) -> None:
    """Raises DeliveryFailed on a non-2xx answer or a connection error (the error is its __cause__)."""
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.post(url, json=body, headers={"Idempotency-Key": idempotency_key}) as answer:
                if answer.status >= 300:
                    raise DeliveryFailed(f"webhook answered {answer.status}")
    except (aiohttp.ClientError, TimeoutError) as err:
        raise DeliveryFailed(f"webhook: {type(err).__name__}: {err}") from err


class SlackChannel:
    """The person's Slack-compatible webhook (oncall.toml `slack_webhook`): the message's text."""

    async def send(self, person: Person, message: PageMessage, idempotency_key: str) -> None:
        await send_webhook(person.slack_webhook, {"text": message.text}, idempotency_key)


class WebhookChannel:
    """The person's generic webhook (oncall.toml `webhook`): every field of the page as JSON."""

    async def send(self, person: Person, message: PageMessage, idempotency_key: str) -> None:
        await send_webhook(person.webhook, message.as_json(), idempotency_key)
