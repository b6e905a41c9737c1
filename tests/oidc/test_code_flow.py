"""Single sign-on against a real OpenID provider: the authorization code flow with PKCE, over
HTTP, ending with our session cookie; the provider's access tokens as API bearer tokens."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import update

from api import oidc
from api.oidc import pkce_pair
from tests.oidc.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    configure,
    path_of,
    running_provider,
    walk_provider,
)
from workflow.db import write_transaction
from workflow.models import AppUser

users = AppUser.__table__


def give_email(actor, email: str) -> None:
    with write_transaction() as conn:
        conn.execute(update(users).where(users.c.id == actor.id).values(email=email))


def sign_in(api, login: str, next_: str = "/api/v1/session"):
    r = api.client.get("/auth/oidc/login", params={"next": next_}, follow_redirects=False)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["client_id"] == [CLIENT_ID] and query["nonce"] and query["state"]
    back = walk_provider(location, login)
    return api.client.get(path_of(back), follow_redirects=False)


def test_a_full_code_flow_signs_the_matched_user_in(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer)
    auditor = api.world.actor("auditor", "province")
    give_email(auditor, "alice@example.vn")
    r = sign_in(api, "alice")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/api/v1/session"
    assert "httponly" in r.headers["set-cookie"].lower()
    me = api.client.get("/api/v1/session")
    assert me.status_code == 200, me.text
    assert me.json()["user"]["id"] == auditor.id and me.json()["method"] == "oidc"
    # The first sign-in bound the provider's subject to the account.
    with write_transaction() as conn:
        subject = conn.execute(
            users.select().with_only_columns(users.c.oidc_subject).where(users.c.id == auditor.id)
        ).scalar_one()
    assert subject == "alice"


def test_next_must_be_a_local_path(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer)
    give_email(api.world.actor("auditor", "province"), "alice@example.vn")
    r = sign_in(api, "alice", next_="//evil.example/steal")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_a_person_nobody_created_is_not_signed_in(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer)
    r = sign_in(api, "mallory")
    assert r.status_code == 403
    assert "mallory@example.vn" in r.json()["detail"]
    assert "administrator must create the account" in r.json()["detail"]
    assert api.client.get("/api/v1/session").status_code == 401


def test_matching_by_subject(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer, OIDC_MATCH_CLAIM="sub")
    auditor = api.world.actor("auditor", "province")
    with write_transaction() as conn:
        conn.execute(update(users).where(users.c.id == auditor.id).values(oidc_subject="alice"))
    assert sign_in(api, "alice").status_code == 303
    assert api.client.get("/api/v1/session").json()["user"]["id"] == auditor.id


def test_a_callback_that_did_not_start_here_is_refused(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer)
    r = api.client.get("/auth/oidc/callback", params={"code": "x", "state": "y"})
    assert r.status_code == 400 and "/auth/oidc/login" in r.json()["detail"]


def provider_access_token(issuer: str, login: str) -> str:
    """What an integration does: its own code flow with PKCE, then the token endpoint."""
    meta = httpx.get(issuer + "/.well-known/openid-configuration").json()
    verifier, challenge = pkce_pair()
    start = str(
        httpx.URL(
            meta["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "scope": "openid email",
                "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    )
    code = parse_qs(urlsplit(walk_provider(start, login)).query)["code"][0]
    r = httpx.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_the_providers_access_token_works_as_a_bearer_token(api, provider, monkeypatch):
    configure(monkeypatch, provider.issuer)
    auditor = api.world.actor("auditor", "province")
    give_email(auditor, "alice@example.vn")
    token = provider_access_token(provider.issuer, "alice")
    r = api.client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == auditor.id
    r = api.client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}x"})
    assert r.status_code == 401


def test_provider_down_sign_in_says_so_while_tokens_and_sessions_keep_working(api, monkeypatch):
    auditor = api.world.actor("auditor", "province")
    with running_provider() as doomed:
        configure(monkeypatch, doomed.issuer)
        r = api.client.post("/api/v1/session", json={"token": api.token(auditor)})
        assert r.status_code == 200
        assert api.client.get("/auth/oidc/login", follow_redirects=False).status_code == 303
    # The discovery document is still cached: the sign-in asks the provider anyway.
    r = api.client.get("/auth/oidc/login", follow_redirects=False)
    assert r.status_code == 503, r.text
    oidc.forget()  # a freshly started server: nothing cached from the provider
    r = api.client.get("/auth/oidc/login", follow_redirects=False)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] and "identity provider is not answering" in r.json()["detail"]
    assert api.client.get("/api/v1/session").status_code == 200  # the session lives on
    bearer = {"Authorization": f"Bearer {api.token(auditor)}"}
    assert api.client.get("/api/v1/dossiers", headers=bearer).status_code == 200
