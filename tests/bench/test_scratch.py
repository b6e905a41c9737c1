"""Each benchmark runs on a scratch database of its own, or on an empty one it is given; a
database that holds data is refused (exit code 2) and left exactly as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from api.cli import app
from bench import floor, lifecycle, scratch, sweep, verify
from bench.lifecycle import _units
from tests.conftest import DATABASE_URL, ON_POSTGRES, scratch_database
from workflow import migrate
from workflow.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
DB = "postgres" if ON_POSTGRES else "sqlite"
REFUSAL = "refusing to benchmark on a database that holds data"

# Each command with the smallest workload it takes, so that a run that was not refused is cheap.
COMMANDS = {
    "lifecycle": ["--dossiers", "2"],
    "verify": ["--events", "10"],
    "floor": ["--dossiers", "2"],
    "sweep": ["--sizes", "10"],
    "api": ["--dossiers", "2", "--clients", "1"],
}


def _fill(url: str) -> None:
    """The engine's schema and a few units: a database someone uses."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    _units(engine, 3)
    engine.dispose()


def _fingerprint(url: str) -> object:
    """SQLite: the file's bytes; Postgres: every table's row count."""
    if scratch.kind(url) == "sqlite":
        return hashlib.sha256(Path(scratch.sqlite_path(url)).read_bytes()).hexdigest()
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).scalars()
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    engine.dispose()
    return counts


def _databases() -> set[str]:
    admin = create_engine(DATABASE_URL, poolclass=NullPool)
    with admin.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    admin.dispose()
    return names


def _ours(names: set[str]) -> set[str]:
    # Other processes on this server may make databases meanwhile; ours carry our pid.
    return {n for n in names if n.startswith(f"bench_{os.getpid()}_")}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_database_that_holds_data_is_refused_and_left_untouched(tmp_path, command):
    with scratch_database("test_bench_full", tmp_path) as url:
        _fill(url)
        before = _fingerprint(url)
        result = CliRunner().invoke(
            app, ["bench", command, "--db", DB, "--database", url, *COMMANDS[command]]
        )
        assert result.exit_code == 2, result.output
        assert REFUSAL in result.output and "--database" in result.output
        assert _fingerprint(url) == before


def test_a_sqlite_database_url_that_holds_data_is_refused_and_left_untouched(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'in-use.db'}"
    _fill(url)
    before = _fingerprint(url)
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(app, ["bench", "lifecycle", "--dossiers", "2"])
    assert result.exit_code == 2, result.output
    assert REFUSAL in result.output and "DATABASE_URL" in result.output
    assert _fingerprint(url) == before


def test_a_database_with_tables_but_no_rows_is_refused_too(tmp_path):
    with scratch_database("test_bench_tables", tmp_path) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))
        engine.dispose()
        before = _fingerprint(url)
        with pytest.raises(scratch.Refused, match="someone_elses"):
            floor.run(db=DB, dossiers=2, database=url)
        assert _fingerprint(url) == before


def test_sweep_on_a_named_database_takes_one_size(tmp_path):
    with scratch_database("test_bench_sizes", tmp_path) as url:
        with pytest.raises(scratch.Refused, match="one size"):
            sweep.run(db=DB, sizes=(10, 20), database=url)
        figures = sweep.run(db=DB, sizes=(10,), database=url)
        assert figures["10"]["due"] == 0 and figures["db"] == DB


@pytest.fixture
def leftovers(tmp_path, monkeypatch):
    """What the benchmarks' scratch databases leave behind, read now: on SQLite the files in
    the temporary directory (pointed at this test's own), on Postgres the databases named
    with this process's id that did not exist before the test."""
    if not ON_POSTGRES:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        return lambda: set(tmp_path.iterdir())
    before = _databases()
    return lambda: _ours(_databases() - before)


def test_a_default_run_leaves_no_database_behind(leftovers):
    assert lifecycle.run(db=DB, dossiers=2, connections=2)["operations"] == 10
    assert floor.run(db=DB, dossiers=2)["operations"] == 8
    assert verify.run(db=DB, events=10)["findings"] == 0
    assert sweep.run(db=DB, sizes=(10, 20))["20"]["due"] == 0
    assert leftovers() == set()


def test_the_scratch_database_is_removed_even_when_the_run_fails(leftovers):
    seen: list[int] = []

    def failing(event, subject_type):
        seen.append(len(leftovers()))
        raise RuntimeError("the benchmark broke midway")

    with pytest.raises(RuntimeError, match="midway"):
        lifecycle.run(db=DB, dossiers=2, payload=failing)
    assert seen == [1]  # it existed while the run was under way
    assert leftovers() == set()


def test_starting_the_server_imports_no_benchmark():
    probe = (
        "import sys\n"
        "import api.app\n"
        "api.app.create_app()\n"
        "print(sorted(m for m in sys.modules if m == 'bench' or m.startswith('bench.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
    # The probe sees bench when it is there: the dossier command adds only its CLI.
    probe = probe.replace("import api.app\napi.app.create_app()", "import api.cli")
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['bench', 'bench.cli']", out.stdout
