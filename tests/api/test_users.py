"""Users over HTTP: /me, the administrator's lifecycle, every refusal naming its rule, the token's
reasons for a 401, and the user trail checked and tampering detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import text

from tests.conftest import ON_POSTGRES
from tests.factories import PROVINCE
from workflow.db import write_transaction

PROBLEM = "application/problem+json"


def _problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    return r.json()


def _admin(api, where="province"):
    return api.auth(api.world.actor("province_admin", where))


def _create(api, **body):
    body = {"name": "Nguyễn Văn An", "role": "police", "territory": str(api.world.commune), **body}
    r = api.client.post("/api/v1/users", json=body, headers=_admin(api))
    assert r.status_code == 201, r.text
    return r.json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_me_says_who_i_am_with_labels_and_expiry(api):
    police = api.world.actor("police")
    r = api.client.get("/api/v1/me", headers=api.auth(police))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["id"] == police.id and me["role"] == "police"
    assert me["role_label"] == {"vi": "Công an", "en": "Police"}
    assert me["commune_code"] == api.world.commune and "Quảng Ngãi" in me["territory_label"]["vi"]
    assert me["token_expires_at"].endswith(("Z", "+00:00")) and me["last_used_at"]
    rep = api.client.get("/api/v1/me", headers=api.auth(api.world.actor("unit", "KDC"))).json()
    assert (
        rep["unit_id"] == api.world.units["KDC"]["id"]
        and "Thôn An Phú" in (rep["territory_label"]["vi"])
    )


def test_create_shows_the_token_once_and_it_works(api):
    created = _create(api, email="an@congan.gov.vn", phone="+84912345678")
    assert created["phone"] == "0912345678" and created["token"]
    assert (
        api.client.get("/api/v1/me", headers=_bearer(created["token"])).json()["id"]
        == (created["id"])
    )
    again = api.client.get(f"/api/v1/users/{created['id']}", headers=_admin(api)).json()
    assert "token" not in again and "token_hash" not in str(again)


def test_refusals_name_the_rule(api):
    _create(api, email="an@congan.gov.vn")
    r = api.client.post(
        "/api/v1/users",
        json={"name": "B", "role": "ubnd", "territory": "51", "email": "AN@congan.gov.vn"},
        headers=_admin(api),
    )
    assert "already belongs" in _problem(r, 409)["detail"]
    r = api.client.post(
        "/api/v1/users",
        json={"name": "B", "role": "ubnd", "territory": "51", "phone": "123"},
        headers=_admin(api),
    )
    assert "Vietnamese phone" in _problem(r, 422)["detail"]
    r = api.client.post(
        "/api/v1/users",
        json={"name": "B", "role": "ubnd", "territory": "51"},
        headers=api.auth(api.world.actor("police")),
    )
    assert "only a province administrator" in _problem(r, 403)["detail"]
    me = api.world.actor("province_admin", "province")
    r = api.client.patch(f"/api/v1/users/{me.id}", json={"role": "auditor"}, headers=_admin(api))
    assert "own role" in _problem(r, 403)["detail"]


def test_another_provinces_admin_finds_no_such_user(api):
    target = api.world.actor("police")
    outsider = _admin(api, "other_province")
    for method, path in (
        ("get", f"/api/v1/users/{target.id}"),
        ("post", f"/api/v1/users/{target.id}/deactivate"),
        ("post", f"/api/v1/users/{target.id}/rotate-token"),
        ("get", f"/api/v1/users/{target.id}/trail"),
    ):
        r = getattr(api.client, method)(path, headers=outsider)
        assert "in your territory" in _problem(r, 404)["detail"]
    r = api.client.post(
        "/api/v1/users", json={"name": "X", "role": "police", "territory": "51"}, headers=outsider
    )
    assert "outside your territory" in _problem(r, 403)["detail"]
    listed = api.client.get("/api/v1/users", headers=outsider).json()["items"]
    assert target.id not in [u["id"] for u in listed]


def test_list_filters_and_pages(api):
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/users", params=params, headers=_admin(api)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len({u["id"] for u in seen}) > 4
    assert {u["province_code"] for u in seen} == {PROVINCE}
    r = api.client.get(
        "/api/v1/users",
        params={"role": "police", "territory": str(api.world.commune), "active": "true"},
        headers=_admin(api),
    )
    assert [u["role"] for u in r.json()["items"]] == ["police"]
    r = api.client.get("/api/v1/users", params={"rol": "police"}, headers=_admin(api))
    assert _problem(r, 422)["errors"][0]["field"] == "query.rol"
    r = api.client.get("/api/v1/users", headers=api.auth(api.world.actor("police")))
    _problem(r, 403)


def test_a_rotated_token_is_refused_at_once_with_the_reason(api):
    created = _create(api)
    old = created["token"]
    r = api.client.post(f"/api/v1/users/{created['id']}/rotate-token", headers=_admin(api))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    new = r.json()["token"]
    body = _problem(api.client.get("/api/v1/me", headers=_bearer(old)), 401)
    assert body["reason"] == "rotated" and "rotated" in body["detail"]
    assert api.client.get("/api/v1/me", headers=_bearer(new)).status_code == 200


def test_a_deactivated_users_next_request_is_401_and_reactivation_restores_it(api):
    created = _create(api)
    token = created["token"]
    assert api.client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    r = api.client.post(f"/api/v1/users/{created['id']}/deactivate", headers=_admin(api))
    assert r.status_code == 200 and r.json()["active"] is False
    body = _problem(api.client.get("/api/v1/dossiers", headers=_bearer(token)), 401)
    assert body["reason"] == "deactivated" and "deactivated" in body["detail"]
    again = api.client.post(f"/api/v1/users/{created['id']}/deactivate", headers=_admin(api))
    assert "already deactivated" in _problem(again, 409)["detail"]
    api.client.post(f"/api/v1/users/{created['id']}/reactivate", headers=_admin(api))
    assert api.client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_an_expired_token_is_401_saying_when(api):
    token = _create(api)["token"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=366)):
        body = _problem(api.client.get("/api/v1/me", headers=_bearer(token)), 401)
    assert body["reason"] == "expired" and "expired on" in body["detail"]
    body = _problem(api.client.get("/api/v1/me", headers=_bearer("nonsense")), 401)
    assert body["reason"] == "unknown"


def test_patch_changes_role_and_contact_and_the_trail_says_who(api):
    created = _create(api)
    r = api.client.patch(
        f"/api/v1/users/{created['id']}",
        json={"role": "ubnd", "phone": "0987654321", "notify_mode": "digest"},
        headers={**_admin(api), "X-Request-ID": "req-42"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "ubnd" and r.json()["notify_mode"] == "digest"
    r = api.client.patch(f"/api/v1/users/{created['id']}", json={"token": "x"}, headers=_admin(api))
    _problem(r, 422)
    auditor = api.auth(api.world.actor("auditor", "province"))
    trail = api.client.get(f"/api/v1/users/{created['id']}/trail", headers=auditor).json()
    assert trail["ok"] is True and [e["event"] for e in trail["events"]] == [
        "created",
        "role_changed",
    ]
    last = trail["events"][-1]
    admin = api.world.actor("province_admin", "province")
    assert last["actor_id"] == admin.id and last["request_id"] == "req-42"
    assert last["before"]["role"] == "police" and last["after"]["role"] == "ubnd"
    r = api.client.get(
        f"/api/v1/users/{created['id']}/trail", headers=api.auth(api.world.actor("police"))
    )
    _problem(r, 403)


def test_a_tampered_user_trail_row_is_detected(api):
    created = _create(api)
    api.client.post(f"/api/v1/users/{created['id']}/rotate-token", headers=_admin(api))
    with write_transaction() as conn:
        if ON_POSTGRES:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER user_event_no_update"))
        conn.execute(
            text(
                "UPDATE user_event SET actor_name = 'someone else' WHERE user_id = :u AND seq = 1"
            ),
            {"u": created["id"]},
        )
    trail = api.client.get(f"/api/v1/users/{created['id']}/trail", headers=_admin(api)).json()
    assert trail["ok"] is False and trail["findings"][0]["seq"] == 1
