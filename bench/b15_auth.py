"""B15 what verifying who is asking costs each API request: api.identity.Authenticator.principal for an API
token (its hash looked up, the person's groups read) and for an OpenID Connect access token (an RS256
JWT from the tests' provider, panva's oidc-provider, checked against the issuer's cached key, then the
same groups read), against the floor of one `SELECT 1` round trip on the same pool. In process, so the
figures are the verification alone (no HTTP). Without Node.js or `make oidc-provider`, the OIDC half
is reported as skipped.

    python -m bench.b15_auth DATABASE_URL      alone, against a migrated database
"""

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

ROUNDS = 2000
AUDIENCE = "https://incident-api.bench/v1"


async def _timed(rounds: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    for _ in range(50):  # warm: connections opened, keys fetched, code paths compiled
        await call()
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - started)
    spent.sort()
    return {
        "p50_us": round(statistics.median(spent) * 1e6, 1),
        "p99_us": round(spent[int(len(spent) * 0.99) - 1] * 1e6, 1),
        "per_s": round(rounds / sum(spent)),
    }


async def measure(database_url: str, rounds: int = ROUNDS) -> dict[str, Any]:
    from api.identity import Authenticator
    from api.oidc import OidcVerifier
    from stores import api_tokens
    from tests.e2e.identity_support import OpenIdProvider, provider_missing

    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=4)
    try:
        _, token = await api_tokens.create(
            pool, name="bench", subject="dana", roles=["responder"], created_by="bench", expires_at=None
        )
        result: dict[str, Any] = {"rounds": rounds}
        result["floor_select_1"] = await _timed(rounds, lambda: pool.fetchval("SELECT 1"))
        plain = Authenticator(pool, None, {})
        result["api_token"] = await _timed(rounds, lambda: plain.principal(token))
        missing = provider_missing()
        if missing:
            result["oidc_jwt"] = {"skipped": missing}
            return result
        provider = OpenIdProvider(AUDIENCE, Path(tempfile.mkdtemp(prefix="bench-b15-")) / "provider.log")
        try:
            jwt_token = provider.machine_token(AUDIENCE)
            oidc = Authenticator(pool, OidcVerifier(provider.issuer, AUDIENCE), {})
            assert await oidc.principal(jwt_token) is not None, "the provider's token was refused"
            result["oidc_jwt"] = await _timed(rounds, lambda: oidc.principal(jwt_token))
            verifier = oidc.oidc
            assert verifier is not None
            result["oidc_signature_only"] = await _timed(rounds, lambda: verifier.verify(jwt_token))
        finally:
            provider.stop()
        return result
    finally:
        await pool.close()


async def run(stack: Any) -> dict[str, Any]:
    return await measure(stack.database_url)


if __name__ == "__main__":
    print(asyncio.run(measure(sys.argv[1])))
