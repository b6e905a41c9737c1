"""Test databases: SQLite by default, PostgreSQL when DATABASE_URL names one.

The schema always comes from the Alembic migrations. SQLite: migrated once into a template file,
copied per test. Postgres: migrated once per session, tables emptied per test (with triggers off,
since the audit table refuses deletes by design).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from workflow import db, migrate, rulesets

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith("postgresql")
TABLES_IN_DELETE_ORDER = None


def pytest_report_header(config):
    return f"database: {'postgresql' if ON_POSTGRES else 'sqlite'}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    if ON_POSTGRES:
        engine = db.make_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = db.make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        yield path


def _empty_postgres(engine) -> None:
    with engine.begin() as conn:
        names = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def engine(_template, tmp_path):
    rulesets.forget()
    if ON_POSTGRES:
        _empty_postgres(_template)
        eng = _template
    else:
        path = tmp_path / "test.db"
        shutil.copy(_template, path)
        eng = db.make_engine(f"sqlite:///{path}")
    db.set_engine(eng)
    yield eng
    db.set_engine(None)
    if not ON_POSTGRES:
        eng.dispose()


@contextmanager
def scratch_database(name: str, sqlite_dir) -> Iterator[str]:
    """A URL of an empty database of the kind under test: a file on SQLite, a fresh database
    beside the test one on Postgres (dropped afterwards)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{sqlite_dir / (name + '.db')}"
        return
    name = f"{name}_{os.getpid()}"
    admin = db.make_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def audit_signing(tmp_path, monkeypatch):
    """A signing key and a heads directory of this test's own (AUDIT_KEY_FILE, AUDIT_HEADS_DIR)."""
    from workflow import tree_heads
    from workflow.settings import get_settings

    tree_heads.generate_key(tmp_path / "audit-key.pem")
    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "audit-key.pem"))
    monkeypatch.setenv("AUDIT_HEADS_DIR", str(tmp_path / "heads"))
    get_settings.cache_clear()
    yield tmp_path / "heads"
    get_settings.cache_clear()
