"""schemathesis against the running server's /openapi.json, over the network: no 5xx, every
response as documented."""

from __future__ import annotations

import subprocess

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.blackbox.conftest import BIN
from tests.schema_checks import excluded_checks


@pytest.fixture(scope="session")
def live_schema(server):
    url, _ = server
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.fixture(scope="session")
def admin_token(server):
    _, env = server
    done = subprocess.run(
        [
            str(BIN / "dossier"),
            "user",
            "add",
            "--name",
            "schemathesis",
            "--role",
            "province_admin",
            "--territory",
            "51",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_live_server_never_answers_5xx_and_matches_its_schema(live_schema, admin_token):
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case):
            response = case.call_and_validate(
                headers={**(case.headers or {}), "Authorization": f"Bearer {admin_token}"},
                excluded_checks=excluded_checks(case),
            )
            assert response.status_code < 500

        check()
