"""schemathesis against /openapi.json, in process: whatever the schema allows a client to send,
the answer is never a 5xx and always matches the documented schema, status and content type."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from tests.schema_checks import excluded_checks

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_response_matches_the_schema(case, seeded):
    response = case.call_and_validate(
        headers={**(case.headers or {}), **seeded}, excluded_checks=excluded_checks(case)
    )
    assert response.status_code < 500
