"""`make run` stays zero-setup: the person running it gets a local admin API token, kept where incidentctl
looks (the credentials file, for the local API's URL), so the README's walk-through needs no login.

A token kept from an earlier `make run` that this database still honours is reused; otherwise a new one is
made (subject $USER, roles admin and incident_manager, never expiring: it exists only in this machine's
database). Nothing is provisioned when INCIDENT_API_TOKEN is set: whoever set it chose their identity.
"""

import getpass
from collections.abc import Mapping
from pathlib import Path

import asyncpg

from api import audit_trail
from starter.incidentctl import credentials
from stores import api_tokens

LOCAL_ROLES = ["admin", "incident_manager"]


def local_person(env: Mapping[str, str]) -> str:
    return env.get("INCIDENT_USER") or env.get("USER") or getpass.getuser()


async def provision_local_admin(database_url: str, env: Mapping[str, str], api_url: str) -> tuple[str, Path] | None:
    """(who, the credentials file) once the local admin can call the API at `api_url`; None when not needed."""
    if env.get("INCIDENT_API_TOKEN"):
        return None
    person = local_person(env)
    kept = credentials.load(env).get(api_url.rstrip("/"))
    conn = await asyncpg.connect(database_url)
    try:
        if isinstance(kept, dict) and kept.get("kind") == "api_token":
            found = await api_tokens.in_force(conn, kept.get("token", ""))
            if found is not None and found.subject == person:
                return person, credentials.credentials_path(env)
        if isinstance(kept, dict) and kept.get("kind") == "oidc":
            return person, credentials.credentials_path(env)  # they logged in: their choice stands
        async with conn.transaction():
            made, token = await api_tokens.create(
                conn, name=f"make-run-{person}", subject=person, roles=LOCAL_ROLES, created_by=person, expires_at=None
            )
            after = {"name": made.name, "subject": person, "roles": LOCAL_ROLES, "expires_at": None}
            await audit_trail.record(
                conn, actor=person, by=None, action="token.create", target=f"token:{made.id}", before=None, after=after
            )
    finally:
        await conn.close()
    return person, credentials.store(env, api_url, credentials.api_token_entry(token))
