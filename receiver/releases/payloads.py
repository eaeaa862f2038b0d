"""What release management sends: PagerDuty Change Events API v2 (`POST /v2/change/enqueue`) as deploy
tools already send it, and the known errors of a release (`POST /v1/known-errors`)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import Phrases
from domain.releases import PROBLEM_ID, KnownErrorDraft
from starter.intake.payloads import DateTime, EventLink


class ChangePayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: str = Field(min_length=1, max_length=1024)
    timestamp: DateTime | None = None  # when it changed; default: when it was received
    source: str = Field(default="", max_length=255)
    custom_details: dict[str, Any] = {}


class ChangeEvent(BaseModel):
    """PagerDuty Change Events API v2 (as GitHub Actions, Jenkins, Argo CD and Terraform send it)."""

    model_config = ConfigDict(extra="ignore")

    routing_key: str = Field(min_length=1, max_length=200)
    payload: ChangePayload
    links: list[EventLink] = Field(default=[], max_length=50)


class PublishedKnownError(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field of a known error would change what it matches

    id: str = Field(min_length=1, max_length=200, description="the pipeline's own id of it within the release")
    service: str = Field(min_length=1, max_length=100)
    match: Phrases = Field(description="every phrase (3 characters or more) must appear in an event's text")
    workaround: str = Field(min_length=1, max_length=2000)
    title: str = Field(default="", max_length=200)
    problem: str | None = Field(default=None, pattern=PROBLEM_ID)


class KnownErrorRelease(BaseModel):
    """The known errors found while testing one release. Publishing it again changes nothing."""

    model_config = ConfigDict(extra="forbid")

    release: str = Field(min_length=1, max_length=100)
    actor: str = Field(default="release pipeline", min_length=1, max_length=100)
    known_errors: list[PublishedKnownError] = Field(min_length=1, max_length=200)

    def drafts(self) -> list[KnownErrorDraft]:
        return [
            KnownErrorDraft(
                service=k.service,
                match=k.match,
                workaround=k.workaround,
                title=k.title,
                problem=k.problem,
                release=self.release,
                key=k.id,
            )
            for k in self.known_errors
        ]
