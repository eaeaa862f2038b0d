"""Where incidentctl finds its bearer token for the API, and keeps the ones `login` and `make run` give it.

INCIDENT_API_TOKEN wins (a script, a pipeline). Otherwise the credentials file,
$XDG_CONFIG_HOME/incidentctl/credentials.json (~/.config/... without it), readable by its owner only
(0600, in a 0700 directory), holds one entry per API URL: an API token (`make run`'s local admin), or
the OpenID Connect tokens of `incidentctl login`, whose access token is refreshed with the refresh
token when it has expired or is about to. Standard library only: every command pays for this import.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REFRESH_AHEAD_SECONDS = 30  # refresh an access token this close to its expiry: it must last the request
TIMEOUT_SECONDS = 10


def credentials_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "incidentctl" / "credentials.json"


def _key(api_url: str) -> str:
    return api_url.rstrip("/")


def load(env: Mapping[str, str]) -> dict[str, Any]:
    try:
        stored = json.loads(credentials_path(env).read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _write(env: Mapping[str, str], stored: dict[str, Any]) -> Path:
    """Atomically, created 0600 (never world-readable, not even for an instant)."""
    path = credentials_path(env)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(stored, out, indent=2, sort_keys=True)
    os.chmod(temporary, 0o600)  # whatever the umask did
    os.replace(temporary, path)
    return path


def store(env: Mapping[str, str], api_url: str, entry: dict[str, Any]) -> Path:
    """Keeps `entry` as the credentials for `api_url` (others' entries untouched); the file's path."""
    stored = load(env)
    stored[_key(api_url)] = entry
    return _write(env, stored)


def forget(env: Mapping[str, str], api_url: str) -> bool:
    """Drops the credentials for `api_url`; whether there were any."""
    stored = load(env)
    if stored.pop(_key(api_url), None) is None:
        return False
    _write(env, stored)
    return True


def api_token_entry(token: str) -> dict[str, Any]:
    return {"kind": "api_token", "token": token}


def oidc_entry(tokens: Mapping[str, Any], *, issuer: str, client_id: str, token_endpoint: str, audience: str,
               previous_refresh_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    """What a token endpoint answered, kept with what refreshing it needs (expiry as epoch seconds)."""
    return {
        "kind": "oidc",
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token") or previous_refresh_token,
        "expires_at": time.time() + float(tokens.get("expires_in", 0)),
        "issuer": issuer,
        "client_id": client_id,
        "token_endpoint": token_endpoint,
        "audience": audience,
    }


def post_form(url: str, fields: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """An OAuth 2.0 endpoint's status and JSON answer (errors answer JSON too: RFC 6749 5.2)."""
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), headers={"Accept": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (the issuer's)
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.load(err)
        except ValueError:
            return err.code, {"error": "server_error", "error_description": f"HTTP {err.code}"}


def refreshed(env: Mapping[str, str], api_url: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """A new access token from the refresh token, stored; None when the issuer will not give one."""
    if not entry.get("refresh_token"):
        return None
    fields = {"grant_type": "refresh_token", "refresh_token": entry["refresh_token"], "client_id": entry["client_id"]}
    if entry.get("audience"):
        fields["resource"] = entry["audience"]  # RFC 8707: an access token for the API, not for userinfo
    try:
        status, answer = post_form(entry["token_endpoint"], fields)
    except (OSError, ValueError):
        return None
    if status != 200 or "access_token" not in answer:
        return None
    fresh = oidc_entry(
        answer,
        issuer=entry["issuer"],
        client_id=entry["client_id"],
        token_endpoint=entry["token_endpoint"],
        audience=entry.get("audience", ""),
        previous_refresh_token=entry["refresh_token"],
    )
    store(env, api_url, fresh)
    return fresh


def bearer_token(env: Mapping[str, str], api_url: str) -> str | None:
    """The token to send to the API at `api_url`, or None: not logged in."""
    if env.get("INCIDENT_API_TOKEN"):
        return env["INCIDENT_API_TOKEN"]
    entry = load(env).get(_key(api_url))
    if not isinstance(entry, dict):
        return None
    if entry.get("kind") == "api_token":
        return entry.get("token")
    if entry.get("kind") == "oidc":
        if float(entry.get("expires_at", 0)) - REFRESH_AHEAD_SECONDS <= time.time():
            entry = refreshed(env, api_url, entry) or entry  # not refreshed: the API says to log in again
        return entry.get("access_token")
    return None
