"""Small hostile bodies and headers from a signed-in user: each a 422 (or a cut value) at the
edge, never a 500, and the database unchanged."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from states.lifecycle import Event, State
from tests.api.helpers import fire, register, walk
from tests.hostile import database_snapshot
from workflow.db import read_connection
from workflow.models import AuditEvent

PROBLEM = "application/problem+json"


def _refused(r, status: int = 422) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def self_scoring(api):
    """A dossier waiting for its self-assessment, its unit's representative, and the raw POST."""
    d = walk(api, "CQ", State.REGISTERED)
    rep = api.world.unit_actor(api.world.units["CQ"])
    url = f"/api/v1/dossiers/{d['id']}/events/{Event.SUBMIT_SELF_SCORE.value}"
    headers = {**api.auth(rep), "If-Match": f'"{d["version"]}"', "Content-Type": "application/json"}

    def post(raw: str | bytes):
        return api.client.post(url, content=raw, headers=headers)

    return d, rep, post


@pytest.mark.parametrize("field", ["assessment", "scores", "papers"])
def test_json_nested_past_32_levels_in_a_free_field_is_422(api, self_scoring, field):
    _, _, post = self_scoring
    raw = '{"' + field + '": {"a": ' + _nested(200) + "}}"
    assert len(raw) < 1024
    before = database_snapshot()
    body = _refused(post(raw))
    assert "32" in body["detail"] and body["type"] == "/problems/invalid-input"
    assert database_snapshot() == before


def test_brackets_inside_strings_do_not_count_as_nesting(api, self_scoring):
    d, _, post = self_scoring
    raw = '{"reason": "@", "papers": {"note": "\\"[[[["}}'.replace("@", "[{" * 300)
    r = post(raw)
    assert r.status_code != 422 or "32" not in r.json()["detail"], r.text


def test_a_body_nested_thousands_deep_is_422_not_a_recursion_error(api, self_scoring):
    _, _, post = self_scoring
    _refused(post('{"papers": ' + "{" * 100_000))
    _refused(post(_nested(50_000)))


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\ud83dy", "\\udc00\\ud800"])
def test_a_lone_surrogate_escape_in_any_text_field_is_422(api, self_scoring, escape):
    _, _, post = self_scoring
    before = database_snapshot()
    for raw in (
        '{"reason": "@"}'.replace("@", escape),
        '{"papers": {"note": "@"}}'.replace("@", escape),
        '{"papers": {"@": 1}}'.replace("@", escape),  # in a key too
    ):
        body = _refused(post(raw))
        assert "surrogate" in body["detail"]
    assert database_snapshot() == before


def test_a_paired_surrogate_escape_is_an_ordinary_character(api, self_scoring):
    _, _, post = self_scoring
    r = post('{"reason": "\\ud83d\\ude00"}')  # an emoji, written as JSON may write it
    assert r.status_code != 422 or "surrogate" not in r.text, r.text


@pytest.mark.parametrize(
    "number", [str(2**63), str(-(2**63) - 1), "9" * 5000, "1e400", "-1e400", "NaN", "Infinity"]
)
def test_numbers_past_int64_or_not_finite_are_422_in_every_field(api, self_scoring, number):
    _, _, post = self_scoring
    before = database_snapshot()
    for raw in ('{"papers": {"count": @}}', '{"scores": {"c1": [@]}}'):
        body = _refused(post(raw.replace("@", number)))
        assert "number" in body["detail"]
    assert database_snapshot() == before


def test_overflowing_numbers_in_typed_fields_are_422(api):
    rep = api.world.unit_actor(api.world.units["KDC"])
    headers = {**api.auth(rep), "Content-Type": "application/json"}
    for raw in (
        f'{{"unit_id": 1, "year": {2**64}}}',
        f'{{"unit_id": {2**63}, "year": 2026}}',
        '{"unit_id": 1, "year": 2026, "households": {"registered": @, "total": 1}}'.replace(
            "@", str(2**70)
        ),
    ):
        _refused(api.client.post("/api/v1/dossiers", content=raw, headers=headers))


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("[1e400]"),
        _cursor("[-1e400, 1]"),
        _cursor("[NaN]"),
        _cursor(f"[{2**64}]"),
        _cursor("[-1]"),
        _cursor('["9999-12-31T23:59:59", 1e999]'),
        _cursor('["99999-01-01", 1]'),
        _cursor('[{"a": 1}, 1]'),
        _cursor(
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        ),
        "!!!not-base64!!!",
        "%00",
        _cursor("\udcff".encode("utf-8", "surrogatepass").decode("latin-1")),
    ],
)
def test_a_cursor_that_decodes_to_garbage_or_an_out_of_range_number_is_422(api, cursor):
    headers = api.auth(api.world.actor("province_admin", "province"))
    for path in ("/api/v1/dossiers", "/api/v1/units", "/api/v1/users"):
        for extra in ({}, {"acted_by_me": "true"}, {"awaiting_me": "true"}):
            if extra and path != "/api/v1/dossiers":
                continue
            r = api.client.get(path, params={"cursor": cursor, **extra}, headers=headers)
            body = _refused(r)
            assert "cursor" in body["detail"], (path, extra, body)


def test_a_notice_cursor_past_the_id_range_is_422(api):
    headers = api.auth(api.world.actor("province_admin", "province"))
    for path in ("/api/v1/me/notices", "/api/v1/me/outbox"):
        for cursor in (str(2**63), "1e400", "abc"):
            r = api.client.get(path, params={"cursor": cursor}, headers=headers)
            if r.status_code == 404:  # a route this build does not have
                continue
            _refused(r)


def test_thousands_of_errors_list_the_first_50_and_a_count(api):
    rep = api.world.unit_actor(api.world.units["KDC"])
    body = {"unit_id": 1, "year": 2026, **{f"unknown_{i}": i for i in range(5000)}}
    r = api.client.post("/api/v1/dossiers", json=body, headers=api.auth(rep))
    problem = _refused(r)
    assert len(problem["errors"]) == 50 and len(problem["reasons"]) == 50
    assert problem["error_count"] == 5000
    assert "5000" in problem["detail"]
    assert len(r.content) < 20_000


def test_a_few_errors_are_listed_whole(api):
    rep = api.world.unit_actor(api.world.units["KDC"])
    body = {"unit_id": 1, "year": 2026, "a": 1, "b": 2}
    problem = _refused(api.client.post("/api/v1/dossiers", json=body, headers=api.auth(rep)))
    assert len(problem["errors"]) == 2 and problem["error_count"] == 2


def test_a_long_request_id_is_cut_once_and_the_audit_row_keeps_the_cut(api):
    unit = api.world.units["CQ"]
    rep = api.world.unit_actor(unit)
    sent = "req-" + "x" * 5000 + "\u00e9\u00ff"
    r = api.client.post(
        "/api/v1/dossiers",
        json={"unit_id": unit["id"], "year": 2026},
        headers={**api.auth(rep), "X-Request-ID": sent.encode("latin-1")},
    )
    assert r.status_code == 201, r.text
    echoed = r.headers["x-request-id"]
    assert len(echoed) == 100 and echoed == sent[:100]
    with read_connection() as conn:
        stored = conn.execute(
            select(AuditEvent.__table__.c.request_id).where(
                AuditEvent.__table__.c.dossier_id == r.json()["id"]
            )
        ).scalar_one()
    assert stored == echoed


def test_a_request_id_keeps_only_printable_ascii(api):
    d = register(api, api.world.units["CQ"], api.world.unit_actor(api.world.units["CQ"]))
    rep = api.world.unit_actor(api.world.units["CQ"])
    r = fire(api, d, Event.WITHDRAW, rep, {"reason": "thử"}, **{"X-Request-ID": b"ab\tc\x7fd\xe9e"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "abcde"
    with read_connection() as conn:
        stored = conn.execute(
            select(AuditEvent.__table__.c.request_id)
            .where(AuditEvent.__table__.c.dossier_id == d["id"])
            .order_by(AuditEvent.__table__.c.id.desc())
            .limit(1)
        ).scalar_one()
    assert stored == "abcde"


def test_a_request_id_of_nothing_printable_gets_a_fresh_one(api):
    r = api.client.get("/healthz", headers={"X-Request-ID": "\t\t"})
    assert len(r.headers["x-request-id"]) == 36
