"""What every channel sends and the one interface they share."""

from dataclasses import dataclass
from typing import Any, Protocol

from domain.oncall import Person


@dataclass(frozen=True)
class PageMessage:
    """Each page carries the incident's number, priority, service, summary, runbook, why and at which
    step it pages, and the acknowledgement link."""

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
        return {
            "text": self.text,
            "incident": self.number,
            "priority": self.priority,
            "service": self.service,
            "summary": self.summary,
            "runbook": self.runbook,
            "reason": self.reason,
            "step": self.step,
            "person": self.person,
            "ack_url": self.ack_url,
        }


class DeliveryFailed(Exception):
    """The channel did not take the message; the caller keeps it pending and retries."""


class Channel(Protocol):
    """One way to reach a person (`pages.channel` names it). `idempotency_key` is the same for every
    attempt at one message, so a receiving end that saw it already can tell."""

    async def send(self, person: Person, message: PageMessage, idempotency_key: str) -> None: ...
