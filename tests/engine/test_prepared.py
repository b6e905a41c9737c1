"""Prepared statements bind what SQLAlchemy's own execute binds: the values the caller gave, each
through its column's processor, the statement's own values where the caller gave none, and a
clear error for a value nobody gave. Run on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select

from workflow.db import write_transaction
from workflow.models import OutboxMessage
from workflow.prepared import Prepared

outbox = OutboxMessage.__table__
AT = datetime(2026, 11, 24, 2, 30, 15, 123456, tzinfo=UTC)


def _row(**overrides):
    row = {
        "kind": "test",
        "dossier_id": None,
        "payload": "{}",
        "attempts": 0,
        "next_attempt_at": AT,
        "last_error": None,
        "created_at": AT,
        "delivered_at": None,
    }
    row.update(overrides)
    return row


def _stored(engine, message_id):
    with write_transaction(engine) as conn:
        return conn.execute(select(outbox).where(outbox.c.id == message_id)).one()._asdict()


def test_an_insert_stores_what_sqlalchemy_stores(engine):
    """Every key given: the one-call path, with the time's processor applied."""
    prepared = Prepared(insert(outbox).values({c: bindparam(c) for c in _row()}))
    with write_transaction(engine) as conn:
        assert prepared.execute(conn, _row(kind="prepared")) == 1
    with write_transaction(engine) as conn:
        conn.execute(insert(outbox).values(_row(kind="core")))
        ids = dict(conn.execute(select(outbox.c.kind, outbox.c.id)).all())
    ours, theirs = _stored(engine, ids["prepared"]), _stored(engine, ids["core"])
    for name in ("id", "kind"):
        ours.pop(name), theirs.pop(name)
    assert ours == theirs
    assert ours["created_at"] == AT and ours["delivered_at"] is None


def test_a_statement_value_is_used_when_the_caller_gives_none(engine):
    """A literal in the statement (attempts = 3) is a bound value the caller does not name."""
    prepared = Prepared(
        insert(outbox).values(
            {**{c: bindparam(c) for c in _row() if c != "attempts"}, "attempts": 3}
        )
    )
    row = _row()
    del row["attempts"]
    with write_transaction(engine) as conn:
        prepared.execute(conn, row)
        found = Prepared(
            select(outbox.c.attempts, outbox.c.created_at).where(outbox.c.kind == bindparam("kind"))
        ).first(conn, {"kind": "test"})
    assert found == {"attempts": 3, "created_at": AT}


def test_a_missing_value_is_named(engine):
    prepared = Prepared(insert(outbox).values({c: bindparam(c) for c in _row()}))
    row = _row()
    del row["kind"]
    with write_transaction(engine) as conn, pytest.raises(KeyError, match="parameter 'kind'"):
        prepared.execute(conn, row)


def test_a_one_value_statement(engine):
    with write_transaction(engine) as conn:
        Prepared(insert(outbox).values({c: bindparam(c) for c in _row()})).execute(conn, _row())
        count = Prepared(select(outbox.c.id).where(outbox.c.kind == bindparam("kind")))
        assert len(count.all(conn, {"kind": "test"})) == 1
        assert count.all(conn, {"kind": "other"}) == []
