"""/metrics: not exposed unless METRICS_TOKEN is set, then only to that bearer token; every
request counted under its route's template."""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.app import create_app
from tests.api.conftest import ApiWorld
from tests.api.helpers import register
from workflow.settings import get_settings

TOKEN = "metrics-scraper-secret-0123456789"


def _app_with_metrics():
    os.environ["METRICS_TOKEN"] = TOKEN
    get_settings.cache_clear()
    try:
        return create_app()
    finally:
        del os.environ["METRICS_TOKEN"]
        get_settings.cache_clear()


metrics_schema = schemathesis.openapi.from_asgi("/openapi.json", _app_with_metrics()).include(
    path="/metrics"
)


@pytest.fixture
def metrics_token(api: ApiWorld, monkeypatch):
    """The setting is read when the app is built: the world's client is rebuilt with it."""
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    api.client = TestClient(create_app(), raise_server_exceptions=False)
    yield TOKEN
    get_settings.cache_clear()


def _count(text: str, method: str, route: str, status: int) -> float:
    pattern = (
        rf'^antt_http_requests_total\{{method="{method}",route="{re.escape(route)}",'
        rf'status="{status}"\}} (\S+)$'
    )
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_without_a_token_setting_metrics_are_not_exposed(api: ApiWorld, monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    api.client = TestClient(create_app(), raise_server_exceptions=False)
    assert "/metrics" not in api.client.get("/openapi.json").json()["paths"]
    for headers in ({}, {"Authorization": "Bearer anything"}):
        r = api.client.get("/metrics", headers=headers)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "antt_" not in r.text


def test_metrics_need_the_configured_bearer_token(api: ApiWorld, metrics_token):
    missing = api.client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "antt_" not in missing.text
    for wrong in (metrics_token[:-1], metrics_token + "x", "", "x" * 4000):
        r = api.client.get("/metrics", headers={"Authorization": f"Bearer {wrong}"})
        assert r.status_code == 401, wrong
        assert "antt_" not in r.text
    # A user's API token is not the scraper's token.
    rep = api.world.unit_actor(api.world.units["KDC"])
    assert api.client.get("/metrics", headers=api.auth(rep)).status_code == 401
    ok = api.client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")
    assert "antt_http_requests_total" in ok.text
    assert "/metrics" in api.client.get("/openapi.json").json()["paths"]


def test_requests_are_counted_under_their_route_template(api: ApiWorld, metrics_token):
    auth = {"Authorization": f"Bearer {metrics_token}"}
    before = api.client.get("/metrics", headers=auth).text
    unit = api.world.units["KDC"]
    rep = api.world.unit_actor(unit)
    dossier = register(api, unit, rep)
    assert api.client.get(f"/api/v1/dossiers/{dossier['id']}", headers=api.auth(rep)).is_success
    assert api.client.get("/api/v1/no-such-thing", headers=api.auth(rep)).status_code == 404
    after = api.client.get("/metrics", headers=auth).text

    def grew(method: str, route: str, status: int) -> float:
        return _count(after, method, route, status) - _count(before, method, route, status)

    assert grew("POST", "/api/v1/dossiers", 201) == 1
    assert grew("GET", "/api/v1/dossiers/{dossier_id}", 200) == 1
    # Only a path no route matches is "unmatched", and the id never becomes a label.
    assert grew("GET", "unmatched", 404) == 1
    assert f'/api/v1/dossiers/{dossier["id"]}"' not in after


@metrics_schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_metrics_route_keeps_its_documented_contract(case, engine, monkeypatch):
    """Whatever a client sends: never a 5xx, and the numbers only to the token's holder."""
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    response = case.call_and_validate()
    assert response.status_code < 500
    sent = (case.headers or {}).get("Authorization", "")
    assert (response.status_code == 200) == (sent == f"Bearer {TOKEN}" and case.method == "GET")
    get_settings.cache_clear()
