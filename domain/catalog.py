"""The agreements with the business: which services exist and what was promised.

The catalog is a TOML file in the repository, loaded into Postgres. These models
parse and check it; a workflow keeps a `ServiceAgreement` snapshot so that the
deadlines it enforces are the ones that were agreed when the incident was logged.
"""

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator, model_validator

from domain.durations import parse_duration
from domain.enums import Priority
from domain.groups import own_groups
from domain.oncall_config import OnCallConfig, parse_oncall
from domain.paging import EscalationPolicy

DEFAULT_TARGETS: dict[Priority, tuple[str, str]] = {
    Priority.P1: ("15m", "4h"),
    Priority.P2: ("30m", "8h"),
    Priority.P3: ("2h", "24h"),
    Priority.P4: ("8h", "72h"),
    Priority.P5: ("24h", "7d"),
}


MIN_PHRASE_LENGTH = 3  # a known error's match phrase, at least
CATALOG_FILE = {"catalog_file": True}  # validation context: reading catalog.toml, not history


class CatalogModel(BaseModel):
    """Strict when read from catalog.toml (a typo must not fall back to a default silently),
    lenient when read back from workflow history, where a field another release of the code wrote
    (one since removed) must still decode, or running incidents would fail to replay."""

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields_in_the_catalog(cls, data: Any, info: ValidationInfo) -> Any:
        if info.context and info.context.get("catalog_file") and isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                raise ValueError(f"unknown field(s) {', '.join(unknown)}")
        return data


class Targets(CatalogModel):
    response: timedelta
    restore: timedelta

    @field_validator("response", "restore", mode="before")
    @classmethod
    def _human_duration(cls, value: Any) -> Any:
        # "4h" from the catalog file; ISO 8601 ("PT4H") is how the snapshot comes back from JSON
        return parse_duration(value) if isinstance(value, str) and not value.startswith("P") else value

    @field_validator("response", "restore")
    @classmethod
    def _longer_than_nothing(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        # a zero target is missed the instant the incident is logged, and the response escalation that
        # follows each missed period would come again at once, without end; only the file is checked:
        # an agreement read back from history must still decode
        if info.context and info.context.get("catalog_file") and value <= timedelta():
            raise ValueError(
                f'must be longer than 0s (got {value.total_seconds():g}s), e.g. "30m": a target of nothing is'
                " missed the moment an incident is logged, and would escalate it again at once,"
                " without end"
            )
        return value


class ImpactUrgency(CatalogModel):
    impact: int = Field(ge=1, le=3)
    urgency: int = Field(ge=1, le=3)


class Category(CatalogModel):
    """A kind of failure with its incident model: who takes it and how."""

    name: str
    group: str
    runbook: str = ""
    keywords: list[str] = []


def phrases_that_tell_events_apart(phrases: list[str]) -> list[str]:
    # a phrase of one or two characters is in nearly every event: it would close real incidents
    cleaned = [" ".join(p.split()) for p in phrases]
    short = [p for p in cleaned if len(p) < MIN_PHRASE_LENGTH]
    if short:
        raise ValueError(
            f"match phrases must be at least {MIN_PHRASE_LENGTH} characters"
            f" (too short: {', '.join(repr(p) for p in short)})"
        )
    return cleaned


Phrases = Annotated[list[str], Field(min_length=1, max_length=20), AfterValidator(phrases_that_tell_events_apart)]


class KnownError(CatalogModel):
    """A documented error from release management: expected, so not an incident."""

    id: str
    service: str
    title: str
    # every phrase must appear in the event text; checked as Phrases where one is written (the
    # catalog, a draft), not where one is read back from workflow history
    match: list[str] = Field(min_length=1)
    workaround: str
    problem: str | None = None
    release: str | None = None  # the release whose testing found it (release management)

    def matches(self, service: str, text: str) -> bool:
        lowered = text.lower()
        return service == self.service and all(p.lower() in lowered for p in self.match)

    def describe_match(self) -> str:
        """What matched, for the record: which known error and on which phrases."""
        phrases = " + ".join(f'"{p}"' for p in self.match)
        return f"known error {self.id} ({self.title}) on {phrases}"


class ServiceAgreement(CatalogModel):
    """What the workflow needs of a service. Holds no credentials: it goes into history."""

    name: str
    owner_group: str
    service_manager: str
    support_lines: list[str] = Field(min_length=1)
    targets: dict[Priority, Targets]
    categories: list[Category] = Field(min_length=1)
    severity: dict[str, ImpactUrgency]
    warning_ratio: float = Field(default=0.75, gt=0, lt=1)
    major_update_interval: timedelta = timedelta(minutes=30)
    confirmation_window: timedelta = timedelta(days=3)
    quiet_window: timedelta = timedelta(minutes=30)
    change_window: timedelta = timedelta(hours=24)  # changes this long before an incident are shown on it
    stakeholders: str = ""  # the business channel told about restore, breach and major incidents
    # Who is paged, step by step, until someone acknowledges (oncall.toml): the default policy and
    # any per category. Empty: page the group's on-call (domain.paging.DEFAULT_POLICY).
    escalation: list[EscalationPolicy] = []

    def category(self, name: str | None) -> Category:
        for category in self.categories:
            if category.name == name:
                return category
        return self.categories[0]

    def own_groups(self) -> list[str]:
        """Its support lines, owner group and category groups (domain.groups)."""
        return own_groups(self.support_lines, self.owner_group, (c.group for c in self.categories))

    def next_line(self, group: str) -> str | None:
        """Functional escalation: the support line after `group`, if any."""
        if group in self.support_lines:
            index = self.support_lines.index(group)
            return self.support_lines[index + 1] if index + 1 < len(self.support_lines) else None
        return self.support_lines[0] if self.support_lines[0] != group else None


class Notifications(CatalogModel):
    """Where messages go. Webhook URLs are credentials (Slack's are), so they stay out of history."""

    webhook: str = ""  # Slack-compatible incoming webhook for the service
    group_webhooks: dict[str, str] = {}  # assignment group -> its own webhook

    def webhook_for(self, audience: str) -> str:
        kind, _, name = audience.partition(":")
        return self.group_webhooks.get(name, self.webhook) if kind == "group" else self.webhook


class ServiceEntry(ServiceAgreement):
    integration_key: str = Field(min_length=16)
    notifications: Notifications = Notifications()

    def agreement(self) -> ServiceAgreement:
        return ServiceAgreement.model_validate(self.model_dump(exclude={"integration_key", "notifications"}))


class Catalog(CatalogModel):
    services: dict[str, ServiceEntry]
    known_errors: list[KnownError] = []
    oncall: OnCallConfig = OnCallConfig()


_WINDOWS = ("major_update_interval", "confirmation_window", "quiet_window", "change_window")


def parse_catalog(raw: dict[str, Any], oncall: dict[str, Any] | None = None) -> Catalog:
    """Merge each service over the defaults and validate the whole catalog; `oncall` is the
    parsed oncall.toml the catalog names (its policies join their services' agreements).

    Raises pydantic.ValidationError (field paths name the service), OnCallError or ValueError.
    """
    defaults = raw.get("defaults", {})
    default_targets = {p: {"response": r, "restore": s} for p, (r, s) in DEFAULT_TARGETS.items()}
    for priority, target in defaults.get("targets", {}).items():
        default_targets[Priority(priority)] = {**default_targets[Priority(priority)], **target}
    services: dict[str, Any] = {}
    for entry in raw.get("services", []):
        targets = {p: dict(t) for p, t in default_targets.items()}
        for priority, target in entry.get("targets", {}).items():
            targets[Priority(priority)].update(target)
        merged = {
            "warning_ratio": defaults.get("warning_ratio", 0.75),
            **{k: parse_duration(defaults[k]) for k in _WINDOWS if k in defaults},
            **entry,
            "targets": targets,
            "severity": {k.lower(): v for k, v in {**raw.get("severity", {}), **entry.get("severity", {})}.items()},
        }
        for key in _WINDOWS:
            if isinstance(merged.get(key), str):
                merged[key] = parse_duration(merged[key])
        if merged.get("name") in services:
            raise ValueError(f"service {merged['name']!r} appears twice in the catalog")
        services[merged.get("name", "")] = merged
    catalog = Catalog.model_validate(
        {"services": services, "known_errors": raw.get("known_errors", [])}, context=CATALOG_FILE
    )
    keys = [s.integration_key for s in catalog.services.values()]
    if len(set(keys)) != len(keys):
        raise ValueError("two services share an integration key")
    for known in catalog.known_errors:
        if known.service not in catalog.services:
            raise ValueError(f"known error {known.id} names unknown service {known.service!r}")
        try:
            known.match = phrases_that_tell_events_apart(known.match)
        except ValueError as err:
            raise ValueError(f"known error {known.id}: {err}") from None
    if oncall is not None:
        config = parse_oncall(oncall, {name: [c.name for c in s.categories] for name, s in catalog.services.items()})
        catalog.oncall = config
        for name, policies in config.policies.items():
            catalog.services[name].escalation = policies
    return catalog
