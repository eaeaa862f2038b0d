"""The tests' identity provider and what an attacker or a person does with it.

`OpenIdProvider` runs panva's certified oidc-provider (tests/e2e/oidc_provider, installed by
`make oidc-provider`) with the machine's Node.js; valid tokens come from it. The forged ones
(`alg: none`, another key) are made here, as an attacker would make them. `sign_in_at_device_page`
plays the person of a device login: the provider's own pages, driven by an HTTP client.
"""

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localstack.temporal import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
START_SECONDS = 30


def provider_missing() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm), so the OpenID provider cannot run"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: run `make oidc-provider` (needs npm)"
    return None


class OpenIdProvider:
    def __init__(self, audience: str, log: Path) -> None:
        reason = provider_missing()
        if reason:
            pytest.skip(reason)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            ["node", "server.js", str(self.port), audience],
            cwd=PROVIDER_DIR,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.process.poll() is None, f"the OpenID provider exited: {log.read_text()}"
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=1) as answer:
                    self.discovery = json.load(answer)
                break
            except OSError:
                assert time.monotonic() < deadline, f"the OpenID provider did not start: {log.read_text()}"
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()

    def machine_token(self, audience: str, client: str = "robot") -> str:
        """A client-credentials access token the provider signs for `audience` (`time-traveller`: issued two
        hours ago, so expired)."""
        secret = {"robot": "robot-secret", "time-traveller": "time-traveller-secret"}[client]
        data = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "incidents", "resource": audience})
        basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
        request = urllib.request.Request(
            self.discovery["token_endpoint"], data=data.encode(), headers={"Authorization": f"Basic {basic}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)["access_token"]


def forged_none(genuine: str) -> str:
    """The genuine token's claims under `alg: none` and no signature."""
    claims = jwt.decode(genuine, options={"verify_signature": False})
    header = _b64(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def forged_with_own_key(genuine: str) -> str:
    """The genuine token's claims and key id, signed with a key the attacker made."""
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine)["kid"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "at+jwt"})


def forged_hmac_with_public_key(genuine: str, jwks_uri: str) -> str:
    """The classic confusion: HS256 keyed with the issuer's public key (which anyone can fetch)."""
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine)["kid"]
    with urllib.request.urlopen(jwks_uri, timeout=5) as answer:
        public = json.dumps(json.load(answer)["keys"][0]).encode()
    header = _b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    signature = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _form(html: str, form_id: str | None = None) -> tuple[str, dict[str, str]]:
    """A form's action and its hidden and prefilled fields."""
    start = html.index(f'id="{form_id}"') if form_id else 0
    form = html[html.rindex("<form", 0, start + 1) if form_id else html.index("<form") :]
    form = form[: form.index("</form>")]
    action = re.search(r'action="([^"]*)"', form)
    fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form))
    return (action.group(1) if action else ""), fields


async def sign_in_at_device_page(verification_uri: str, user_code: str, login: str, password: str) -> str:
    """What a person does with `incidentctl login`'s URL and code: enter the code, sign in, consent.
    Returns the provider's last page."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(verification_uri) as page:
            action, fields = _form(await page.text())
            base = str(page.url)
        async with browser.post(urllib.parse.urljoin(base, action), data={**fields, "user_code": user_code}) as page:
            html, base = await page.text(), str(page.url)
        if 'name="confirm"' in html:  # the provider asks to confirm the device first
            action, fields = _form(html)
            async with browser.post(urllib.parse.urljoin(base, action), data=fields) as page:
                html, base = await page.text(), str(page.url)
        for _ in range(4):  # sign-in, then consent (the provider's own pages)
            if 'name="prompt" value="login"' in html:
                action, fields = _form(html)
                data = {**fields, "login": login, "password": password}
            elif 'name="prompt" value="consent"' in html:
                action, fields = _form(html)
                data = fields
            else:
                return html
            async with browser.post(urllib.parse.urljoin(base, action), data=data) as page:
                html, base = await page.text(), str(page.url)
        return html


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})
