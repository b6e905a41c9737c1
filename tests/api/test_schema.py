"""schemathesis against /openapi.json, in process: whatever the schema allows a client to send,
the answer is never a 5xx and always matches the documented schema, status and content type."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from states.lifecycle import State
from tests.api.helpers import walk

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture
def seeded(api):
    """A province administrator's token over a province with dossiers in several states."""
    for key, state in (("KDC", State.SELF_SCORED), ("CQ", State.REGISTERED), ("DN", State.RECOGNISED)):
        walk(api, key, state)
    return api.auth(api.world.actor("province_admin", "province"))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_response_matches_the_schema(case, seeded):
    # A schema-valid body can still fail the year's rules (a guard, the registration window):
    # that is a 422 with reasons by design, so "valid data must be accepted" does not apply.
    excluded = [positive_data_acceptance]
    # The seeded token replaces whatever Authorization a negative case sent, so a case whose
    # violation was a missing or spoiled Authorization header is a valid request by the time it
    # is sent: "invalid data must be rejected" cannot hold for it.
    if any(name.lower() == "authorization" for name, _ in negated_parameters(case.meta)):
        excluded.append(negative_data_rejection)
    response = case.call_and_validate(headers={**(case.headers or {}), **seeded},
                                      excluded_checks=excluded)
    assert response.status_code < 500
