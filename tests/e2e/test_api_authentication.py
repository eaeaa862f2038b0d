"""Who you are, verified on every request: the API against a real OpenID provider (panva's certified
oidc-provider on loopback) and its API tokens, attacked as the issue lists, and incidentctl's device
login end to end, the test playing the person at the provider's pages."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from localstack.temporal import free_port
from runtime.settings import PROJECT_ROOT
from stores import api_tokens
from tests.api_identities import issue_token
from tests.e2e.cli import Cli
from tests.e2e.identity_support import (
    OpenIdProvider,
    claims_of,
    forged_hmac_with_public_key,
    forged_none,
    forged_with_own_key,
    provider_missing,
    sign_in_at_device_page,
)

AUDIENCE = "https://incident-api.test/v1"
ROLE_MAP = "sre-leads=incident_manager,audit=auditor"


class OidcApi:
    def __init__(self, url: str, log: Path, provider: OpenIdProvider) -> None:
        self.url, self.log, self.provider = url, log, provider


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    if provider_missing():
        pytest.skip(provider_missing())
    started = OpenIdProvider(AUDIENCE, tmp_path_factory.mktemp("oidc") / "provider.log")
    yield started
    started.stop()


@pytest.fixture(scope="module")
async def oidc_api(
    provider: OpenIdProvider,
    dev_server: str,
    dev_worker: str,
    postgres_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[OidcApi]:
    """`python -m api` trusting the provider, its log captured to a file (read for leaked tokens)."""
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "api.log"
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server, "INCIDENT_TASK_QUEUE": dev_worker,
           "INCIDENT_DATABASE_URL": postgres_url, "INCIDENT_API_PORT": str(port), "INCIDENT_LOG_LEVEL": "debug",
           "INCIDENT_OIDC_ISSUER": provider.issuer, "INCIDENT_OIDC_AUDIENCE": AUDIENCE,
           "INCIDENT_OIDC_CLIENT_ID": "incidentctl", "INCIDENT_OIDC_ROLE_MAP": ROLE_MAP}  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "api"], env=env, cwd=PROJECT_ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                break
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.05)
    yield OidcApi(url, log, provider)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=35)


async def _call(url: str, method: str, path: str, token: str | None, body: dict | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http, http.request(method, url + path, headers=headers, json=body) as answer:
        return answer.status, await answer.text()


async def test_every_missing_forged_expired_foreign_or_revoked_token_gets_401_changes_nothing_and_leaks_nothing(
    oidc_api: OidcApi, cli: Cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    provider = oidc_api.provider
    number = (await cli.ok_json("open", "--service", "checkout", "--summary", "attacked", "--impact", "3"))["number"]
    genuine = provider.machine_token(AUDIENCE)  # the provider's own, for this API: accepted
    status, body = await _call(oidc_api.url, "GET", "/v1/me", genuine)
    assert status == 200 and json.loads(body)["subject"] == "robot" and json.loads(body)["via"] == "oidc"

    other_issuer = OpenIdProvider(AUDIENCE, tmp_path / "other.log")  # a real provider, not the one trusted
    try:
        from_other_issuer = other_issuer.machine_token(AUDIENCE)
    finally:
        other_issuer.stop()
    revoked = await issue_token(pool, "dana", ["incident_manager"], name="revoked")
    row = await api_tokens.in_force(pool, revoked)
    assert row is not None and await api_tokens.revoke(pool, row.id, "tests")
    attacks = {
        "expired (issued two hours ago by the provider)": provider.machine_token(AUDIENCE, "time-traveller"),
        "for another audience": provider.machine_token("https://another-api.test/v1"),
        "from another issuer": from_other_issuer,
        "alg none": forged_none(genuine),
        "signed by another key": forged_with_own_key(genuine),
        "HS256 keyed with the issuer's public key": forged_hmac_with_public_key(
            genuine, provider.discovery["jwks_uri"]
        ),
        "a revoked API token": revoked,
        "an expired API token": await issue_token(
            pool, "dana", ["incident_manager"], expires_at=datetime.now(UTC) - timedelta(seconds=1)
        ),
        "an API token nobody made": "inc_" + "A" * 43,
        "not a token at all": "garbage",
    }
    answers = []
    for attack, token in attacks.items():
        for method, path in (("GET", "/v1/me"), ("POST", f"/v1/incidents/{number}/actions/ack")):
            status, body = await _call(oidc_api.url, method, path, token, {} if method == "POST" else None)
            assert status == 401, (attack, path, status, body)
            assert json.loads(body)["detail"].startswith("the token is not valid"), (attack, body)
            answers.append(body)
    status, body = await _call(oidc_api.url, "POST", f"/v1/incidents/{number}/actions/ack", None, {})
    assert status == 401 and "incidentctl login" in json.loads(body)["detail"]
    status, body = await _call(oidc_api.url, "POST", f"/v1/incidents/{number}/actions/ack", "", {})
    assert status == 401

    shown = await cli.ok_json("show", number)
    assert shown["state"] != "in_progress" and shown["acknowledged_at"] is None  # nobody acknowledged it
    assert await pool.fetchval("SELECT count(*) FROM incident_events WHERE number = $1 AND action = 'ack'", number) == 0
    logged = oidc_api.log.read_text()
    assert "access token refused" in logged  # the refusals were logged, by why, never by the token
    for token in [*attacks.values(), genuine]:
        secret_part = token.split(".")[-1] or token.split(".")[1]
        assert token not in logged and secret_part not in logged
        assert not any(token in answer for answer in answers)


async def test_an_unknown_key_id_does_not_make_the_api_hammer_the_issuer(oidc_api: OidcApi) -> None:
    genuine = oidc_api.provider.machine_token(AUDIENCE)
    before = oidc_api.log.read_text().count("issuer keys fetched")
    for _ in range(20):
        forged = forged_with_own_key(genuine).split(".")
        header = json.loads(_unb64(forged[0]))
        header["kid"] = f"unknown-{_}"
        status, _body = await _call(oidc_api.url, "GET", "/v1/me", ".".join([_b64(json.dumps(header)), *forged[1:]]))
        assert status == 401
    assert oidc_api.log.read_text().count("issuer keys fetched") - before <= 1


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unb64(text: str) -> str:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


async def _login(oidc_api: OidcApi, env: dict[str, str], login: str) -> tuple[int, str, str]:
    """incidentctl login as typed; the test reads the URL and code it prints and signs in there as `login`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter.incidentctl", "login", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    printed: list[str] = []
    code = url = None
    while code is None or url is None:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        assert line, f"login ended before printing a code: {printed} {(await process.stderr.read()).decode()}"
        printed.append(line)
        if "one-time code:" in line:
            code = line.rsplit(":", 1)[1].strip()
        if line.startswith("Then open "):
            url = line.split()[2]
    assert url.startswith(oidc_api.provider.issuer)
    page = await sign_in_at_device_page(url, code, login, "any password")
    assert "Sign-in Success" in page, page
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0, "".join(printed) + out.decode(), err.decode()


async def test_device_login_as_typed_then_whoami_and_ack_with_the_stored_token_refreshed_when_it_expires(
    oidc_api: OidcApi, cli: Cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    ours = (await cli.ok_json("open", "--service", "checkout", "--summary", "dana's group", "--impact", "3"))["number"]
    theirs = (await cli.ok_json("open", "--service", "payroll", "--summary", "not dana's", "--impact", "3"))["number"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENT_", "TEMPORAL_"))}
    env.update(INCIDENT_API_URL=oidc_api.url, XDG_CONFIG_HOME=str(tmp_path / "config"))
    code, out, err = await _login(oidc_api, env, "dana")
    assert code == 0, (out, err)
    kept = tmp_path / "config" / "incidentctl" / "credentials.json"
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.parent.stat().st_mode & 0o777 == 0o700
    entry = json.loads(kept.read_text())[oidc_api.url]
    assert entry["kind"] == "oidc" and claims_of(entry["access_token"])["aud"] == AUDIENCE

    laptop = Cli(oidc_api.url, "")
    laptop.env = env  # nothing but the API's URL and the stored login
    me = await laptop.ok_json("whoami")
    assert me["subject"] == "dana" and me["roles"] == ["responder"] and "checkout-oncall" in me["groups"]
    assert (await laptop("ack", ours)).code == 0
    actor = await pool.fetchval("SELECT actor FROM incident_events WHERE number = $1 AND action = 'ack'", ours)
    assert actor == "dana"  # the verified subject, not a claim of the client
    refused = await laptop("ack", theirs)
    assert refused.code == 1 and "act_on_any_incident" in refused.err, refused
    assert await pool.fetchval("SELECT count(*) FROM incident_events WHERE number = $1 AND action = 'ack'", theirs) == 0

    # time passes: the access token has expired; the next command refreshes it with the refresh token
    stored = json.loads(kept.read_text())
    stored[oidc_api.url]["expires_at"] = time.time() - 1
    kept.write_text(json.dumps(stored))
    assert (await laptop.ok_json("whoami"))["subject"] == "dana"
    fresh = json.loads(kept.read_text())[oidc_api.url]
    assert fresh["access_token"] != entry["access_token"] and fresh["refresh_token"] != entry["refresh_token"]
    assert fresh["expires_at"] > time.time() and kept.stat().st_mode & 0o777 == 0o600

    assert (await laptop("logout")).code == 0
    after = await laptop("whoami")
    assert after.code == 1 and "incidentctl login" in after.err


async def test_an_identity_providers_group_gives_its_mapped_role(oidc_api: OidcApi, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENT_", "TEMPORAL_"))}
    env.update(INCIDENT_API_URL=oidc_api.url, XDG_CONFIG_HOME=str(tmp_path / "config"))
    code, out, err = await _login(oidc_api, env, "hana")  # IdP group "audit" -> auditor
    assert code == 0, (out, err)
    laptop = Cli(oidc_api.url, "")
    laptop.env = env
    me = await laptop.ok_json("whoami")
    assert me["subject"] == "hana" and set(me["roles"]) == {"responder", "auditor"}
