"""`dossier bench api` walks every dossier to recognised over HTTP without a single error (its
figures are read from the command, not asserted here)."""

from __future__ import annotations

import pytest

from bench import http
from tests.conftest import ON_POSTGRES


@pytest.mark.slow
def test_bench_api_walks_every_dossier_without_errors():
    # The server the bench starts serves the bench's own scratch database.
    result = http.run(db="postgres" if ON_POSTGRES else "sqlite", dossiers=12, clients=3)
    assert result["errors"] == 0 and result["healthz"]["errors"] == 0
    assert result["requests"] == 12 * 5
    assert result["requests_per_s"] > 0 and result["p99_ms"] >= result["p50_ms"]
