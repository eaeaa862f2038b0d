"""Which groups are a service's own, and where a group is known across the catalog.

A service's own groups are its support lines, its owner group and its categories' groups. The
workflow asks it of the agreement it keeps (ServiceAgreement.own_groups); incidentctl asks it of the
agreements in force as the record stores them (ServiceAgreement's JSON), without pydantic, which its
engineer commands do not load. Stdlib only for that reason.
"""

from collections.abc import Iterable, Mapping
from typing import Any

ON_CALL_SCHEDULE = "an on-call schedule of oncall.toml"


def own_groups(support_lines: Iterable[str], owner_group: str, category_groups: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*support_lines, owner_group, *category_groups]))


def own_groups_of_json(agreement: Mapping[str, Any]) -> list[str]:
    """The same, of a ServiceAgreement as JSON."""
    categories = (c.get("group", "") for c in agreement.get("categories", []))
    return own_groups(agreement.get("support_lines", []), agreement.get("owner_group", ""), categories)


def groups_known(own: Mapping[str, list[str]], schedules: Iterable[str]) -> dict[str, str]:
    """Each group -> where it is known: "a group of email", or "an on-call schedule of oncall.toml".
    `own`: each service's own groups."""
    services: dict[str, list[str]] = {}
    for service, groups in sorted(own.items()):
        for group in groups:
            if group:  # a group nobody can name cannot be chosen
                services.setdefault(group, []).append(service)
    known = {group: f"a group of {', '.join(names)}" for group, names in services.items()}
    for schedule in schedules:
        known.setdefault(schedule, ON_CALL_SCHEDULE)
    return dict(sorted(known.items()))
