"""The role x territory matrix over HTTP: for every step of every subject type, only the seat the
authority map names may act; every other seat of the territory gets 403 with the reason, every
seat outside it 404 (as for a dossier that does not exist), and nothing changes."""

from __future__ import annotations

import pytest

from states.lifecycle import Event, State
from tests.api.helpers import engine_view, fire, payload_for, walk
from tests.engine.helpers import authorised_actor

STEPS = [
    (State.REGISTERED, Event.SUBMIT_SELF_SCORE),
    (State.SELF_SCORED, Event.COMMUNE_APPROVE),
    (State.COMMUNE_REVIEWED, Event.POLICE_VERIFY),
    (State.POLICE_VERIFIED, Event.REJECT),
]


@pytest.mark.parametrize("key", ["KDC", "CQ", "CQ_commune", "DN"])
@pytest.mark.parametrize("state,event", STEPS, ids=[e.value for _, e in STEPS])
def test_only_the_named_seat_may_act(api, key, state, event):
    w = api.world
    d = walk(api, key, state)
    rep = w.unit_actor(w.units[key])
    allowed = authorised_actor(w, engine_view(d), event, rep)
    body = payload_for(event, d)
    for (role, where), actor in {a.id: (k, a) for k, a in w.actors.items()}.values():
        if actor.id == allowed.id:
            continue
        r = fire(api, d, event, actor, body)
        # Outside the dossier's territory (another unit, commune or province): 404, as if absent.
        outside = where in ("other", "other_province") or (role == "unit" and actor.id != rep.id)
        assert r.status_code == (404 if outside else 403), (actor, r.text)
        assert r.json()["detail"]
    after = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(allowed)).json()
    assert after["version"] == d["version"]
    assert fire(api, d, event, allowed, body).status_code == 200


def test_actions_say_what_the_caller_may_do_and_why_not(api):
    w = api.world
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.client.get(
        f"/api/v1/dossiers/{d['id']}/actions", headers=api.auth(w.actor("commune_reviewer"))
    ).json()
    allowed = {a["event"] for a in reviewer if a["allowed"]}
    assert allowed == {"commune_approve", "return_for_revision"}  # reject is the UBND's
    police = api.client.get(
        f"/api/v1/dossiers/{d['id']}/actions", headers=api.auth(w.actor("police"))
    ).json()
    approve = next(a for a in police if a["event"] == "commune_approve")
    assert not approve["allowed"] and "commune_reviewer" in approve["reasons"][0]


def test_units_are_listed_by_territory_and_registered_by_officials(api):
    w = api.world
    own = api.client.get("/api/v1/units", headers=api.auth(w.actor("commune_reviewer"))).json()
    assert {u["commune_code"] for u in own["items"]} == {w.commune}
    assert api.client.get("/api/v1/units", headers=api.auth(w.actor("unit", "KDC"))).json()[
        "items"
    ] == [u for u in own["items"] if u["id"] == w.units["KDC"]["id"]]
    new = {"subject_type": "KDC", "commune_code": w.commune, "name": "Thôn Mới"}
    r = api.client.post("/api/v1/units", json=new, headers=api.auth(w.actor("commune_reviewer")))
    assert r.status_code == 201 and r.json()["name"] == "Thôn Mới"
    assert r.headers["Location"] == f"/api/v1/units/{r.json()['id']}"
    again = api.client.get(r.headers["Location"], headers=api.auth(w.actor("commune_reviewer")))
    assert again.status_code == 200 and again.json() == r.json()
    assert (
        api.client.get(
            r.headers["Location"], headers=api.auth(w.actor("auditor", "other"))
        ).status_code
        == 404  # outside the territory: as for no unit
    )
    assert (
        api.client.get("/api/v1/units/999999", headers=api.auth(w.actor("auditor"))).status_code
        == 404
    )
    r = api.client.post(
        "/api/v1/units", json=new, headers=api.auth(w.actor("commune_reviewer", "other"))
    )
    assert r.status_code == 403
    r = api.client.post(
        "/api/v1/units",
        headers=api.auth(w.actor("province_admin", "province")),
        json={
            "subject_type": "CSGD",
            "commune_code": w.commune,
            "name": "Trường Tiểu học",
            "kind": "primary",
        },
    )
    assert r.status_code == 422 and r.json()["reasons"]
