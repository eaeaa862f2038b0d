"""`python -m api.first_admin --person NAME [--expires 1d] [--name first-admin] [--force]`: the first admin's
API token, for an installation without single sign-on (where `incidentctl token create` needs an admin
already). Run it where the API runs, with its INCIDENT_DATABASE_URL:

    docker compose exec api python -m api.first_admin --person alice

The token (roles admin and incident_manager, acting as NAME) is printed once on stdout and nothing else is;
logs go to stderr. Its creation is audited as the API audits `token.create`, never with the token's text.
While an unexpired admin token exists it refuses (unless --force): a second admin comes from the first one,
through the API, so this door does not stay open quietly. Short-lived by default: the first admin makes
their own tokens (or signs in) and lets this one expire.

Exit codes: 0 made, 1 refused, 2 usage, 3 the database cannot be reached.
"""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import asyncpg
import structlog

from api import audit_trail
from domain.durations import parse_duration
from runtime.logs import configure_logging
from runtime.process_exit import exit_now
from runtime.settings import Settings
from stores import api_tokens

log = structlog.get_logger("api.first_admin")

ACTOR = "first-admin bootstrap"
ROLES = ["admin", "incident_manager"]
MAX_LIFETIME = timedelta(days=800)  # as the API allows (api.routes.identity.MAX_TOKEN_LIFETIME)
CONNECT_SECONDS = 10.0


class Refused(Exception):
    """One line for the person at the terminal; exit 1."""


class Unreachable(Exception):
    """One line naming where the database was looked for (never its password); exit 3."""


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m api.first_admin",
        description="Make the first admin's API token (printed once on stdout), where the API runs.",
    )
    parser.add_argument("--person", required=True, help="who the token acts as, as oncall.toml names them")
    parser.add_argument("--expires", default="1d", help="lifetime, e.g. 1d, 12h (default 1d)")
    parser.add_argument("--name", default="first-admin", help="the token's name in `incidentctl token list`")
    parser.add_argument("--force", action="store_true", help="make one even though an admin token is in force")
    args = parser.parse_args(argv)
    try:
        args.lifetime = parse_duration(args.expires)
    except ValueError as err:
        parser.error(f"--expires: {err}")
    if not timedelta(0) < args.lifetime <= MAX_LIFETIME:
        parser.error(f"--expires: between a second and {MAX_LIFETIME.days} days")
    if not args.person.strip() or not args.name.strip():
        parser.error("--person and --name must not be empty")
    return args


def database_location(url: str) -> str:
    """host:port/database of a PostgreSQL URL: what an error may say (the user and password stay out)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    try:
        port = parts.port or int((query.get("port") or ["5432"])[0])
    except ValueError:
        port = "?"
    return f"{host}:{port}{parts.path or ''}"


async def _connect(url: str) -> asyncpg.Connection:
    where = database_location(url)
    try:
        return await asyncpg.connect(url, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as err:
        why = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__  # the OS's words hold no URL
        raise Unreachable(f"cannot reach the database at {where} ({why})") from None
    except asyncpg.PostgresError as err:  # a wrong password, an unknown role or database: its own words
        raise Unreachable(f"the database at {where} refused the connection: {err}") from None


def _admin_in_force(tokens: list[api_tokens.ApiToken], now: datetime) -> api_tokens.ApiToken | None:
    for token in tokens:
        if "admin" in token.roles and token.revoked_at is None and (token.expires_at is None or token.expires_at > now):
            return token
    return None


async def make_first_admin(database_url: str, args: argparse.Namespace, os_user: str) -> str:
    """The new token's text, once it and its audit entry are committed."""
    conn = await _connect(database_url)
    try:
        async with conn.transaction():
            existing = _admin_in_force(await api_tokens.every_one(conn), datetime.now(UTC))
            if existing is not None and not args.force:
                expires = existing.expires_at.isoformat() if existing.expires_at else "never"
                raise Refused(
                    f"an admin API token is already in force (token {existing.id} {existing.name!r} acting as"
                    f" {existing.subject}, expires {expires}): that admin makes tokens with `incidentctl token"
                    " create`; --force makes another anyway"
                )
            token, text = await api_tokens.create(
                conn,
                name=args.name,
                subject=args.person,
                roles=ROLES,
                created_by=ACTOR,
                expires_at=datetime.now(UTC) + args.lifetime,
            )
            after = {
                "name": token.name,
                "subject": token.subject,
                "roles": list(token.roles),
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                "revoked_at": None,
                "os_user": os_user,
                "forced": bool(existing),
            }
            await audit_trail.record(
                conn, actor=ACTOR, by=None, action="token.create", target=f"token:{token.id}", before=None, after=after
            )
    except asyncpg.UndefinedTableError:
        raise Unreachable(
            f"the database at {database_location(database_url)} has no api_tokens table yet:"
            " start the worker once (it applies migrations/)"
        ) from None
    finally:
        await conn.close()
    log.info("first admin token made", token_id=token.id, subject=token.subject, expires_at=after["expires_at"])
    return text


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container's user without a passwd entry
        return str(os.getuid())


def main(argv: Sequence[str] | None = None) -> None:
    try:
        args = _arguments(sys.argv[1:] if argv is None else argv)
    except SystemExit as usage:  # argparse has said why on stderr
        exit_now(2 if usage.code else 0)
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level)
    try:
        text = asyncio.run(make_first_admin(settings.database_url, args, _os_user()))
    except Refused as refusal:
        print(f"first-admin: refused: {refusal}", file=sys.stderr)
        exit_now(1)
    except Unreachable as err:
        print(f"first-admin: {err}", file=sys.stderr)
        exit_now(3)
    print(text)
    exit_now(0)


if __name__ == "__main__":
    main()
