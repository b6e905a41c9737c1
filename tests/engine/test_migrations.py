"""The migrations go up, down and up again on a fresh database of the kind under test."""

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import scratch_database
from workflow import migrate
from workflow.db import make_engine


@pytest.fixture
def fresh_url(tmp_path):
    with scratch_database("test_migrations", tmp_path) as url:
        yield url


def test_up_down_up(fresh_url):
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    assert {"unit", "app_user", "rule_set", "dossier", "audit_event"} <= set(
        inspect(engine).get_table_names()
    )
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"dossier", "audit_event"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_live_dossier_rule_moves_to_the_withdrawal_time_with_history_kept(fresh_url):
    """0005: withdrawn dossiers get the time their trail gives; one live dossier per unit and
    year still holds, now keyed on that time."""
    engine = make_engine(fresh_url)
    migrate.upgrade(engine, "0004_fewer_moving_indexes")
    at, withdrawn = "2026-04-02 03:00:00", "2026-05-06 07:08:09"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO unit (id, name, subject_type, kind, province_code, commune_code, "
                "managing_level, created_at) VALUES (1, 'Thôn 1', 'KDC', 'thon', 51, 1, 'commune', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO rule_set (id, province_code, year, subject_type, version, body, "
                "published_at) VALUES (1, 0, 2026, 'KDC', 1, '{}', :at)"
            ),
            {"at": at},
        )
        for did, state in ((1, "withdrawn"), (2, "registered")):
            conn.execute(
                text(
                    "INSERT INTO dossier (id, unit_id, year, state, version, rule_set_id, subject_type, "
                    "managing_level, province_code, commune_code, escalation_level, returns, "
                    "audit_seq, audit_head, created_at, updated_at, step_seq) VALUES (:id, 1, 2026, "
                    ":state, 1, 1, 'KDC', 'commune', 51, 1, 0, '{}', 1, '', :at, :at, 0)"
                ),
                {"id": did, "state": state, "at": at},
            )
        conn.execute(
            text(
                "INSERT INTO audit_event (dossier_id, seq, event, version, actor_name, role, payload, "
                "at, rule_set_id, prev_hash, hash) VALUES (1, 2, 'withdraw', 2, 'x', 'unit', '{}', "
                ":at, 1, '', '')"
            ),
            {"at": withdrawn},
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, withdrawn_at FROM dossier")).all())
    assert rows[2] is None and str(rows[1]).startswith("2026-05-06 07:08:09")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a second live one is refused
        conn.execute(text("UPDATE dossier SET withdrawn_at = NULL WHERE id = 1"))
    migrate.downgrade(engine, "0004_fewer_moving_indexes")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE dossier SET state = 'registered' WHERE id = 1"))
    engine.dispose()
