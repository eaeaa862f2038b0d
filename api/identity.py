"""Who is asking, verified on every request, and what they may do.

Two ways in, both a bearer token: an API token (`inc_...`, looked up by its SHA-256 in
stores.api_tokens) or an OpenID Connect access token from the configured issuer (a JWT, verified by
api.oidc against the issuer's keys). Either way the principal's support groups come from oncall.toml;
a person's roles from oncall.toml and from the identity provider's groups (settings.oidc_role_map),
an API token's roles from the token. A refusal never echoes the token, and nothing here logs one.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import forbidden, unauthorized
from domain.roles import DEFAULT_ROLES, Right, Role, has_right, parse_role_map, parse_roles, roles_from_groups
from stores import api_tokens, identities

if TYPE_CHECKING:
    from api.oidc import OidcVerifier
    from runtime.settings import Settings

NOT_LOGGED_IN = "not logged in: run `incidentctl login` (or set INCIDENT_API_TOKEN)"
NOT_VALID = "the token is not valid (expired, revoked or not for this API): run `incidentctl login` again"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    groups: frozenset[str]  # the support groups oncall.toml has them in
    via: str  # "api_token:<id>" or "oidc"

    def may(self, right: Right) -> bool:
        return has_right(self.roles, right)


class Authenticator:
    """Turns a bearer token into a Principal, or None when it proves nothing."""

    def __init__(self, pool: asyncpg.Pool, oidc: "OidcVerifier | None", role_map: dict[str, frozenset[Role]]):
        self.pool, self.oidc, self.role_map = pool, oidc, role_map

    @classmethod
    def from_settings(cls, settings: "Settings", pool: asyncpg.Pool) -> "Authenticator":
        from api.oidc import OidcVerifier

        oidc = OidcVerifier.from_settings(settings) if settings.oidc_issuer else None
        return cls(pool, oidc, parse_role_map(settings.oidc_role_map))

    async def principal(self, token: str) -> Principal | None:
        if api_tokens.looks_like_api_token(token):
            held = await identities.api_token_holder(self.pool, token)
            if held is None:
                return None
            found, groups = held
            return Principal(found.subject, parse_roles(found.roles), frozenset(groups), f"api_token:{found.id}")
        if self.oidc is None:
            return None
        identity = await self.oidc.verify(token)
        if identity is None:
            return None
        listed, groups = await identities.roles_and_groups(self.pool, identity.subject)
        roles = roles_from_groups(identity.groups, self.role_map)
        if listed is not None:  # a person of oncall.toml: their roles there (responder when none written)
            roles |= parse_roles(listed) if listed else DEFAULT_ROLES
        return Principal(identity.subject, roles, frozenset(groups), "oidc")


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# Declares the scheme in the OpenAPI document, on every operation that depends on `authenticated`;
# auto_error=False: a request without a token gets this API's own 401 problem, not FastAPI's.
BEARER_SCHEME = HTTPBearer(
    scheme_name="bearer",
    description="an API token (inc_..., from first_admin or POST /v1/tokens) or an access token of the"
    " configured OpenID Connect issuer (`incidentctl login`)",
    auto_error=False,
)


async def authenticated(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Depends(BEARER_SCHEME)
) -> Principal:
    """FastAPI dependency: the verified principal of the request, or 401."""
    token = bearer(request)
    if token is None:
        raise unauthorized(NOT_LOGGED_IN)
    authenticator: Authenticator = request.app.state.deps.authenticator
    principal = await authenticator.principal(token)
    if principal is None:
        raise unauthorized(NOT_VALID)
    request.state.principal = principal  # for the access log: who, never the token
    return principal


def require(principal: Principal, right: Right) -> None:
    if not principal.may(right):
        raise forbidden(right, f"{principal.subject} may not do this: it needs the right {right}")


def require_to_act_on(principal: Principal, incident: dict[str, Any]) -> None:
    """An incident manager acts on any incident; a responder on those of their groups or assigned to them."""
    if principal.may(Right.ACT_ON_ANY_INCIDENT):
        return
    require(principal, Right.ACT_ON_GROUP_INCIDENTS)
    group, assignee = incident.get("group"), incident.get("assignee")
    if (group and group in principal.groups) or (assignee and assignee == principal.subject):
        return
    number = incident.get("number") or incident.get("id") or "this incident"
    raise forbidden(
        Right.ACT_ON_ANY_INCIDENT,
        f"{principal.subject} may not act on {number}: it is {group or 'no group'}'s and not assigned to them"
        f" (needs the right {Right.ACT_ON_ANY_INCIDENT})",
    )


def acting_as(principal: Principal, as_name: str | None) -> tuple[str, str | None]:
    """(actor, by): the principal itself, or with --as the person named, recording who acted for them."""
    if as_name is None or as_name == principal.subject:
        return principal.subject, None
    require(principal, Right.ACT_ON_BEHALF)
    return as_name, principal.subject
