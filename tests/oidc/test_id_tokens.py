"""ID token checks, with tokens signed by a local key that a real local HTTP server publishes as
a JWKS (and a discovery document): tampered, expired, wrong audience, wrong nonce all refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.oidc import OidcClient, TokenRejected
from workflow.settings import Settings

CLIENT = "antt-dossier"


class LocalProvider:
    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": rsa.generate_private_key(65537, 2048)}
        self.jwks_hits = 0
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {
                        "issuer": provider.issuer,
                        "jwks_uri": provider.issuer + "/jwks",
                        "authorization_endpoint": provider.issuer + "/auth",
                        "token_endpoint": provider.issuer + "/token",
                    }
                elif self.path == "/jwks":
                    provider.jwks_hits += 1
                    body = {"keys": [provider.public_jwk(k) for k in provider.keys]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def public_jwk(self, kid: str) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str = "k1", **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "sub": "alice",
            "aud": CLIENT,
            "iat": now,
            "exp": now + 300,
            "nonce": "n-1",
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def local() -> Iterator[LocalProvider]:
    p = LocalProvider()
    yield p
    p.server.shutdown()


def client(local: LocalProvider) -> OidcClient:
    return OidcClient(
        Settings(oidc_issuer=local.issuer, oidc_client_id=CLIENT, oidc_leeway_seconds=5)
    )


def test_a_good_token_passes(local):
    assert client(local).verify_id_token(local.token(), "n-1")["sub"] == "alice"


def test_a_tampered_token_is_refused(local):
    header, payload, signature = local.token().split(".")
    other = local.token(sub="admin").split(".")[1]
    with pytest.raises(TokenRejected, match="signature"):
        client(local).verify_id_token(f"{header}.{other}.{signature}", "n-1")
    assert payload != other


def test_an_expired_token_is_refused(local):
    old = int(time.time()) - 3600
    with pytest.raises(TokenRejected, match="expired"):
        client(local).verify_id_token(local.token(iat=old, exp=old + 300), "n-1")


def test_a_token_for_another_client_is_refused(local):
    with pytest.raises(TokenRejected, match="audience"):
        client(local).verify_id_token(local.token(aud="someone-else"), "n-1")


def test_keycloaks_audience_list_is_accepted_when_we_are_the_authorised_party(local):
    c = client(local)
    assert c.verify_id_token(local.token(aud=["account", CLIENT], azp=CLIENT), "n-1")
    with pytest.raises(TokenRejected, match="authorised party"):
        c.verify_id_token(local.token(aud=["account", CLIENT], azp="account"), "n-1")


def test_a_wrong_nonce_is_refused(local):
    with pytest.raises(TokenRejected, match="nonce"):
        client(local).verify_id_token(local.token(nonce="replayed"), "n-1")
    with pytest.raises(TokenRejected, match="nonce"):
        client(local).verify_id_token(local.token(nonce=None), "n-1")


def test_another_issuer_is_refused(local):
    with pytest.raises(TokenRejected, match="issuer"):
        client(local).verify_id_token(local.token(iss=local.issuer + "/"), "n-1")


def test_a_new_key_is_fetched_once_and_an_unknown_one_is_rate_limited(local):
    c = client(local)
    c.verify_id_token(local.token(), "n-1")
    c.verify_id_token(local.token(), "n-1")
    assert local.jwks_hits == 1  # cached
    local.keys["k2"] = rsa.generate_private_key(65537, 2048)  # the provider rotates
    assert c.verify_id_token(local.token(kid="k2"), "n-1")
    assert local.jwks_hits == 2
    stranger = rsa.generate_private_key(65537, 2048)
    forged = jwt.encode(
        {"iss": local.issuer, "sub": "x", "aud": CLIENT, "iat": 1, "exp": 2**31},
        stranger,
        algorithm="RS256",
        headers={"kid": "k9"},
    )
    for _ in range(5):
        with pytest.raises(TokenRejected, match="unknown key"):
            c.verify_id_token(forged, "n-1")
    assert local.jwks_hits == 2  # no refetch storm
