"""Who an incident can be handed to: every group the catalog in force or oncall.toml knows.

Functional escalation passes an incident to whichever group has the expertise, so `assign --group`
and `escalate --to` take another service's team too. The workflow's validator can check only its
own service's groups (it cannot read the catalog), so incidentctl checks the name here, before
anything is sent, and tells the workflow where it found it (`known_as`, recorded in the history).
"""

import json
import os
from typing import Any

from domain.groups import groups_known, own_groups_of_json
from domain.names import unknown_name
from starter.incidentctl.commands import EngineerCommand
from starter.incidentctl.inputs import InputRefused
from starter.incidentctl.record import connected
from starter.settings import Settings

SERVICES = "SELECT name, agreement FROM services WHERE NOT coalesce((agreement->>'withdrawn')::boolean, false)"
SCHEDULES = "SELECT name FROM oncall_schedules"


async def vouch_for_groups(command: EngineerCommand, payload: dict[str, Any]) -> None:
    """Refuse a group nobody knows (with the closest match); else add where it is known to `payload`."""
    named = [(o.flags[0], payload[o.field]) for o in command.options if o.group and payload.get(o.field)]
    if not named:
        return
    async with connected(Settings.from_env(os.environ).database_url) as conn:
        own = {r["name"]: own_groups_of_json(json.loads(r["agreement"])) for r in await conn.fetch(SERVICES)}
        known = groups_known(own, [r["name"] for r in await conn.fetch(SCHEDULES)])
    for flag, group in named:
        if group not in known:
            raise InputRefused(f"{flag}: " + unknown_name("a group the catalog or oncall.toml knows", group, known))
        payload["known_as"] = known[group]
