"""Rule sets over HTTP: a province administrator publishes, every error is listed, open dossiers
keep their pinned version."""

from __future__ import annotations

from tests.api.helpers import register
from tests.factories import PROVINCE


def _current(api, actor, **params):
    return api.client.get(
        "/api/v1/rule-sets",
        params={"year": 2026, "subject_type": "CQ", "province": PROVINCE, **params},
        headers=api.auth(actor),
    )


def test_an_administrator_publishes_a_new_version_and_open_dossiers_keep_theirs(api):
    w = api.world
    admin = w.actor("province_admin", "province")
    rep = w.actor("unit", "CQ")
    open_dossier = register(api, w.units["CQ"], rep)
    before = _current(api, admin).json()
    body = {**before["rules"], "bands": before["rules"]["bands"]}
    body["policy"] = {**body["policy"], "revocation_enabled": False}
    r = api.client.post("/api/v1/rule-sets", json=body, headers=api.auth(admin))
    assert r.status_code == 201, r.text
    published = r.json()["published"][0]
    assert published["version"] == before["version"] + 1
    assert _current(api, admin).json()["version"] == published["version"]
    again = api.client.get(f"/api/v1/dossiers/{open_dossier['id']}", headers=api.auth(rep)).json()
    assert again["rule_set"]["id"] == open_dossier["rule_set"]["id"] != published["id"]


def test_only_the_provinces_administrator_publishes_and_every_error_is_listed(api):
    w = api.world
    body = _current(api, w.actor("province_admin", "province")).json()["rules"]
    r = api.client.post(
        "/api/v1/rule-sets", json=body, headers=api.auth(w.actor("ubnd", "province"))
    )
    assert r.status_code == 403 and "province administrator" in r.json()["detail"]
    r = api.client.post(
        "/api/v1/rule-sets",
        json=body,
        headers=api.auth(w.actor("province_admin", "other_province")),
    )
    assert r.status_code == 403
    broken = {
        **body,
        "bands": {"excellent": 40, "good": 70, "fair": 50},
        "criteria": body["criteria"] * 2,
    }
    r = api.client.post(
        "/api/v1/rule-sets", json=broken, headers=api.auth(w.actor("province_admin", "province"))
    )
    assert r.status_code == 422 and len(r.json()["reasons"]) >= 2, r.text
