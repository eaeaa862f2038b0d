"""Who may do what: the roles a person or a token holds and the rights each role grants. Pure.

A role is what oncall.toml, an identity provider's groups or an API token gives someone; a right is
what one request needs. Routes ask for rights, never for roles, so a role can change what it grants
here without touching any route.
"""

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    RESPONDER = "responder"  # acts on incidents of their own support groups, or assigned to them
    INCIDENT_MANAGER = "incident_manager"  # acts on any incident, and on someone's behalf
    AUDITOR = "auditor"  # reads everything, the audit log too; changes nothing
    PUBLISHER = "publisher"  # change events and known errors (release pipelines)
    ADMIN = "admin"  # catalog, on call, tokens: every right


class Right(StrEnum):
    READ = "read"
    ACT_ON_GROUP_INCIDENTS = "act_on_group_incidents"
    ACT_ON_ANY_INCIDENT = "act_on_any_incident"
    ACT_ON_BEHALF = "act_on_behalf"
    PUBLISH = "publish"
    CONFIGURE = "configure"
    MANAGE_TOKENS = "manage_tokens"
    READ_AUDIT = "read_audit"


DEFAULT_ROLES = frozenset({Role.RESPONDER})  # a person oncall.toml gives no roles

RIGHTS: dict[Role, frozenset[Right]] = {
    Role.RESPONDER: frozenset({Right.READ, Right.ACT_ON_GROUP_INCIDENTS}),
    Role.INCIDENT_MANAGER: frozenset(
        {Right.READ, Right.ACT_ON_GROUP_INCIDENTS, Right.ACT_ON_ANY_INCIDENT, Right.ACT_ON_BEHALF}
    ),
    Role.AUDITOR: frozenset({Right.READ, Right.READ_AUDIT}),
    Role.PUBLISHER: frozenset({Right.READ, Right.PUBLISH}),
    Role.ADMIN: frozenset(Right),
}


def rights_of(roles: Iterable[Role]) -> frozenset[Right]:
    return frozenset().union(*(RIGHTS[role] for role in roles))


def has_right(roles: Iterable[Role], right: Right) -> bool:
    return right in rights_of(roles)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Role names as written in oncall.toml or on the command line; an unknown one is refused, naming the known."""
    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip()))
        except ValueError:
            raise ValueError(f"unknown role {name!r} (roles: {', '.join(Role)})") from None
    return frozenset(roles)


def parse_role_map(text: str) -> dict[str, frozenset[Role]]:
    """settings.oidc_role_map, "sre-leads=incident_manager,audit=auditor,ops=admin+incident_manager":
    the identity provider's group -> the roles it gives (a group may appear twice: the roles add up)."""
    mapping: dict[str, frozenset[Role]] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        group, sep, names = entry.partition("=")
        if not sep or not group.strip() or not names.strip():
            raise ValueError(f"role map entry {entry!r}: write GROUP=ROLE (roles: {', '.join(Role)})")
        roles = parse_roles(names.split("+"))
        mapping[group.strip()] = mapping.get(group.strip(), frozenset()) | roles
    return mapping


def roles_from_groups(groups: Iterable[str], role_map: dict[str, frozenset[Role]]) -> frozenset[Role]:
    return frozenset().union(*(role_map.get(group, frozenset()) for group in groups))
