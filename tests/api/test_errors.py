"""Every error a client can cause is a problem+json 4xx with a reason; never a 500."""

from __future__ import annotations

from states.lifecycle import Event
from tests.api.helpers import fire, register

PROBLEM = "application/problem+json"


def _problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_no_token_and_a_bad_token_are_401_with_a_challenge(api):
    r = api.client.get("/api/v1/dossiers")
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert "Bearer" in _problem(r, 401)["detail"]
    r = api.client.get("/api/v1/dossiers", headers={"Authorization": "Bearer nope"})
    assert "invalid_token" in r.headers["WWW-Authenticate"]
    _problem(r, 401)


def test_unknown_dossier_is_404(api):
    body = _problem(
        api.client.get(
            "/api/v1/dossiers/999999", headers=api.auth(api.world.actor("auditor", "province"))
        ),
        404,
    )
    assert "999999" in body["detail"]


def test_missing_if_match_is_428_and_a_malformed_one_400(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    url = f"/api/v1/dossiers/{d['id']}/events/withdraw"
    assert "If-Match" in _problem(api.client.post(url, headers=api.auth(rep)), 428)["detail"]
    _problem(api.client.post(url, headers={**api.auth(rep), "If-Match": "yesterday"}), 400)


def test_a_stale_version_is_412_with_the_current_one(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    assert fire(api, d, Event.SUBMIT_SELF_SCORE, rep).status_code == 200
    r = fire(api, d, Event.WITHDRAW, rep, {})  # still sends If-Match "1"
    body = _problem(r, 412)
    assert body["current_version"] == 2 and r.headers["ETag"] == '"2"'
    trail = api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=api.auth(rep)).json()
    assert len(trail) == 2  # nothing written by the refused call


def test_an_event_not_allowed_in_the_state_is_409_with_the_allowed_ones(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    body = _problem(
        fire(
            api,
            d,
            Event.RECOGNISE,
            api.world.actor("ubnd", "province"),
            {"decision_no": "1/QĐ", "decision_date": "2026-11-12"},
        ),
        409,
    )
    assert body["allowed_events"] == ["submit_self_score", "withdraw"]


def test_a_guard_failure_is_422_listing_every_reason(api):
    w = api.world
    rep = w.actor("unit", "CQ")
    d = register(api, w.units["CQ"], rep)
    body = _problem(fire(api, d, Event.SUBMIT_SELF_SCORE, rep, {}), 422)
    assert len(body["reasons"]) >= 2  # the assessment, the score sheet, the papers
    assert any("assessment" in r for r in body["reasons"])


def test_invalid_fields_are_422_with_field_paths(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    body = _problem(
        fire(api, d, Event.WITHDRAW, rep, {"decision_date": "not a date", "colour": 1}), 422
    )
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.decision_date", "body.colour"}
    body = _problem(
        api.client.post(
            "/api/v1/dossiers", headers=api.auth(rep), json={"unit_id": "x", "year": 1900}
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"body.unit_id", "body.year"}


def test_an_unknown_event_is_422_naming_the_path_parameter(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    r = api.client.post(
        f"/api/v1/dossiers/{d['id']}/events/approve_everything",
        headers={**api.auth(rep), "If-Match": '"1"'},
    )
    assert {e["field"] for e in _problem(r, 422)["errors"]} == {"path.event"}


def test_broken_json_is_422_and_an_oversized_body_413(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    url = f"/api/v1/dossiers/{d['id']}/events/withdraw"
    headers = {**api.auth(rep), "If-Match": '"1"', "Content-Type": "application/json"}
    _problem(api.client.post(url, content=b'{"reason": ', headers=headers), 422)
    big = b'{"reason": "' + b"x" * (300 * 1024) + b'"}'
    _problem(api.client.post(url, content=big, headers=headers), 413)
    chunks = (b'{"reason": "', b"y" * (300 * 1024), b'"}')  # no Content-Length: chunked
    _problem(api.client.post(url, content=iter(chunks), headers=headers), 413)
    assert (
        api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(rep)).json()["version"] == 1
    )


def test_unknown_routes_and_methods_are_problems_too(api):
    _problem(api.client.get("/api/v1/nothing-here"), 404)
    _problem(api.client.delete("/api/v1/workflow"), 405)


def test_a_unit_cannot_read_another_units_dossier(api):
    w = api.world
    d = register(api, w.units["CQ"], w.actor("unit", "CQ"))
    body = _problem(
        api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(w.actor("unit", "DN"))), 404
    )
    assert "dossier" in body["detail"]
    _problem(
        api.client.get(
            f"/api/v1/dossiers/{d['id']}/audit",
            headers=api.auth(w.actor("auditor", "other_province")),
        ),
        404,
    )


def test_out_of_range_ids_and_nul_characters_are_422_not_database_errors(api):
    w = api.world
    rep = w.actor("unit", "CQ")
    _problem(api.client.get(f"/api/v1/dossiers/{2**31}", headers=api.auth(rep)), 422)
    _problem(
        api.client.post(
            "/api/v1/dossiers", json={"unit_id": 2**31, "year": 2026}, headers=api.auth(rep)
        ),
        422,
    )
    d = register(api, w.units["CQ"], rep)
    body = _problem(fire(api, d, Event.WITHDRAW, rep, {"reason": "a\x00b"}), 422)
    assert body["errors"][0]["field"] == "body.reason"


def test_an_unknown_query_parameter_is_422_not_ignored(api):
    r = api.client.get(
        "/api/v1/dossiers",
        params={"stat": "recognised"},
        headers=api.auth(api.world.actor("auditor", "province")),
    )
    body = _problem(r, 422)
    assert body["errors"][0]["field"] == "query.stat" and "state" in body["errors"][0]["message"]


def test_a_database_that_cannot_serve_is_a_503_to_retry(api, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from workflow import users

    def locked(token, engine=None):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(users, "authenticate", locked)
    monkeypatch.setattr("api.auth.authenticate", locked)
    r = api.client.get("/api/v1/dossiers", headers=api.auth(api.world.actor("auditor")))
    body = _problem(r, 503)
    assert r.headers["Retry-After"] == "2" and "nothing was changed" in body["detail"]


def test_every_route_refuses_an_unknown_query_parameter(api):
    """Routes without query parameters too: a misspelt one is refused, never ignored."""
    headers = api.auth(api.world.actor("province_admin", "province"))
    paths = api.client.get("/openapi.json").json()["paths"]
    assert len(paths) >= 12
    for template, operations in paths.items():
        path = template.replace("{dossier_id}", "1").replace("{unit_id}", "1")
        path = path.replace("{event}", "withdraw")
        for method in operations:
            r = api.client.request(
                method, path, params={"zz_unknown": "1"}, headers={**headers, "If-Match": '"1"'}
            )
            body = _problem(r, 422)
            assert "query.zz_unknown" in {e["field"] for e in body["errors"]}, (method, path)
