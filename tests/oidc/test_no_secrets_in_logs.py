"""No token, cookie, secret or ID token is ever written to a log: every logger at DEBUG through
a single sign-on, a token sign-in and a few requests."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from tests.oidc.conftest import CLIENT_SECRET, configure, path_of, walk_provider
from tests.oidc.test_code_flow import give_email, provider_access_token

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def test_logs_hold_no_secret(api, provider, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # the root: every logger propagates here
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "httpx", "httpcore", "api"):
        caplog.set_level(logging.DEBUG, logger=name)
    configure(monkeypatch, provider.issuer)
    auditor = api.world.actor("auditor", "province")
    give_email(auditor, "alice@example.vn")
    bearer = api.token(auditor)

    r = api.client.get("/auth/oidc/login", follow_redirects=False)
    back = walk_provider(r.headers["location"], "alice")
    code = parse_qs(urlsplit(back).query)["code"][0]
    assert api.client.get(path_of(back), follow_redirects=False).status_code == 303
    session_cookie = api.client.cookies.get("dossier_session")
    me = api.client.get("/api/v1/session").json()
    assert api.client.get("/api/v1/dossiers").status_code == 200
    assert api.client.delete("/api/v1/session", headers={"X-CSRFToken": me["csrf_token"]})
    assert api.client.post("/api/v1/session", json={"token": bearer}).status_code == 200
    second_cookie = api.client.cookies.get("dossier_session")
    assert api.client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {bearer}"})
    access = provider_access_token(provider.issuer, "alice")
    assert api.client.get("/api/v1/session", headers={"Authorization": f"Bearer {access}"})
    assert api.client.get("/api/v1/session", headers={"Authorization": "Bearer wrong-one"})
    # What uvicorn's access log would write for the callback, through the same logger.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path_of(back), "1.1", 303
    )

    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert caplog.records  # the run did log
    for secret in (
        CLIENT_SECRET,
        bearer,
        session_cookie,
        second_cookie,
        code,
        access,
        me["csrf_token"],
    ):
        assert secret and secret not in text
    assert not JWT.search(text)
