"""`incidentctl token`: API tokens for automation (release pipelines, scripts), an admin's business.

    token create --name deploy-bot --role publisher [--role ...] [--subject NAME] [--expires 90d|never]
    token list
    token revoke ID

A new token is printed once, on its own line, and kept by the API only as a hash: whoever needs it
must copy it then (`incidentctl token create ... > token` keeps it out of the terminal's scrollback).
Creating and revoking are in the audit log.
"""

import argparse
import json
import sys
from typing import TYPE_CHECKING

from starter.incidentctl import credentials
from starter.incidentctl.errors import Refused

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

ROLES = ("responder", "incident_manager", "auditor", "publisher", "admin")  # domain.roles.Role, without pydantic


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "token",
        parents=[common],
        help="API tokens for automation: create (shown once), list, revoke (admin)",
        description="API tokens for automation. Only their hash is kept: a new token is shown once.",
    )
    what = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = what.add_parser("create", parents=[common], help="a new token, printed once")
    create.add_argument("--name", required=True, help="what it is for, e.g. deploy-bot")
    create.add_argument(
        "--role", dest="roles", action="append", required=True, choices=ROLES, help="a role it holds (repeatable)"
    )
    create.add_argument("--subject", default=None, help="who it acts as in the audit log (default: its name)")
    create.add_argument("--expires", default="90d", help="lifetime, e.g. 30d, 12h, or never (default 90d)")
    what.add_parser("list", parents=[common], help="every token: name, subject, roles, expiry, last use")
    revoke = what.add_parser("revoke", parents=[common], help="revoke a token now (it stays listed)")
    revoke.add_argument("id", type=int)


def _lifetime_seconds(text: str) -> int | None:
    if text.strip().lower() == "never":
        return None
    from domain.durations import parse_duration

    try:
        seconds = int(parse_duration(text).total_seconds())
    except ValueError as err:
        raise Refused(f"--expires: {err}") from None
    if seconds <= 0:
        raise Refused("--expires: a token must live a while (e.g. 90d), or write never")
    return seconds


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    from starter.incidentctl.api_client import ApiClient

    api_url = ctx.settings.api_url
    api = ApiClient(api_url, credentials.bearer_token(ctx.env, api_url))
    if args.token_command == "create":
        body = {
            "name": args.name,
            "roles": sorted(set(args.roles)),
            "subject": args.subject,
            "expires_in_seconds": _lifetime_seconds(args.expires),
        }
        created = api.post("/v1/tokens", json=body)
        expires = created["expires_at"] or "never"
        print(
            f"token {created['id']} {created['name']} acts as {created['subject']} with"
            f" {', '.join(created['roles'])}; expires {expires}. Copy it now: it is not shown again.",
            file=sys.stderr,
        )
        print(created["token"])
        return 0
    if args.token_command == "list":
        print(json.dumps(_every_token(api), indent=2))
        return 0
    revoked = api.delete(f"/v1/tokens/{args.id}")
    print(f"token {revoked['id']} {revoked['name']} revoked")
    return 0


def _every_token(api: object) -> list[dict]:
    tokens: list[dict] = []
    cursor = None
    while True:
        page = api.get("/v1/tokens" + (f"?cursor={cursor}" if cursor else ""))  # type: ignore[attr-defined]
        tokens += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return tokens
