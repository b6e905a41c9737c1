"""The pages run on the API tests' world (tests/api/conftest.py)."""

from tests.api.conftest import api  # noqa: F401  (the fixture, shared)
