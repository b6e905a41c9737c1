"""The API tests' world (a client over the app, the test database's units and seats)."""

from tests.api.conftest import api  # noqa: F401
