"""The inputs of a forecast: arrival rates per service and priority, how long people take, how many
are on call at once; and the changes to try (--target P2.restore=6h, --staff G=+1, --arrivals x1.5).
Every refusal says what to change."""

import math
import random
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from domain.durations import parse_duration
from domain.enums import Priority

HOUR = 3600.0


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; the message says what to change."""


def _seconds(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value).total_seconds()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


class Distribution(BaseModel):
    """How long a step takes: exponential (mean), lognormal (median, sigma), fixed (value) or
    empirical (values seen, drawn with replacement). Durations as 20m, 4h or seconds."""

    kind: Literal["exponential", "lognormal", "fixed", "empirical"] = "exponential"
    mean: float | None = None
    median: float | None = None
    sigma: float = 1.0
    value: float | None = None
    values: list[float] = []
    # fitted from a sample: each replication draws its own resample of `values` (a bootstrap), so the
    # interval also says how little a few months of history tell
    bootstrap: bool = False

    _durations = field_validator("mean", "median", "value", mode="before")(lambda cls, v: _seconds(v))

    @field_validator("values", mode="before")
    @classmethod
    def _duration_list(cls, values: object) -> object:
        return [_seconds(v) for v in values] if isinstance(values, list) else values

    @model_validator(mode="after")
    def _complete(self) -> "Distribution":
        needs = {"exponential": self.mean, "lognormal": self.median, "fixed": self.value}
        if self.kind in needs and needs[self.kind] is None:
            field = {"exponential": "mean", "lognormal": "median", "fixed": "value"}[self.kind]
            raise ValueError(f'a {self.kind} distribution needs `{field}` (e.g. {field} = "20m")')
        if self.kind == "empirical" and not self.values:
            raise ValueError("an empirical distribution needs `values`: no data to draw from")
        if any(v < 0 for v in [*(x for x in needs.values() if x is not None), *self.values]):
            raise ValueError("durations cannot be negative")
        return self

    def sampler(self, rng: random.Random) -> "callable":  # type: ignore[valid-type]
        if self.kind == "exponential":
            rate = 1 / self.mean if self.mean else math.inf
            return (lambda: rng.expovariate(rate)) if rate != math.inf else (lambda: 0.0)
        if self.kind == "lognormal":
            mu = math.log(self.median) if self.median else -math.inf
            return lambda: rng.lognormvariate(mu, self.sigma) if self.median else 0.0
        if self.kind == "fixed":
            value = float(self.value or 0.0)
            return lambda: value
        values = list(self.values)
        if self.bootstrap:
            values = [values[int(rng.random() * len(values))] for _ in values]
        return lambda: values[int(rng.random() * len(values))]

    def mean_seconds(self) -> float:
        if self.kind == "exponential":
            return float(self.mean or 0)
        if self.kind == "lognormal":
            return float(self.median or 0) * math.exp(self.sigma**2 / 2)
        if self.kind == "fixed":
            return float(self.value or 0)
        return sum(self.values) / len(self.values)


class ServiceLoad(BaseModel):
    """One service: incidents per 30 days by priority, and how long its responders take."""

    arrivals: dict[Priority, float] = Field(description="incidents per 30 days, by priority")
    acknowledge: Distribution = Distribution(mean=5 * 60)  # from picking it up to the ack
    restore: Distribution = Distribution(mean=2 * HOUR)  # from the ack to the workaround
    resolve: Distribution = Distribution(mean=4 * HOUR)  # from restore to resolve (reported only)
    hold: Distribution = Distribution(kind="fixed", value=0)  # on hold (the restore clock pauses)
    # incidents behind a fitted rate, by priority: each replication draws its rate from what that
    # many would allow (Gamma), not the point estimate; none: the rate is given, not estimated
    observed: dict[Priority, int] = {}
    # how its incidents divide among the catalog's categories (weights; each category's group takes its
    # share); none: all in the first category, as the workflow files an incident whose text names none
    categories: dict[str, float] = {}

    @field_validator("categories")
    @classmethod
    def _mix(cls, categories: dict[str, float]) -> dict[str, float]:
        bad = [name for name, weight in categories.items() if weight < 0 or not math.isfinite(weight)]
        if bad:
            raise ValueError(f"category weights must be 0 or more ({', '.join(bad)} is not)")
        if categories and not sum(categories.values()):
            raise ValueError("categories: at least one weight must be above 0")
        return categories

    @field_validator("arrivals")
    @classmethod
    def _rates(cls, arrivals: dict[Priority, float]) -> dict[Priority, float]:
        negative = [str(p) for p, rate in arrivals.items() if rate < 0 or not math.isfinite(rate)]
        if negative:
            raise ValueError(f"arrival rates must be 0 or more per 30 days ({', '.join(negative)} is not)")
        return arrivals


class Scenario(BaseModel):
    days: int = Field(default=365, ge=1, le=3660)
    replications: int = Field(default=100, ge=2, le=10_000)
    seed: int = 1
    services: dict[str, ServiceLoad] = Field(min_length=1)
    staff: dict[str, int] = {}  # engineers a group has on call at once (default 1: its schedule's one)
    targets: dict[str, float] = {}  # "P2.restore" -> seconds, applied over the catalog's
    hourly: list[float] = Field(default=[], description="24 weights of arrivals by hour of day (UTC)")
    # fitted from history: services of the record it could not learn from, and why (they are not forecast)
    left_out: dict[str, str] = {}

    _targets = field_validator("targets", mode="before")(
        lambda cls, v: {k: _seconds(x) for k, x in v.items()} if isinstance(v, dict) else v
    )

    @field_validator("targets")
    @classmethod
    def _longer_than_nothing(cls, targets: dict[str, float]) -> dict[str, float]:
        for key, seconds in targets.items():
            _check_target(key, seconds, key)
        return targets

    @field_validator("hourly")
    @classmethod
    def _day_profile(cls, weights: list[float]) -> list[float]:
        if weights and (len(weights) != 24 or any(w < 0 for w in weights) or not sum(weights)):
            raise ValueError("hourly needs 24 weights of 0 or more, not all 0")
        return weights

    def checked_against(self, services: dict[str, Any], groups: set[str]) -> "Scenario":
        unknown = sorted(set(self.services) - set(services))
        if unknown:
            raise ScenarioError(
                f"unknown service(s) {', '.join(unknown)}: the catalog has {', '.join(sorted(services))}"
            )
        for name, load in self.services.items():
            known = [c.name for c in services[name].categories]
            strange = sorted(set(load.categories) - set(known))
            if strange:
                raise ScenarioError(
                    f"unknown categor(ies) {', '.join(strange)} of {name}: its categories are {', '.join(known)}"
                )
        staff = sorted(set(self.staff) - groups)
        if staff:
            raise ScenarioError(f"unknown group(s) {', '.join(staff)} in staff: groups are {', '.join(sorted(groups))}")
        for key in self.targets:
            priority, _, which = key.partition(".")
            if priority not in Priority.__members__ or which not in ("response", "restore"):
                raise ScenarioError(f"target {key!r}: use P1..P5 and response or restore, e.g. P2.restore=6h")
        return self


def _check_target(key: str, seconds: float, said: str) -> None:
    if seconds <= 0:  # as the catalog refuses it (domain.catalog.Targets)
        raise ScenarioError(
            f"{said}: a target must be longer than 0s, e.g. {key.strip()}=30m: a target of nothing is"
            " missed the moment an incident is logged, and would escalate it again at once, without"
            " end"
        )


def what_if(scenario: Scenario, targets: list[str], staff: list[str], arrivals: str | None) -> Scenario:
    """The scenario with the changes of the command line: --target P2.restore=6h, --staff G=+1, --arrivals x1.5."""
    changed = scenario.model_copy(deep=True)
    for text in targets:
        key, _, value = text.partition("=")
        try:
            seconds = parse_duration(value).total_seconds()
        except ValueError as err:
            raise ScenarioError(f"--target {text}: {err}") from None
        _check_target(key, seconds, f"--target {text}")
        changed.targets[key.strip()] = seconds
    for text in staff:
        group, _, delta = text.partition("=")
        if not delta.lstrip("+-").isdigit():
            raise ScenarioError(f"--staff {text}: use GROUP=+1, GROUP=-1 or GROUP=3")
        now = changed.staff.get(group, 1)
        changed.staff[group] = now + int(delta) if delta[0] in "+-" else int(delta)
        if changed.staff[group] < 1:
            raise ScenarioError(f"--staff {text}: a group needs at least one engineer on call")
    if arrivals is not None:
        factor = arrivals.lstrip("x*")
        try:
            scale = float(factor)
        except ValueError:
            raise ScenarioError(f"--arrivals {arrivals}: use a factor, e.g. x1.5") from None
        if scale < 0 or not math.isfinite(scale):
            raise ScenarioError(f"--arrivals {arrivals}: the factor must be a number, 0 or more")
        for load in changed.services.values():
            load.arrivals = {p: rate * scale for p, rate in load.arrivals.items()}
            if not all(math.isfinite(rate) for rate in load.arrivals.values()):  # x1e308 overflows
                raise ScenarioError(f"--arrivals {arrivals}: the factor is too large")
    return changed
