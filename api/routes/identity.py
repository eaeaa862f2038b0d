"""Who you are and the API tokens of automation.

    GET    /v1/auth/config   where to sign in (unauthenticated: incidentctl login starts here)
    GET    /v1/me            who the API takes you for: subject, roles, rights, groups
    POST   /v1/tokens        a new API token, shown once (manage_tokens)
    GET    /v1/tokens        every token, never its text (manage_tokens)
    DELETE /v1/tokens/{id}   revoke one (manage_tokens)

Creating and revoking a token are audited (api.audit_trail), with the token's name, subject, roles and
expiry: never its text, nor its hash.
"""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api import audit_trail
from api.identity import Principal, authenticated, require
from api.inputs import RowId
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, next_cursor, offset_of
from api.problems import bad_request, not_found
from domain.roles import Right, Role, rights_of
from stores import api_tokens

router = APIRouter(prefix="/v1", tags=["identity"])

MAX_TOKEN_LIFETIME = timedelta(days=800)  # automation's credentials get renewed at least every two years


class AuthConfig(BaseModel):
    """Where `incidentctl login` signs in; all null when the API accepts API tokens only."""

    issuer: str | None
    client_id: str | None
    audience: str | None


class Me(BaseModel):
    subject: str
    roles: list[str]
    rights: list[str]
    groups: list[str]
    via: str


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    roles: list[Role] = Field(min_length=1)
    subject: str | None = Field(default=None, min_length=1, max_length=100)  # who it acts as; default: name
    expires_in_seconds: int | None = Field(  # None: never; checked in the route, to say it in days
        default=None, gt=0, json_schema_extra={"maximum": int(MAX_TOKEN_LIFETIME.total_seconds())}
    )


class TokenView(BaseModel):
    id: int
    name: str
    subject: str
    roles: list[str]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None


class NewToken(TokenView):
    token: str  # shown this once: only its hash is kept


class TokenPage(BaseModel):
    items: list[TokenView]
    next_cursor: str | None


def _view(token: api_tokens.ApiToken) -> dict:
    return {**token.__dict__, "roles": list(token.roles)}


def _audited(token: api_tokens.ApiToken) -> dict:
    expires = token.expires_at.isoformat() if token.expires_at else None
    revoked = token.revoked_at.isoformat() if token.revoked_at else None
    return {
        "name": token.name,
        "subject": token.subject,
        "roles": list(token.roles),
        "expires_at": expires,
        "revoked_at": revoked,
    }


@router.get("/auth/config", response_model=AuthConfig)
async def auth_config(request: Request) -> AuthConfig:
    settings = request.app.state.deps.settings
    if not settings.oidc_issuer:
        return AuthConfig(issuer=None, client_id=None, audience=None)
    return AuthConfig(
        issuer=settings.oidc_issuer, client_id=settings.oidc_client_id or None, audience=settings.oidc_audience
    )


@router.get("/me", response_model=Me)
async def me(who: Principal = Depends(authenticated)) -> Me:
    return Me(
        subject=who.subject,
        roles=sorted(who.roles),
        rights=sorted(rights_of(who.roles)),
        groups=sorted(who.groups),
        via="oidc" if who.via == "oidc" else "api_token",
    )


@router.post("/tokens", response_model=NewToken, status_code=201)
async def create_token(request: Request, body: TokenRequest, who: Principal = Depends(authenticated)) -> dict:
    require(who, Right.MANAGE_TOKENS)
    if body.expires_in_seconds and body.expires_in_seconds > MAX_TOKEN_LIFETIME.total_seconds():
        raise bad_request(f"body.expires_in_seconds: at most {MAX_TOKEN_LIFETIME.days} days")
    lifetime = timedelta(seconds=body.expires_in_seconds) if body.expires_in_seconds else None
    pool = request.app.state.deps.pool
    async with pool.acquire() as conn, conn.transaction():  # the token exists only with its audit entry
        token, text = await api_tokens.create(
            conn,
            name=body.name,
            subject=body.subject or body.name,
            roles=sorted(body.roles),
            created_by=who.subject,
            expires_at=datetime.now(UTC) + lifetime if lifetime else None,
        )
        await audit_trail.record(
            conn,
            actor=who.subject,
            by=None,
            action="token.create",
            target=f"token:{token.id}",
            before=None,
            after=_audited(token),
        )
    return {**_view(token), "token": text}


@router.get("/tokens", response_model=TokenPage)
async def list_tokens(
    request: Request,
    who: Principal = Depends(authenticated),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict:
    require(who, Right.MANAGE_TOKENS)
    every = await api_tokens.every_one(request.app.state.deps.pool)
    start = offset_of(cursor)
    page = every[start : start + limit]
    return {"items": [_view(t) for t in page], "next_cursor": next_cursor(start, len(page), len(every))}


@router.delete("/tokens/{token_id}", response_model=TokenView)
async def revoke_token(request: Request, token_id: RowId, who: Principal = Depends(authenticated)) -> dict:
    require(who, Right.MANAGE_TOKENS)
    pool = request.app.state.deps.pool
    async with pool.acquire() as conn, conn.transaction():
        before = await api_tokens.fetch(conn, token_id)
        revoked = await api_tokens.revoke(conn, token_id, who.subject)
        if before is None or revoked is None:
            raise not_found(f"no token {token_id} in force (incidentctl token list shows them)")
        await audit_trail.record(
            conn,
            actor=who.subject,
            by=None,
            action="token.revoke",
            target=f"token:{token_id}",
            before=_audited(before),
            after=_audited(revoked),
        )
    return _view(revoked)
