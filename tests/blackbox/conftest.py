"""A real server, started with the README's command (`dossier run`), on its own database."""

from __future__ import annotations

import pytest

from tests.conftest import scratch_database
from tests.serving import BIN, ROOT, running_server

__all__ = ["BIN", "ROOT"]


@pytest.fixture(scope="session")
def server_db(tmp_path_factory):
    with scratch_database("test_blackbox", tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def server(server_db, tmp_path_factory):
    """(base url, environment) of `dossier run` serving a freshly migrated, demo-seeded database."""
    with running_server(server_db, tmp_path_factory.mktemp("server") / "server.log") as running:
        yield running
