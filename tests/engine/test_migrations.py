"""The migrations go up, down and up again on a fresh database of the kind under test."""

import os

import pytest
from sqlalchemy import inspect, text

from workflow import migrate
from workflow.db import make_engine
from tests.conftest import DATABASE_URL, ON_POSTGRES


@pytest.fixture
def fresh_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"test_migrations_{os.getpid()}"
    admin = make_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_up_down_up(fresh_url):
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    assert {"unit", "app_user", "rule_set", "dossier", "audit_event"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"dossier", "audit_event"} <= set(inspect(engine).get_table_names())
    engine.dispose()
