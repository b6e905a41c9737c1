"""The server's role cannot migrate, so `dossier serve` refuses a schema that is not the newest,
saying what to run; `--grant` refuses SQLite without touching it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import scratch_database
from workflow import db, migrate

runner = CliRunner()


@pytest.fixture
def fresh(tmp_path):
    with scratch_database("test_schema_gate", tmp_path) as url:
        engine = db.make_engine(url)
        db.set_engine(engine)
        yield engine
        db.set_engine(None)
        engine.dispose()


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["scheduler"]])
def test_serve_and_the_clock_refuse_a_database_without_the_schema(fresh, command):
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert "no schema" in result.output and "dossier db upgrade" in result.output


def test_serve_refuses_a_schema_behind_the_code(fresh):
    migrate.upgrade(fresh, "0010_archive_index")
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "0010_archive_index" in result.output and "dossier db upgrade" in result.output
    migrate.upgrade(fresh)
    assert migrate.schema_gap(fresh) is None


def test_grant_is_refused_on_sqlite_and_the_file_left_alone(tmp_path):
    path = tmp_path / "never.db"
    result = runner.invoke(
        app, ["db", "upgrade", "--database", f"sqlite:///{path}", "--grant", "dossier_server"]
    )
    assert result.exit_code == 2
    assert "only applies to PostgreSQL" in result.output
    assert not path.exists()
    db.set_engine(None)
