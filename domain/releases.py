"""What release management tells incident management: the changes deployed and the known errors
found while testing (seed: "documentation from Release Management"). Pure: no clock, no I/O."""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field

from domain.catalog import KnownError, Phrases
from domain.durations import format_duration

KNOWN_ERROR_ID = r"^KE-\d+$"
PROBLEM_ID = r"^PRB-\d+$"


class KnownErrorDraft(BaseModel):
    """A known error as a person (incidentctl) or a release pipeline (POST /v1/known-errors) states it."""

    service: str = Field(min_length=1, max_length=100)
    match: Phrases
    workaround: str = Field(min_length=1, max_length=2000)
    title: str = Field(default="", max_length=200)  # default: the phrases
    problem: str | None = Field(default=None, pattern=PROBLEM_ID)
    release: str | None = Field(default=None, min_length=1, max_length=100)
    key: str | None = Field(default=None, min_length=1, max_length=200)  # the pipeline's id within its release

    def known_error(self, known_error_id: str) -> KnownError:
        return KnownError(
            id=known_error_id,
            service=self.service,
            title=self.title or " + ".join(self.match),
            match=self.match,
            workaround=self.workaround,
            problem=self.problem,
            release=self.release,
        )


def first_match(known_errors: list[KnownError], service: str, text: str) -> KnownError | None:
    """The known error an event is, if any: the first (by id) whose every phrase is in its text."""
    return next((k for k in known_errors if k.matches(service, text)), None)


class KnownErrorIndex:
    """The known errors of one service, ready to match many events: the same answer as first_match,
    with the phrases lowered once and the rarest-looking (longest) phrase tried first, since most
    events match nothing. 1,000 known errors are checked well under a millisecond (make bench B8)."""

    def __init__(self, service: str, known_errors: list[KnownError]) -> None:
        self.service = service
        self._entries = [
            (known, tuple(sorted((p.lower() for p in known.match), key=len, reverse=True)))
            for known in known_errors
            if known.service == service
        ]

    def first_match(self, text: str) -> KnownError | None:
        lowered = text.lower()
        for known, phrases in self._entries:
            if phrases[0] in lowered and all(p in lowered for p in phrases[1:]):
                return known
        return None


class RecentChange(BaseModel):
    """A change to a service (a deploy, a config push) shown on the incidents that follow it."""

    at: AwareDatetime
    summary: str
    source: str = ""
    link: str | None = None  # the first link the sender gave (the deploy's page)

    def line(self, logged_at: datetime) -> str:
        before = format_duration(max(logged_at - self.at, timedelta(0)))
        source = f" ({self.source})" if self.source else ""
        return f"{before} before: {self.summary}{source}"


def changes_detail(changes: list[RecentChange], total: int, window: timedelta, logged_at: datetime) -> str:
    """One timeline entry for the changes found, newest first."""
    shown = "; ".join(change.line(logged_at) for change in changes)
    more = f" (and {total - len(changes)} more: incidentctl changes)" if total > len(changes) else ""
    noun = "change" if total == 1 else "changes"
    return f"{total} {noun} to the service in the {format_duration(window)} before it was logged: {shown}{more}"
