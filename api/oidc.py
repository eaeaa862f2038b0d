"""OpenID Connect access tokens: a JWT the configured issuer signed, for this API's audience.

The issuer's signing keys come from the `jwks_uri` of its discovery document
(`<issuer>/.well-known/openid-configuration`), through PyJWT's PyJWKClient, which caches them. A key id
the cache does not know makes it fetch the set again (the issuer rotated its keys), at most once every
MIN_REFETCH seconds however many forged tokens arrive, so an attacker cannot make the API hammer the
issuer. Checked on every token: the algorithm is an asymmetric one of ALGORITHMS (never `none`, never
HMAC, whose "key" would be the public key an attacker can read), the signature, `iss`, `aud`, `exp`,
`nbf` and `iat` (LEEWAY seconds of clock skew).
"""

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import structlog

from api.problems import unavailable

if TYPE_CHECKING:
    from runtime.settings import Settings

ALGORITHMS = ["RS256", "ES256", "PS256"]
LEEWAY = 30  # seconds of clock skew between the issuer and the API
MIN_REFETCH = 30.0  # seconds between two fetches of the issuer's keys for unknown key ids
FETCH_TIMEOUT = 5.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    groups: tuple[str, ...]


class OidcVerifier:
    def __init__(self, issuer: str, audience: str, groups_claim: str = "groups", subject_claim: str = "sub"):
        self.issuer, self.audience = issuer.rstrip("/"), audience
        self.groups_claim, self.subject_claim = groups_claim, subject_claim
        self._jwks_uri: str | None = None
        self._keys: dict[str | None, Any] = {}  # the issuer's keys by key id
        self._fetched_at = -MIN_REFETCH
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: "Settings") -> "OidcVerifier":
        return cls(
            settings.oidc_issuer, settings.oidc_audience, settings.oidc_groups_claim, settings.oidc_subject_claim
        )

    def _fetch_keys(self) -> None:
        """The discovery document once, then the key set (blocking: run in a thread)."""
        if self._jwks_uri is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:  # noqa: S310 (the configured issuer)
                document = json.load(answer)
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise jwt.InvalidIssuerError("the discovery document names another issuer")
            self._jwks_uri = document["jwks_uri"]
        client = jwt.PyJWKClient(self._jwks_uri, cache_jwk_set=False, timeout=int(FETCH_TIMEOUT))
        self._keys = {key.key_id: key.key for key in client.get_jwk_set().keys}
        log.info("issuer keys fetched", issuer=self.issuer, keys=len(self._keys))

    async def _key(self, kid: str | None) -> Any:
        """The issuer's key for `kid`: from the cache; an unknown one refetches the set (the issuer rotated its
        keys), at most once every MIN_REFETCH seconds, so forged key ids cannot make the API hammer the issuer."""
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:  # one fetch at a time; those that waited find the keys it brought
            if kid not in self._keys and time.monotonic() - self._fetched_at >= MIN_REFETCH:
                self._fetched_at = time.monotonic()
                await asyncio.to_thread(self._fetch_keys)
        if kid not in self._keys:
            raise jwt.PyJWKClientError("the token's key id is not one of the issuer's keys")
        return self._keys[kid]

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=self.audience,
            issuer=self.issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", self.subject_claim]},
        )

    async def verify(self, token: str) -> OidcIdentity | None:
        """Who the token names, or None when it is not one this API accepts (why goes to the log, never the token)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:  # before any key is looked at: `none` and HS* stop here
                raise jwt.InvalidAlgorithmError("algorithm not accepted")
            claims = self._decode(token, await self._key(header.get("kid")))
        except (OSError, jwt.PyJWKClientConnectionError) as err:
            # the issuer's keys are out of reach: the API cannot tell a good token from a bad one, so 503
            raise unavailable(f"cannot reach the identity provider at {self.issuer} ({err})") from None
        except (jwt.PyJWTError, ValueError, KeyError) as err:
            log.info("access token refused", why=type(err).__name__)
            return None
        subject = claims.get(self.subject_claim)
        if not isinstance(subject, str) or not subject:
            log.info("access token refused", why=f"no {self.subject_claim} claim")
            return None
        groups = claims.get(self.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        return OidcIdentity(subject, tuple(g for g in groups if isinstance(g, str)))
