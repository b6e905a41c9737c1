"""The benchmark commands run the real workload and report what they measured (the figures
themselves are read from the commands, not asserted)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench import floor, lifecycle, verify
from tests.conftest import ON_POSTGRES, scratch_database
from workflow.db import make_engine
from workflow.models import AuditEvent, Dossier

DB = "postgres" if ON_POSTGRES else "sqlite"


@pytest.mark.slow
@pytest.mark.parametrize(
    "connections,processes,expected", [(1, None, 1), (2, 1, 1), (4, 2, 2), (3, 8, 3)]
)
def test_lifecycle_walks_every_dossier_to_recognised(tmp_path, connections, processes, expected):
    """Workers are threads with a connection each, over ``processes`` (never more than workers)."""
    # Pointed at an empty database of its kind, the bench runs there and keeps what it wrote.
    with scratch_database("test_bench_walk", tmp_path) as url:
        result = lifecycle.run(
            db=DB, dossiers=6, connections=connections, processes=processes, database=url
        )
        assert result["operations"] == 6 * 5 and result["connections"] == connections
        assert result["processes"] == expected
        assert result["ops_per_s"] > 0 and result["p99_ms"] >= result["p50_ms"] > 0
        assert result["peak_rss_mb"] > 0
        assert result["sqlite_synchronous"] == (None if ON_POSTGRES else "FULL")
        engine = make_engine(url)
        with engine.connect() as conn:
            states = conn.execute(
                select(Dossier.__table__.c.state, func.count()).group_by(Dossier.__table__.c.state)
            ).all()
            events = conn.execute(
                select(func.count()).select_from(AuditEvent.__table__)
            ).scalar_one()
        engine.dispose()
        assert states == [("recognised", 6)] and events == 30


@pytest.mark.slow
def test_floor_runs_the_raw_statements():
    result = floor.run(db=DB, dossiers=5)
    assert result["operations"] == 20 and result["ops_per_s"] > 0
    assert result["sqlite_synchronous"] == (None if ON_POSTGRES else "FULL")


@pytest.mark.slow
def test_registration_still_works_after_bulk_seeding(engine):
    # Seeding inserts explicit ids; on Postgres the id sequence must be moved past them.
    assert verify.seed_trails(engine, 3) == 15
    from tests.engine.helpers import register_at
    from tests.factories import build_world

    world = build_world()
    d = register_at(world.units["CQ"], world.actor("unit", "CQ"))
    assert d["id"] > 3


@pytest.mark.slow
def test_a_process_that_used_another_database_still_judges_by_the_scratch_ones_rules(engine):
    """Rule sets are cached by id: here ids 1 and 2 are the agencies' and the schools', in the
    benchmark's own database they are the residential areas' and the enterprises'. A worker
    that reads one stored by another must not take this process's cached ones for it."""
    from states.subjects import SubjectType
    from workflow import rulesets
    from workflow.db import write_transaction

    with write_transaction(engine) as conn:
        for subject in (SubjectType.CQ, SubjectType.CSGD):
            rulesets.in_force(conn, lifecycle.PROVINCE, 2026, subject)
    result = lifecycle.run(db=DB, dossiers=6, connections=3, processes=3)
    assert result["operations"] == 6 * 5


@pytest.mark.slow
def test_pages_times_every_roles_pages_and_the_loaded_inbox(tmp_path):
    from bench import pages

    with scratch_database("test_bench_pages", tmp_path) as url:
        result = pages.run(db=DB, dossiers=20, database=url)
        engine = make_engine(url)
        with engine.connect() as conn:
            dossiers = conn.execute(select(func.count()).select_from(Dossier.__table__))
            count = dossiers.scalar_one()
        engine.dispose()
    roles = {p["role"] for p in result["demo"]}
    assert {"unit", "commune_reviewer", "police", "ubnd", "province_admin"} <= roles
    assert any(p["path"] == "/dashboard" for p in result["demo"])
    assert all(p["max_ms"] >= p["p50_ms"] > 0 for p in result["demo"] + result["inbox_at_scale"])
    assert result["floor_healthz"]["p50_ms"] > 0
    assert count >= 20  # the demo's dossiers and the 20 loaded through the write path


@pytest.mark.slow
def test_lifecycle_prints_the_floor_of_the_same_run_beside_its_figure():
    """The command (not only the library call) measures its floor first, so the figure is read
    against the same minutes' machine."""
    import json

    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["bench", "lifecycle", "--db", DB, "--dossiers", "3"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["operations"] == 15 and figures["floor_ops_per_s"] > 0
    assert figures["vs_floor"] == round(figures["ops_per_s"] / figures["floor_ops_per_s"], 3)
    quiet = CliRunner().invoke(
        app, ["bench", "lifecycle", "--db", DB, "--dossiers", "3", "--no-floor"]
    )
    assert quiet.exit_code == 0, quiet.output
    assert "floor_ops_per_s" not in json.loads(quiet.output.strip().splitlines()[-1])
