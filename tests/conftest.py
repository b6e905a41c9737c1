"""Test databases: SQLite by default, PostgreSQL when DATABASE_URL names one.

The schema always comes from the Alembic migrations. SQLite: migrated once into a template file,
copied per test. Postgres: migrated once per session, tables emptied per test (with triggers off,
since the audit table refuses deletes by design).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from workflow import db, migrate, rulesets


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own beside the one named
    (``test_gw0``, ``test_gw1``; made afresh each run), so no worker empties another's tables;
    DATABASE_URL is pointed at it for the settings and the servers the tests start."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgresql") or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    os.environ["DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)
    return os.environ["DATABASE_URL"]


DATABASE_URL = _worker_database(os.environ.get("DATABASE_URL", ""))
# Every app lifespan would start the embedded clock (schemathesis starts one per test), whose
# jobs write into the database under test while the next test empties it; clock tests turn it on.
os.environ.setdefault("EMBEDDED_SCHEDULER", "false")
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
    _end_stray_sessions(engine)
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


def _end_stray_sessions(engine) -> None:
    """A session an earlier test left idle inside a transaction on this database (a server
    thread's, a holder's) would keep its locks and stall every later test's TRUNCATE: it is ended here, and named in a
    warning so that a leak in the product still shows."""
    engine.dispose()
    with engine.connect() as conn:
        stray = conn.execute(
            text(
                "SELECT pid, state, left(query, 120) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND state LIKE 'idle in transaction%'"
            )
        ).all()
        for pid, state, query in stray:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            warnings.warn(f"ended a stray session ({state}): {query}", stacklevel=2)
        conn.commit()
    engine.dispose()


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
