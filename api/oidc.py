"""OpenID Connect at the edge: discovery, the code exchange, ID and access token checks.

Network I/O lives here, in the API layer; the engine only matches claims to users
(workflow/sessions.py). Keys come from the provider's JWKS through PyJWT's PyJWKClient, which
caches them and refetches when a token names an unknown key id; we rate-limit that refetch.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWKClient

from workflow.settings import Settings

DISCOVERY_TTL = 3600.0
JWKS_REFETCH_MIN_SECONDS = 10.0
USERINFO_TTL = 60.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


class ProviderUnavailable(Exception):
    """The identity provider did not answer (down, refused, timed out, or answered 5xx)."""


class TokenRejected(Exception):
    """A token failed verification; the message is safe to show and to log (no token in it)."""


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


@dataclass
class _Cached:
    value: Any
    until: float


class OidcClient:
    """One per (issuer, client): the discovery document and the keys, cached."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id):
            raise ProviderUnavailable("OIDC_ISSUER and OIDC_CLIENT_ID are not set")
        self.issuer = settings.oidc_issuer  # compared exactly, never normalised
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.api_audience = settings.oidc_api_audience or settings.oidc_client_id
        self.timeout = settings.oidc_timeout_seconds
        self.leeway = settings.oidc_leeway_seconds
        self._lock = threading.Lock()
        self._discovery: _Cached | None = None
        self._jwks: PyJWKClient | None = None
        self._last_refetch = 0.0
        self._userinfo: dict[str, _Cached] = {}

    # -- discovery ---------------------------------------------------------------------------
    def metadata(self, *, fresh: bool = False) -> dict[str, Any]:
        """The discovery document, cached; ``fresh`` asks the provider now (a sign-in does, so
        that a provider gone down is said at once instead of after a redirect into nothing)."""
        with self._lock:
            if not fresh and self._discovery and self._discovery.until > time.monotonic():
                return self._discovery.value
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            r = httpx.get(url, timeout=self.timeout)
        except httpx.HTTPError as e:
            raise ProviderUnavailable(f"discovery failed: {type(e).__name__}") from None
        if r.status_code >= 500:
            raise ProviderUnavailable(f"discovery answered {r.status_code}")
        if r.status_code != 200:
            raise ProviderUnavailable(f"discovery answered {r.status_code}")
        doc = r.json()
        if doc.get("issuer") != self.issuer:
            # The issuer must match exactly (OpenID Connect Discovery 1.0, section 4.3).
            raise ProviderUnavailable("the discovery document names another issuer")
        with self._lock:
            self._discovery = _Cached(doc, time.monotonic() + DISCOVERY_TTL)
        return doc

    # -- keys --------------------------------------------------------------------------------
    def _jwk_client(self) -> PyJWKClient:
        if self._jwks is None:
            self._jwks = PyJWKClient(
                self.metadata()["jwks_uri"], cache_keys=True, lifespan=3600, timeout=self.timeout
            )
        return self._jwks

    def signing_key(self, token: str) -> Any:
        client = self._jwk_client()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("the token is not a JWT") from None
        kid = header.get("kid")
        try:
            # From the cached key set: no request while the key is known.
            for key in client.get_signing_keys():
                if kid is None or key.key_id == kid:
                    return key.key
        except jwt.PyJWKClientConnectionError:
            raise ProviderUnavailable("the provider's keys cannot be fetched") from None
        except jwt.PyJWKClientError:
            pass
        # An unknown key id: the provider may have rotated; refetch, but not on every request.
        with self._lock:
            if time.monotonic() - self._last_refetch < JWKS_REFETCH_MIN_SECONDS:
                raise TokenRejected("the token is signed by an unknown key")
            self._last_refetch = time.monotonic()
        try:
            for key in client.get_signing_keys(refresh=True):
                if kid is None or key.key_id == kid:
                    return key.key
        except jwt.PyJWKClientConnectionError:
            raise ProviderUnavailable("the provider's keys cannot be fetched") from None
        except jwt.PyJWKClientError:
            pass
        raise TokenRejected("the token is signed by an unknown key")

    # -- tokens ------------------------------------------------------------------------------
    def _decode(self, token: str, audience: str) -> dict[str, Any]:
        key = self.signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("the token is meant for another audience") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the token comes from another issuer") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("the token's signature does not verify") from None
        except jwt.PyJWTError as e:
            raise TokenRejected(f"the token is not valid ({type(e).__name__})") from None
        return claims

    def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        claims = self._decode(token, self.client_id)
        aud = claims.get("aud")
        # Several audiences (Keycloak adds 'account'): the authorised party must be us.
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise TokenRejected("the token's authorised party is another client")
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise TokenRejected("the token's nonce does not match this sign-in")
        return claims

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """An access token presented to the API: a JWT checked against the keys, or else an
        opaque one the userinfo endpoint vouches for (cached briefly, by hash)."""
        if token.count(".") == 2:
            return self._decode(token, self.api_audience)
        return self.verify_access_token_by_userinfo(token)

    def verify_access_token_by_userinfo(self, token: str) -> dict[str, Any]:
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            hit = self._userinfo.get(digest)
            if hit and hit.until > time.monotonic():
                return hit.value
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint:
            raise TokenRejected("the provider has no userinfo endpoint")
        try:
            r = httpx.get(
                endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout
            )
        except httpx.HTTPError:
            raise ProviderUnavailable("the userinfo endpoint did not answer") from None
        if r.status_code >= 500:
            raise ProviderUnavailable(f"the userinfo endpoint answered {r.status_code}")
        if r.status_code != 200:
            raise TokenRejected("the provider does not recognise the token")
        claims = r.json()
        with self._lock:
            if len(self._userinfo) > 10_000:
                self._userinfo.clear()
            self._userinfo[digest] = _Cached(claims, time.monotonic() + USERINFO_TTL)
        return claims

    def userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        """Claims the ID token left out (providers may keep email for userinfo only); the
        answer must be about the same subject (OpenID Connect Core 1.0, 5.3.2)."""
        claims = self.verify_access_token_by_userinfo(access_token)
        if claims.get("sub") != subject:
            raise TokenRejected("the userinfo answer is about another subject")
        return claims

    # -- the code flow -----------------------------------------------------------------------
    def authorization_url(
        self, redirect_uri: str, scopes: str, state: str, nonce: str, challenge: str
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return str(httpx.URL(self.metadata()["authorization_endpoint"], params=params))

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth = None
        if self.client_secret:
            auth = httpx.BasicAuth(self.client_id, self.client_secret)
        else:
            data["client_id"] = self.client_id
        try:
            r = httpx.post(
                self.metadata()["token_endpoint"], data=data, auth=auth, timeout=self.timeout
            )
        except httpx.HTTPError:
            raise ProviderUnavailable("the token endpoint did not answer") from None
        if r.status_code >= 500:
            raise ProviderUnavailable(f"the token endpoint answered {r.status_code}")
        if r.status_code != 200:
            error = r.json().get("error", "error") if r.content else "error"
            raise TokenRejected(f"the provider refused the code ({error})")
        return r.json()


_clients: dict[tuple, OidcClient] = {}


def client_for(settings: Settings) -> OidcClient:
    key = (settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = OidcClient(settings)
    return found


def forget() -> None:
    """Drop cached clients (tests change settings between runs)."""
    _clients.clear()
