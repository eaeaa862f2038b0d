"""The on-call part of the catalog (oncall.toml, named by catalog.toml): people, schedules, policies.

Checked as a whole when read: a schedule with an unknown person, a zero-length shift, an unknown
time zone, an override that ends before it starts, an escalation step naming an unknown schedule
or person are refused with the field and why (stores.catalog_file adds the file), and the
previous good catalog stays in force.
"""

from typing import Any

from pydantic import BaseModel, ValidationError

from domain.oncall import Person, Schedule
from domain.paging import EscalationPolicy


class OnCallError(ValueError):
    """oncall.toml cannot be used: `where` is the field's path, the message says why."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")


class OnCallConfig(BaseModel):
    people: dict[str, Person] = {}
    schedules: dict[str, Schedule] = {}
    policies: dict[str, list[EscalationPolicy]] = {}  # service -> its policies (default and per category)


def _validated(model: type[BaseModel], raw: Any, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        path = where + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
        raise OnCallError(path, first["msg"].removeprefix("Value error, ")) from None


def parse_oncall(raw: dict[str, Any], services: dict[str, list[str]]) -> OnCallConfig:
    """`services`: each catalog service's category names (a policy names a service and maybe a category)."""
    unknown = sorted(set(raw) - {"people", "schedules", "escalation_policies"})
    if unknown:
        raise OnCallError("oncall", f"unknown section(s) {', '.join(unknown)}")
    people = {
        name: _validated(Person, {"name": name, **fields}, f"people.{name}")
        for name, fields in raw.get("people", {}).items()
    }
    schedules: dict[str, Schedule] = {}
    for index, entry in enumerate(raw.get("schedules", [])):
        schedule = _validated(Schedule, entry, f"schedules[{entry.get('name', index)}]")
        if schedule.name in schedules:
            raise OnCallError(f"schedules[{schedule.name}]", "appears twice")
        _check_people(schedule, people)
        schedules[schedule.name] = schedule
    policies: dict[str, list[EscalationPolicy]] = {}
    for index, entry in enumerate(raw.get("escalation_policies", [])):
        where = f"escalation_policies[{entry.get('name', index)}]"
        service = entry.get("service")
        if service not in services:
            raise OnCallError(f"{where}.service", f"{service!r} is not a service of the catalog")
        policy = _validated(EscalationPolicy, {k: v for k, v in entry.items() if k != "service"}, where)
        if policy.category is not None and policy.category not in services[service]:
            raise OnCallError(f"{where}.category", f"{policy.category!r} is not a category of {service}")
        for number, step in enumerate(policy.steps):
            _check_target(step.page, f"{where}.steps[{number}].page", people, schedules)
        existing = policies.setdefault(service, [])
        if any(p.category == policy.category for p in existing):
            raise OnCallError(where, f"a second policy for {service} {policy.category or '(default)'}")
        existing.append(policy)
    return OnCallConfig(people=people, schedules=schedules, policies=policies)


def _check_people(schedule: Schedule, people: dict[str, Person]) -> None:
    where = f"schedules[{schedule.name}]"
    for index, layer in enumerate(schedule.layers):
        for person in layer.people:
            if person not in people:
                raise OnCallError(f"{where}.layers[{index}].people", f"unknown person {person!r} (not in people)")
    for index, override in enumerate(schedule.overrides):
        if override.person not in people:
            raise OnCallError(f"{where}.overrides[{index}].person", f"unknown person {override.person!r}")


def _check_target(page: str, where: str, people: dict[str, Person], schedules: dict[str, Schedule]) -> None:
    kind, _, name = page.partition(":")
    if kind in ("schedule", "group") and name not in schedules:
        raise OnCallError(where, f"unknown schedule {name!r} (schedules: {', '.join(schedules) or 'none'})")
    if kind == "person" and name not in people:
        raise OnCallError(where, f"unknown person {name!r}")
