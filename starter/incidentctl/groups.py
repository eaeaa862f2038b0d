"""Who an incident can be handed to: every group the catalog in force or oncall.toml knows.

Functional escalation passes an incident to whichever group has the expertise, so `assign --group`
and `escalate --to` take another service's team too. The workflow's validator can check only its
own service's groups (it cannot read the catalog), so incidentctl checks the name here, before
anything is sent, and tells the workflow where it found it (`known_as`, recorded in the history).
"""

import json
import os
from typing import Any

from domain.names import unknown_name
from starter.incidentctl.commands import EngineerCommand
from starter.incidentctl.inputs import InputRefused
from starter.incidentctl.record import connected
from starter.settings import Settings

SERVICES = "SELECT name, agreement FROM services WHERE NOT coalesce((agreement->>'withdrawn')::boolean, false)"
SCHEDULES = "SELECT name FROM oncall_schedules"


def groups_known(agreements: dict[str, dict[str, Any]], schedules: list[str]) -> dict[str, str]:
    """Each group -> where it is known: "a group of email", or "an on-call schedule of oncall.toml"."""
    services: dict[str, list[str]] = {}
    for service, agreement in sorted(agreements.items()):
        own = [*agreement.get("support_lines", []), agreement.get("owner_group"),
               *(c.get("group") for c in agreement.get("categories", []))]  # fmt: skip
        for group in dict.fromkeys(g for g in own if g):
            services.setdefault(group, []).append(service)
    known = {group: f"a group of {', '.join(names)}" for group, names in services.items()}
    for schedule in schedules:
        known.setdefault(schedule, "an on-call schedule of oncall.toml")
    return dict(sorted(known.items()))


async def vouch_for_groups(command: EngineerCommand, payload: dict[str, Any]) -> None:
    """Refuse a group nobody knows (with the closest match); else add where it is known to `payload`."""
    named = [(o.flags[0], payload[o.field]) for o in command.options if o.group and payload.get(o.field)]
    if not named:
        return
    async with connected(Settings.from_env(os.environ).database_url) as conn:
        agreements = {r["name"]: json.loads(r["agreement"]) for r in await conn.fetch(SERVICES)}
        known = groups_known(agreements, [r["name"] for r in await conn.fetch(SCHEDULES)])
    for flag, group in named:
        if group not in known:
            raise InputRefused(f"{flag}: " + unknown_name("a group the catalog or oncall.toml knows", group, known))
        payload["known_as"] = known[group]
