"""Who an incident can be handed to: every group the catalog in force or oncall.toml knows.

Functional escalation passes an incident to whichever group has the expertise, so `assign --group`
and `escalate --to` take another service's team too. The workflow's validator can check only its
own service's groups (it cannot read the catalog), so incidentctl checks the name here, before
anything is sent, and tells the workflow where it found it (`known_as`, recorded in the history).
"""

import json
from typing import TYPE_CHECKING, Any

from domain.groups import groups_known, own_groups_of_json
from domain.names import unknown_name
from starter.incidentctl.commands import EngineerCommand
from starter.incidentctl.inputs import InputRefused

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


async def vouch_for_groups(ctx: "Context", command: EngineerCommand, payload: dict[str, Any]) -> None:
    """Refuse a group nobody knows (with the closest match); else add where it is known to `payload`."""
    named = [(o.flags[0], payload[o.field]) for o in command.options if o.group and payload.get(o.field)]
    if not named:
        return
    from stores.catalog import agreements_in_force
    from stores.oncall import schedule_names

    async with ctx.database() as conn:
        own = {r["name"]: own_groups_of_json(json.loads(r["agreement"])) for r in await agreements_in_force(conn)}
        known = groups_known(own, await schedule_names(conn))
    for flag, group in named:
        if group not in known:
            raise InputRefused(f"{flag}: " + unknown_name("a group the catalog or oncall.toml knows", group, known))
        payload["known_as"] = known[group]
