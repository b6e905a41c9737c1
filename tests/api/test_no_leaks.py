"""Officials outside a dossier's territory learn nothing: every probe (reads, stale fires,
wrong-state fires, right fires) gets the very answer of a dossier that does not exist, byte for
byte but the id; nothing names the dossier's state, version, commune, province, unit or allowed
events. Inside the territory, only someone who may act on the event learns of a conflict."""

from __future__ import annotations

import re

import pytest

from states import examples
from states.lifecycle import Event, State
from tests.api.helpers import payload_for, walk
from tests.engine.helpers import YEAR

MISSING = 987654  # no test registers this many dossiers or units
# Headers that differ between any two requests, whatever they ask (Server-Timing says how long
# the answer took: what the client's own clock reads anyway).
PER_REQUEST = {"date", "x-request-id", "content-length", "server-timing"}
# The id inside paths and texts ("/dossiers/7/", "hồ sơ số 7", "dossier 7", "unit 7").
_ID = re.compile(r"(/dossiers/|/units/|số |dossier |unit )\d+")

OUTSIDERS = [
    ("commune_reviewer", "other"),
    ("police", "other"),
    ("ubnd", "other"),
    ("auditor", "other"),
    ("commune_reviewer", "other_province"),
    ("police", "other_province"),
    ("ubnd", "other_province"),
    ("province_admin", "other_province"),
    ("auditor", "other_province"),
    ("unit", "other_KDC"),  # another commune's unit
    ("unit", "CQ"),  # a unit of the same commune
]


def _without_id(text: str) -> str:
    return _ID.sub(r"\1N", text)


def _probes(dossier: dict, stale: int) -> list[tuple[str, str, str, dict, dict | None]]:
    """(name, method, path suffix, headers, json) for every way to ask about a dossier."""
    right = f'"{dossier["version"]}"'
    approve = payload_for(Event.COMMUNE_APPROVE, dossier)
    return [
        ("read", "GET", "", {}, None),
        ("read if changed", "GET", "", {"If-None-Match": right}, None),
        ("actions", "GET", "/actions", {}, None),
        ("assessment", "GET", "/assessment", {}, None),
        ("audit", "GET", "/audit", {}, None),
        ("audit verify", "GET", "/audit/verify", {}, None),
        ("audit proof", "GET", "/audit/proof", {}, None),
        ("stale fire", "POST", "/events/commune_approve", {"If-Match": f'"{stale}"'}, approve),
        ("wrong-state fire", "POST", "/events/recognise", {"If-Match": right}, {}),
        ("right fire", "POST", "/events/commune_approve", {"If-Match": right}, approve),
        (
            "right fire, with a key",
            "POST",
            "/events/commune_approve",
            {"If-Match": right, "Idempotency-Key": "probe-1"},
            approve,
        ),
        ("withdraw", "POST", "/events/withdraw", {"If-Match": right}, {}),
    ]


def _ask(api, actor, method: str, path: str, headers: dict, body: dict | None):
    return api.client.request(
        method,
        path,
        headers={**api.auth(actor), **headers},
        json=body if method == "POST" else None,
    )


def _secrets(api, dossier: dict) -> list[str]:
    unit = api.world.units["KDC"]
    return [
        dossier["state"],
        '"version"',
        "current_version",
        "allowed_events",
        "self_scored",
        str(unit["commune_code"]),
        unit["name"],
        "commune_approve, ",  # a list of allowed events
    ]


def _assert_same_as_missing(api, actor, dossier: dict, secrets: list[str], kind: str) -> None:
    for name, method, suffix, headers, body in _probes(dossier, stale=dossier["version"] - 1):
        if "Idempotency-Key" in headers:  # a key is the caller's own: one per request here
            headers = {**headers, "Idempotency-Key": f"probe-{kind}-{actor.id}"}
        real = _ask(api, actor, method, f"/api/v1/dossiers/{dossier['id']}{suffix}", headers, body)
        if "Idempotency-Key" in headers:
            headers = {**headers, "Idempotency-Key": f"probe-{kind}-{actor.id}-missing"}
        missing = _ask(api, actor, method, f"/api/v1/dossiers/{MISSING}{suffix}", headers, body)
        where = f"{actor.role.value}/{name}"
        assert real.status_code == 404, (where, real.text)
        assert missing.status_code == 404, (where, missing.text)
        assert _without_id(real.text) == _without_id(missing.text), where
        real_headers = {k: v for k, v in real.headers.items() if k not in PER_REQUEST}
        missing_headers = {k: v for k, v in missing.headers.items() if k not in PER_REQUEST}
        assert real_headers == missing_headers, where
        assert "etag" not in real.headers, where
        text = _without_id(real.text) + repr(real_headers)
        for secret in secrets:
            assert secret not in text, (where, secret, real.text)
        assert str(api.world.units["KDC"]["province_code"]) not in text, (where, real.text)


@pytest.mark.parametrize("who", OUTSIDERS, ids=["-".join(w) for w in OUTSIDERS])
def test_an_outsider_gets_the_answer_of_a_missing_dossier(api, who):
    d = walk(api, "KDC", State.SELF_SCORED)
    _assert_same_as_missing(api, api.world.actor(*who), d, _secrets(api, d), "-".join(who))
    # and nothing moved
    reviewer = api.world.actor("commune_reviewer")
    after = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(reviewer)).json()
    assert (after["state"], after["version"]) == (d["state"], d["version"])


def test_an_outsider_filtering_by_the_dossiers_commune_finds_nothing(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    for who in OUTSIDERS:
        r = api.client.get(
            "/api/v1/dossiers",
            params={"commune": api.world.commune, "state": d["state"]},
            headers=api.auth(api.world.actor(*who)),
        )
        assert r.status_code == 200 and r.json()["items"] == [], (who, r.text)


def test_an_outsider_gets_the_answer_of_a_missing_unit(api):
    unit = api.world.units["KDC"]
    for who in OUTSIDERS:
        actor = api.world.actor(*who)
        real = api.client.get(f"/api/v1/units/{unit['id']}", headers=api.auth(actor))
        missing = api.client.get(f"/api/v1/units/{MISSING}", headers=api.auth(actor))
        assert real.status_code == missing.status_code == 404, (who, real.text)
        assert _without_id(real.text) == _without_id(missing.text), who
        assert unit["name"] not in real.text and str(unit["commune_code"]) not in real.text
        # registering a dossier for it: the same answer as for a unit that does not exist
        body = {"unit_id": unit["id"], "year": YEAR, **examples.registration_payload("KDC")}
        real = api.client.post("/api/v1/dossiers", json=body, headers=api.auth(actor))
        missing = api.client.post(
            "/api/v1/dossiers", json={**body, "unit_id": MISSING}, headers=api.auth(actor)
        )
        assert real.status_code == missing.status_code == 404, (who, real.text)
        assert _without_id(real.text) == _without_id(missing.text), who


def test_a_reader_who_may_not_act_learns_no_conflict(api):
    """The commune's auditor and police read the dossier, but neither approves: a stale or a
    wrong-state approval is 403, without the version, the state or the allowed events."""
    d = walk(api, "KDC", State.SELF_SCORED)
    for who in (("auditor", "own"), ("police", "own"), ("ubnd", "province")):
        actor = api.world.actor(*who)
        for if_match in (f'"{d["version"] - 1}"', f'"{d["version"]}"'):
            r = api.client.post(
                f"/api/v1/dossiers/{d['id']}/events/commune_approve",
                json=payload_for(Event.COMMUNE_APPROVE, d),
                headers={**api.auth(actor), "If-Match": if_match},
            )
            assert r.status_code == 403, (who, r.text)
            body = r.json()
            assert not {"current_version", "state", "allowed_events"} & body.keys(), body
            assert "etag" not in r.headers and "self_scored" not in r.text
    # the UBND of the commune decides KDC dossiers: it may reject, so it learns of a stale version
    ubnd = api.world.actor("ubnd")
    r = api.client.post(
        f"/api/v1/dossiers/{d['id']}/events/reject",
        json={"reason": "thiếu hồ sơ"},
        headers={**api.auth(ubnd), "If-Match": f'"{d["version"] - 1}"'},
    )
    assert r.status_code == 412 and r.json()["current_version"] == d["version"]
    # and of a wrong state, with what is allowed instead
    r = api.client.post(
        f"/api/v1/dossiers/{d['id']}/events/recognise",
        json={"decision_no": "1/QĐ", "decision_date": "2026-05-01"},
        headers={**api.auth(ubnd), "If-Match": f'"{d["version"]}"'},
    )
    assert r.status_code == 409 and r.json()["state"] == "self_scored"


def test_lists_and_reads_agree_for_every_seat(api):
    """A list shows exactly the dossiers (and units) its caller may read one by one: the SQL
    scope and the single read are one rule."""
    w = api.world
    dossiers = [walk(api, key, State.REGISTERED) for key in ("KDC", "CQ", "XA", "other_KDC")]
    for actor in {a.id: a for a in w.actors.values()}.values():
        auth = api.auth(actor)
        listed = [d["id"] for d in api.client.get("/api/v1/dossiers", headers=auth).json()["items"]]
        readable = [
            d["id"]
            for d in dossiers
            if api.client.get(f"/api/v1/dossiers/{d['id']}", headers=auth).status_code == 200
        ]
        assert listed == readable, actor
        units = [u["id"] for u in api.client.get("/api/v1/units", headers=auth).json()["items"]]
        readable_units = [
            u["id"]
            for u in w.units.values()
            if api.client.get(f"/api/v1/units/{u['id']}", headers=auth).status_code == 200
        ]
        assert sorted(units) == sorted(readable_units), actor
