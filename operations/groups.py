"""Who an incident can be handed to: every group the catalog in force or oncall.toml knows.

Functional escalation passes an incident to whichever group has the expertise, so `assign --group`
and `escalate --to` take another service's team too. The workflow's validator can check only its
own service's groups (it cannot read the catalog), so the name is checked here, before anything is
sent, and the workflow is told where it was found (`known_as`, recorded in the history).
"""

import json
from typing import Any

from domain.groups import groups_known, own_groups_of_json
from domain.names import unknown_name
from operations.outcomes import UnknownName
from stores.catalog import agreements_in_force
from stores.oncall import schedule_names


async def where_known(conn: Any, named: list[tuple[str, str]]) -> str:
    """`named`: (how the caller names the field, e.g. "--to"; the group). Where the groups are known
    (the last one's), or UnknownName for the first nobody knows, with the closest match."""
    own = {r["name"]: own_groups_of_json(json.loads(r["agreement"])) for r in await agreements_in_force(conn)}
    known = groups_known(own, await schedule_names(conn))
    found = ""
    for label, group in named:
        if group not in known:
            raise UnknownName(f"{label}: " + unknown_name("a group the catalog or oncall.toml knows", group, known))
        found = known[group]
    return found
