"""A full lifecycle per subject type over HTTP: register, walk to recognised, read the trail."""

from __future__ import annotations

import pytest

from states.lifecycle import Event, State
from tests.api.helpers import engine_view, fire, payload_for, register
from tests.engine.helpers import PATH_TO, YEAR, authorised_actor, recognise_commune_units

UNIT_KEYS = ["KDC", "XA", "CQ", "CQ_commune", "DN", "CSGD"]


@pytest.mark.parametrize("key", UNIT_KEYS)
def test_walk_to_recognised_with_etags_and_a_verified_trail(api, key):
    w = api.world
    unit = w.units[key]
    if key == "XA":  # a commune is recognised only after the units it manages
        recognise_commune_units(w, unit["commune_code"], YEAR)
    rep = w.unit_actor(unit)
    r = api.client.post(
        "/api/v1/dossiers",
        headers=api.auth(rep),
        json={
            "unit_id": unit["id"],
            "year": YEAR,
            **({"households": {"registered": 120, "total": 120}} if key == "KDC" else {}),
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"] == f"/api/v1/dossiers/{r.json()['id']}"
    d = r.json()
    assert (d["state"], d["unit"]["id"], d["step"]["role"]) == ("registered", unit["id"], "unit")
    for n, event in enumerate(PATH_TO[State.RECOGNISED], start=2):
        actor = authorised_actor(w, engine_view(d), event, rep)
        r = fire(api, d, event, actor)
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] == f'"{n}"'
        d = r.json()
        assert d["version"] == n
    assert d["state"] == "recognised" and d["closed"] and d["step"] is None
    assert d["decision_no"] == "15/QĐ-UBND" and d["decision_date"] == "2026-11-12"
    got = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(rep))
    assert got.status_code == 200 and got.headers["ETag"] == '"5"'
    assert got.json()["assessment"] == d["assessment"] is not None
    trail = api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=api.auth(rep)).json()
    assert [e["event"] for e in trail] == [
        "register",
        "submit_self_score",
        "commune_approve",
        "police_verify",
        "recognise",
    ]
    assert [e["seq"] for e in trail] == [1, 2, 3, 4, 5]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(trail, trail[1:]))
    verify = api.client.get(
        f"/api/v1/dossiers/{d['id']}/audit/verify", headers=api.auth(rep)
    ).json()
    assert verify == {"ok": True, "dossier_id": d["id"], "events": 5, "findings": []}


def test_if_none_match_gives_304_until_the_dossier_changes(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    url = f"/api/v1/dossiers/{d['id']}"
    r = api.client.get(url, headers={**api.auth(rep), "If-None-Match": '"1"'})
    assert r.status_code == 304 and r.headers["ETag"] == '"1"'
    assert fire(api, d, Event.SUBMIT_SELF_SCORE, rep).status_code == 200
    r = api.client.get(url, headers={**api.auth(rep), "If-None-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2


def test_return_for_revision_sends_the_dossier_back_with_the_guidance(api):
    w = api.world
    rep = w.actor("unit", "KDC")
    d = register(api, w.units["KDC"], rep)
    d = fire(api, d, Event.SUBMIT_SELF_SCORE, rep).json()
    r = fire(
        api,
        d,
        Event.RETURN_FOR_REVISION,
        w.actor("commune_reviewer"),
        {"reason": "Bổ sung biên bản họp dân"},
    )
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["state"] == "registered" and back["last_reason"] == "Bổ sung biên bản họp dân"
    assert back["step"]["role"] == "unit"
    again = fire(
        api, back, Event.SUBMIT_SELF_SCORE, rep, payload_for(Event.SUBMIT_SELF_SCORE, back)
    )
    assert again.status_code == 200 and again.json()["state"] == "self_scored"


def test_assessment_view_sets_the_self_assessment_beside_the_verified_one(api):
    w = api.world
    rep = w.actor("unit", "CQ")
    d = register(api, w.units["CQ"], rep)
    for event in PATH_TO[State.POLICE_VERIFIED]:
        d = fire(api, d, event, authorised_actor(w, engine_view(d), event, rep)).json()
    view = api.client.get(f"/api/v1/dossiers/{d['id']}/assessment", headers=api.auth(rep))
    assert view.status_code == 200
    body = view.json()
    assert body["self_total"] == body["verified_total"] > 0
    assert body["criteria_met"] == body["criteria_total"] > 0
