"""Sessions for the web pages: the cookie, its expiry, signing out, CSRF, bearer clients."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.api.conftest import ApiWorld
from workflow import users
from workflow.sessions import live_sessions_of

COOKIE = "dossier_session"


def sign_in(api: ApiWorld, actor) -> dict:
    r = api.client.post("/api/v1/session", json={"token": api.token(actor)})
    assert r.status_code == 200, r.text
    return r.json()


def test_sign_in_sets_a_cookie_that_is_httponly_lax_and_carries_only_an_id(api):
    auditor = api.world.actor("auditor", "province")
    r = api.client.post("/api/v1/session", json={"token": api.token(auditor)})
    assert r.status_code == 200, r.text
    header = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and COOKIE in v)
    flags = [p.strip().lower() for p in header.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP here
    assert api.token(auditor) not in header
    assert r.json()["user"]["id"] == auditor.id
    me = api.client.get("/api/v1/session")
    assert me.status_code == 200 and me.json()["user"]["name"] == auditor.name
    assert me.json()["method"] == "token"


def test_the_cookie_is_secure_over_https(api):
    auditor = api.world.actor("auditor", "province")
    api.client.base_url = "https://testserver"
    r = api.client.post("/api/v1/session", json={"token": api.token(auditor)})
    assert r.status_code == 200
    assert "secure" in r.headers["set-cookie"].lower()


def test_a_form_sign_in_works_too(api):
    auditor = api.world.actor("auditor", "province")
    r = api.client.post("/api/v1/session", data={"token": api.token(auditor)})
    assert r.status_code == 200, r.text


def test_a_wrong_token_is_refused_with_the_reason(api):
    r = api.client.post("/api/v1/session", json={"token": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert COOKIE not in r.headers.get("set-cookie", "")
    assert api.client.post("/api/v1/session", json={}).status_code == 422


def test_idle_sessions_end_after_thirty_minutes(api):
    auditor = api.world.actor("auditor", "province")
    with time_machine.travel("2026-03-02 08:00 +0700", tick=False) as clock:
        sign_in(api, auditor)
        clock.shift(timedelta(minutes=29))
        assert api.client.get("/api/v1/session").status_code == 200
        clock.shift(timedelta(minutes=29))  # used 29 minutes ago: still alive
        assert api.client.get("/api/v1/session").status_code == 200
        clock.shift(timedelta(minutes=31))
        r = api.client.get("/api/v1/session")
        assert r.status_code == 401 and r.json()["reason"] == "idle"


def test_sessions_end_twelve_hours_after_they_began_however_busy(api):
    auditor = api.world.actor("auditor", "province")
    with time_machine.travel("2026-03-02 08:00 +0700", tick=False) as clock:
        sign_in(api, auditor)
        kept = api.client.cookies.get(COOKIE)
        for _ in range(11 * 3):
            clock.shift(timedelta(minutes=20))
            assert api.client.get("/api/v1/session").status_code == 200
        clock.shift(timedelta(minutes=61))
        # The browser drops the cookie at 12 hours (Max-Age); the server refuses a kept copy.
        api.client.cookies.set(COOKIE, kept)
        r = api.client.get("/api/v1/session")
        assert r.status_code == 401 and r.json()["reason"] == "expired"


def test_signing_out_ends_the_session_on_the_server(api):
    auditor = api.world.actor("auditor", "province")
    csrf = sign_in(api, auditor)["csrf_token"]
    stolen = api.client.cookies.get(COOKIE)
    r = api.client.delete("/api/v1/session", headers={"X-CSRFToken": csrf})
    assert r.status_code == 204
    assert api.client.get("/api/v1/session").status_code == 401
    # A copy of the cookie taken before signing out is worth nothing now.
    api.client.cookies.set(COOKIE, stolen)
    r = api.client.get("/api/v1/session")
    assert r.status_code == 401 and r.json()["reason"] == "signed_out"


def test_deactivating_a_user_ends_all_their_sessions(api):
    auditor = api.world.actor("auditor", "province")
    admin = api.world.actor("province_admin", "province")
    sign_in(api, auditor)
    assert live_sessions_of(auditor.id) == 1
    users.deactivate_user(auditor.id, by=admin)
    assert live_sessions_of(auditor.id) == 0
    assert api.client.get("/api/v1/session").status_code == 401


def test_cookie_changes_without_the_csrf_token_are_refused_and_with_it_pass(api):
    auditor = api.world.actor("auditor", "province")
    csrf = sign_in(api, auditor)["csrf_token"]
    r = api.client.delete("/api/v1/session")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "CSRF" in r.json()["detail"]
    assert api.client.get("/api/v1/session").status_code == 200  # still signed in
    r = api.client.delete("/api/v1/session", headers={"X-CSRFToken": "forged" + csrf})
    assert r.status_code == 403
    assert api.client.delete("/api/v1/session", headers={"X-CSRFToken": csrf}).status_code == 204


def test_the_cookie_reaches_the_dossier_routes_and_bearer_clients_are_untouched(api):
    auditor = api.world.actor("auditor", "province")
    sign_in(api, auditor)
    assert api.client.get("/api/v1/dossiers").status_code == 200
    rep = api.world.unit_actor(next(iter(api.world.units.values())))
    # A bearer client (even one whose jar holds a session cookie) needs no CSRF token.
    r = api.client.post("/api/v1/dossiers", json={}, headers=api.auth(rep))
    assert r.status_code == 422  # judged on the body, not refused for CSRF
    # A cookie never rescues a bad bearer token.
    r = api.client.get("/api/v1/dossiers", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_a_sign_in_posted_from_another_site_is_refused(api):
    """Login CSRF: another site's form must not sign a visitor in as someone else."""
    token = api.token(api.world.actor("auditor", "province"))
    r = api.client.post(
        "/api/v1/session", json={"token": token}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "another site" in r.json()["detail"]
    assert "set-cookie" not in r.headers
    own = str(api.client.base_url).rstrip("/")
    r = api.client.post("/api/v1/session", json={"token": token}, headers={"Origin": own})
    assert r.status_code == 200, r.text
