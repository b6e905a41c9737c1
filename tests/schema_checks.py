"""What schemathesis may judge when the tests send their own token with every case."""

from __future__ import annotations

from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance


def excluded_checks(case) -> list:
    # A schema-valid body can still fail the year's rules (a guard, the registration window): a
    # 422 with reasons by design, so "valid data must be accepted" does not apply. The tests'
    # token replaces whatever Authorization a negative case sent, so a case whose violation was
    # a missing or spoiled Authorization header is a valid request by the time it is sent.
    excluded = [positive_data_acceptance]
    if any(name.lower() == "authorization" for name, _ in negated_parameters(case.meta)):
        excluded.append(negative_data_rejection)
    return excluded
