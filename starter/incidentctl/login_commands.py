"""`incidentctl login | logout | whoami`: signing in to the API with the company's identity provider.

    login     the OAuth 2.0 Device Authorization Grant (RFC 8628), as `gh auth login` does: prints a URL
              and a code, the person signs in there (any browser, any device), incidentctl waits and
              keeps the tokens in its credentials file (0600), refreshing them when they expire
    logout    forgets this API's credentials
    whoami    who the API takes you for: subject, roles, groups

Where to sign in (issuer, client, audience) comes from the API itself (GET /v1/auth/config), so an
engineer's laptop needs only INCIDENT_API_URL.
"""

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starter.incidentctl import credentials
from starter.incidentctl.errors import Refused, Unreachable, why_unreachable

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "openid profile email offline_access"  # offline_access: a refresh token, so no daily sign-in
DEFAULT_INTERVAL = 5  # RFC 8628 3.2: when the answer names no interval
SLOW_DOWN_STEP = 5  # RFC 8628 3.5: each slow_down adds 5 seconds to the interval


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "login",
        parents=[common],
        help="sign in to the incident API with your identity provider (device code)",
        description="Sign in with the identity provider the API names: open the URL shown, enter the code,"
        " and incidentctl keeps the tokens (0600) in $XDG_CONFIG_HOME/incidentctl/credentials.json.",
    )
    sub.add_parser("logout", parents=[common], help="forget this API's stored credentials")
    sub.add_parser("whoami", parents=[common], help="who the API takes you for: subject, roles, groups")


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    api_url = ctx.settings.api_url
    if args.command == "logout":
        forgotten = credentials.forget(ctx.env, api_url)
        print(f"logged out of {api_url}" if forgotten else f"not logged in to {api_url}")
        return 0
    if args.command == "whoami":
        print(json.dumps(_me(ctx, api_url), indent=2))
        return 0
    return login(ctx.env, api_url)


def _me(ctx: "Context", api_url: str) -> Any:
    from starter.incidentctl.api_client import ApiClient

    return ApiClient(api_url, credentials.bearer_token(ctx.env, api_url)).get("/v1/me")


def _get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=credentials.TIMEOUT_SECONDS) as answer:  # noqa: S310
            return json.load(answer)
    except OSError as err:
        raise Unreachable(f"cannot reach {url} ({why_unreachable(err)})") from None
    except ValueError:
        raise Refused(f"{url} did not answer JSON") from None


def login(env: Mapping[str, str], api_url: str) -> int:
    config = _get_json(f"{api_url}/v1/auth/config")
    if not config.get("issuer") or not config.get("client_id"):
        raise Refused(
            f"the API at {api_url} has no sign-in configured: use an API token (INCIDENT_API_TOKEN) an admin made"
            " with `incidentctl token create`"
        )
    issuer, client_id, audience = config["issuer"].rstrip("/"), config["client_id"], config.get("audience") or ""
    discovery = _get_json(f"{issuer}/.well-known/openid-configuration")
    if "device_authorization_endpoint" not in discovery:
        raise Refused(f"the identity provider {issuer} offers no device sign-in (device_authorization_endpoint)")
    fields = {"client_id": client_id, "scope": SCOPE}
    if audience:
        fields["resource"] = audience  # RFC 8707: access tokens for the API
    status, device = _post(discovery["device_authorization_endpoint"], fields)
    if status != 200 or "device_code" not in device:
        raise Refused(f"the identity provider refused to start a sign-in: {_why(device)}")
    print(f"First copy your one-time code: {device['user_code']}")
    print(f"Then open {device['verification_uri']} in a browser and enter it", flush=True)
    if device.get("verification_uri_complete"):
        print(f"  (or open {device['verification_uri_complete']})", flush=True)
    grant = {"grant_type": DEVICE_GRANT, "device_code": device["device_code"], "client_id": client_id}
    if audience:
        grant["resource"] = audience
    tokens = poll(
        lambda: _post(discovery["token_endpoint"], grant),
        interval=float(device.get("interval") or DEFAULT_INTERVAL),
        expires_in=float(device.get("expires_in") or 600),
    )
    entry = credentials.oidc_entry(
        tokens, issuer=issuer, client_id=client_id, token_endpoint=discovery["token_endpoint"], audience=audience
    )
    path = credentials.store(env, api_url, entry)
    print(f"Logged in to {api_url}; credentials kept in {path}", file=sys.stderr)
    if env.get("INCIDENT_API_TOKEN"):
        print("INCIDENT_API_TOKEN is set and wins over this login: unset it to act as yourself", file=sys.stderr)
    return 0


def _post(url: str, fields: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    try:
        return credentials.post_form(url, fields)
    except OSError as err:
        raise Unreachable(f"cannot reach the identity provider at {url} ({why_unreachable(err)})") from None


def _why(answer: Mapping[str, Any]) -> str:
    return str(answer.get("error_description") or answer.get("error") or "no reason given")


def poll(
    ask: Callable[[], tuple[int, dict[str, Any]]],
    *,
    interval: float,
    expires_in: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Asks the token endpoint every `interval` seconds until the person has signed in (RFC 8628 3.4/3.5):
    authorization_pending waits, slow_down waits 5 s longer from then on, access_denied and expired_token
    (or the code's lifetime passing) end it."""
    deadline = clock() + expires_in
    while True:
        sleep(interval)
        status, answer = ask()
        if status == 200 and "access_token" in answer:
            return answer
        error = answer.get("error")
        if error == "authorization_pending":
            pass
        elif error == "slow_down":
            interval += SLOW_DOWN_STEP
        elif error == "access_denied":
            raise Refused("sign-in was denied at the identity provider: nothing was stored")
        elif error == "expired_token":
            raise Refused("the code expired before sign-in finished: run `incidentctl login` again")
        else:
            raise Refused(f"the identity provider refused the sign-in: {_why(answer)}")
        if clock() >= deadline:
            raise Refused("the code expired before sign-in finished: run `incidentctl login` again")
