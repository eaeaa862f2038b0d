"""Paging a person until someone acknowledges: escalation policies and the incident's paging state.

An escalation policy is ordered steps, each "page the on-call of the incident's group" (`on-call`),
"the on-call of schedule X" (`schedule:X`), "person P" (`person:P`) or "everyone of group G"
(`group:G`), with a wait before the next step, and a repeat count for the whole policy. A service
has a default policy and may have one per category; the agreement snapshot in the workflow holds
them, so the steps and waits an incident follows are the ones agreed when it was logged. Who is
on call for a step is looked up when the step pages (a hand-off while paging pages the new person),
by the paging activity: the workflow holds names and times only. Pure; time is a parameter.
"""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from domain.durations import parse_duration

ON_CALL = "on-call"  # the on-call of the incident's current group (its schedule has the group's name)
DEFAULT_WAIT = timedelta(minutes=5)


class PageStep(BaseModel):
    page: str  # on-call | schedule:NAME | person:NAME | group:NAME
    wait: timedelta = DEFAULT_WAIT  # before the next step

    @field_validator("wait", mode="before")
    @classmethod
    def _human_wait(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) and not value.startswith("P") else value

    @field_validator("page")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind, _, name = value.partition(":")
        if value != ON_CALL and (kind not in ("schedule", "person", "group") or not name):
            raise ValueError(f"page must be on-call, schedule:NAME, person:NAME or group:NAME (got {value!r})")
        return value

    def target(self, group: str) -> str:
        """What to page, with `on-call` resolved to the incident's group: schedule:G, person:P, group:G."""
        return f"schedule:{group}" if self.page == ON_CALL else self.page


class EscalationPolicy(BaseModel):
    name: str
    category: str | None = None  # None: the service's default policy
    steps: list[PageStep] = Field(min_length=1)
    repeat: int = Field(default=2, ge=0, le=10)  # the whole policy again, this many more times


DEFAULT_POLICY = EscalationPolicy(name="default", steps=[PageStep(page=ON_CALL)], repeat=2)


class Paging(BaseModel):
    """An incident being paged: which policy, how far, and when the next step is due."""

    reason: str  # e.g. "P1 logged", "escalated to platform-sre"
    group: str  # whose on-call `on-call` steps page
    policy: EscalationPolicy
    started_at: AwareDatetime
    next_at: AwareDatetime  # when the next step pages
    step: int = 0  # the next step to page
    round: int = 0  # how many times the whole policy has run
    pages: int = 0  # steps paged so far
    finished: bool = False  # every round paged: at next_at, with nobody acknowledging, paging ends


def policy_for(policies: list[EscalationPolicy], category: str | None) -> EscalationPolicy:
    """The category's own policy, else the service's default, else page the group's on-call."""
    for policy in policies:
        if category is not None and policy.category == category:
            return policy
    return next((p for p in policies if p.category is None), DEFAULT_POLICY)


def begin(policy: EscalationPolicy, group: str, reason: str, at: datetime) -> Paging:
    """Paging by `policy` from `at`: its first step is due at once."""
    return Paging(reason=reason, group=group, policy=policy, started_at=at, next_at=at)


def start(policies: list[EscalationPolicy], category: str | None, group: str, reason: str, at: datetime) -> Paging:
    return begin(policy_for(policies, category), group, reason, at)


def due_step(paging: Paging) -> PageStep:
    return paging.policy.steps[paging.step]


def advance(paging: Paging, at: datetime) -> Paging:
    """After the due step paged at `at`: the next step after its wait; after the last step of the last
    round, its wait still runs (someone may yet acknowledge), then the paging is `finished`."""
    wait = due_step(paging).wait
    step, round_ = paging.step + 1, paging.round
    if step == len(paging.policy.steps):
        step, round_ = 0, round_ + 1
    finished = round_ > paging.policy.repeat
    return paging.model_copy(
        update={
            "step": 0 if finished else step,
            "round": min(round_, paging.policy.repeat),
            "next_at": at + wait,
            "pages": paging.pages + 1,
            "finished": finished,
        }
    )


def describe_step(paging: Paging) -> str:
    """e.g. 'step 1 of 2, round 1 of 3'."""
    return (
        f"step {paging.step + 1} of {len(paging.policy.steps)}, round {paging.round + 1} of {paging.policy.repeat + 1}"
    )
