"""The migrations go up, down and up again on a fresh database of the kind under test."""

import pytest
from sqlalchemy import inspect

from workflow import migrate
from workflow.db import make_engine
from tests.conftest import scratch_database


@pytest.fixture
def fresh_url(tmp_path):
    with scratch_database("test_migrations", tmp_path) as url:
        yield url


def test_up_down_up(fresh_url):
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    assert {"unit", "app_user", "rule_set", "dossier", "audit_event"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"dossier", "audit_event"} <= set(inspect(engine).get_table_names())
    engine.dispose()
