"""Schema migrations with Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from workflow.db import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = engine or get_engine()
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def _run(step, engine: Engine | None, revision: str) -> None:
    engine = engine or get_engine()
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    _run(command.upgrade, engine, revision)


def downgrade(engine: Engine | None = None, revision: str = "base") -> None:
    _run(command.downgrade, engine, revision)


def schema_gap(engine: Engine | None = None) -> str | None:
    """None when the database is at the newest migration, else what is wrong, for a person:
    the server's role cannot migrate, so it must not start on a schema it does not know."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = engine or get_engine()
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return None
    fix = "run `dossier db upgrade` as the tables' owner first"
    if not current:
        return f"the database has no schema: {fix}"
    return f"the database is at {', '.join(sorted(current))}, not {', '.join(sorted(heads))}: {fix}"
