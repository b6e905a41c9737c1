"""The audit trail: one chained row per accepted event; every kind of tampering is found."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from states.lifecycle import State
from tests.conftest import ON_POSTGRES
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow import audit
from workflow.db import read_connection, write_transaction


@pytest.fixture
def trails(engine):
    world = build_world()
    a = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.RECOGNISED)
    b = walk(world, world.units["CQ"], world.actor("unit", "CQ"), State.POLICE_VERIFIED)
    return a, b


def tamper(sql: str, **params) -> None:
    """Change the trail behind the engine's back, past the append-only trigger."""
    with write_transaction() as conn:
        if ON_POSTGRES:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        conn.execute(text(sql), params)


def findings(dossier_id=None):
    with read_connection() as conn:
        return audit.verify(conn, dossier_id)[1]


def test_a_clean_trail_verifies_and_replays(trails):
    a, b = trails
    assert findings() == []
    with read_connection() as conn:
        rows = audit.trail(conn, a["id"])
    assert [r["event"] for r in rows] == [
        "register",
        "submit_self_score",
        "commune_approve",
        "police_verify",
        "recognise",
    ]
    assert [r["version"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))


def test_an_edited_row_is_named(trails):
    a, _ = trails
    tamper(
        "UPDATE audit_event SET actor_name = 'someone else' WHERE dossier_id = :d AND seq = 3",
        d=a["id"],
    )
    (f,) = findings()
    assert (f.dossier_id, f.seq) == (a["id"], 3) and "edited" in f.problem


def test_an_edited_payload_is_named(trails):
    a, _ = trails
    tamper(
        'UPDATE audit_event SET payload = \'{"decision_no":"99/QĐ"}\' WHERE dossier_id = :d AND seq = 5',
        d=a["id"],
    )
    (f,) = findings(a["id"])
    assert f.seq == 5


def test_a_deleted_middle_row_is_found(trails):
    a, b = trails
    tamper("DELETE FROM audit_event WHERE dossier_id = :d AND seq = 2", d=a["id"])
    found = findings()
    assert [(f.dossier_id, f.seq) for f in found] == [(a["id"], 3)]
    assert "removed or inserted" in found[0].problem


def test_a_deleted_last_row_is_found(trails):
    a, _ = trails
    tamper("DELETE FROM audit_event WHERE dossier_id = :d AND seq = 5", d=a["id"])
    (f,) = findings()
    assert f.dossier_id == a["id"] and "missing at the end" in f.problem


def test_an_inserted_row_is_found(trails):
    a, _ = trails
    tamper(
        """INSERT INTO audit_event (dossier_id, seq, event, from_state, to_state, version, actor_id,
              actor_name, role, payload, reason, at, request_id, rule_set_id, prev_hash, hash)
              SELECT dossier_id, 6, 'reject', 'recognised', 'rejected', 6, actor_id, actor_name, role,
                     '{}', 'x', at, request_id, rule_set_id, hash, hash
              FROM audit_event WHERE dossier_id = :d AND seq = 5""",
        d=a["id"],
    )
    (f,) = findings()
    assert (f.dossier_id, f.seq) == (a["id"], 6)


def test_reordered_rows_are_found(trails):
    a, _ = trails
    tamper("UPDATE audit_event SET seq = -1 WHERE dossier_id = :d AND seq = 2", d=a["id"])
    tamper("UPDATE audit_event SET seq = 2 WHERE dossier_id = :d AND seq = 3", d=a["id"])
    tamper("UPDATE audit_event SET seq = 3 WHERE dossier_id = :d AND seq = -1", d=a["id"])
    (f,) = findings()
    assert (f.dossier_id, f.seq) == (a["id"], 2)


def test_a_dossier_row_changed_behind_the_engine_fails_replay(trails):
    _, b = trails
    with write_transaction() as conn:
        conn.execute(text("UPDATE dossier SET state = 'recognised' WHERE id = :d"), {"d": b["id"]})
    (f,) = findings()
    assert f.dossier_id == b["id"] and "replaying" in f.problem


REFUSED = ["UPDATE audit_event SET reason = 'rewritten'", "DELETE FROM audit_event"]
if ON_POSTGRES:  # SQLite has no TRUNCATE
    REFUSED.append("TRUNCATE audit_event CASCADE")


@pytest.mark.parametrize("sql", REFUSED)
def test_the_database_refuses_to_change_the_trail(trails, sql):
    with pytest.raises(DBAPIError) as e, write_transaction() as conn:
        conn.execute(text(sql))
    assert "append-only" in str(e.value)
    assert findings() == []
