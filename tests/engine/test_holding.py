"""A worker holding one connection: each write is still its own transaction, a refused one
leaves nothing behind and does not disturb the next."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from states import examples
from states.lifecycle import Event, State
from tests.engine.helpers import YEAR, payload_for, registration_time, walk
from tests.factories import build_world
from workflow import engine as wf
from workflow.db import holding, read_connection
from workflow.errors import Conflict, GuardFailed
from workflow.models import AuditEvent
from workflow.registration import register


def _events() -> int:
    with read_connection() as conn:
        return conn.execute(select(func.count()).select_from(AuditEvent.__table__)).scalar_one()


def test_each_write_commits_alone_on_a_held_connection(engine):
    world = build_world()
    rep = world.actor("unit", "CQ")
    d = walk(world, world.units["CQ"], rep, State.REGISTERED)
    before = _events()
    with engine.connect() as conn, holding(conn):
        with pytest.raises(GuardFailed):
            wf.fire(d["id"], Event.SUBMIT_SELF_SCORE, rep, {}, d["version"])
        assert not conn.in_transaction()
        d = wf.fire(
            d["id"],
            Event.SUBMIT_SELF_SCORE,
            rep,
            payload_for(Event.SUBMIT_SELF_SCORE, d),
            d["version"],
        )
        assert not conn.in_transaction()
        assert _events() == before + 1  # committed: another connection sees it
    assert wf.get(d["id"])["state"] == "self_scored"


def test_a_held_connection_with_an_open_transaction_is_refused_not_rolled_back(engine):
    """A worker that began its own transaction on the held connection and then fires without
    joining it is told so; its transaction is left as it was."""
    world = build_world()
    reviewer = world.actor("commune_reviewer")
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    before = _events()
    with engine.connect() as conn, holding(conn):
        conn.execute(select(func.count()).select_from(AuditEvent.__table__))  # begins one
        with pytest.raises(RuntimeError, match="joined"):
            wf.fire(d["id"], Event.COMMUNE_APPROVE, reviewer, {}, d["version"])
        assert conn.in_transaction()
        conn.rollback()
    assert _events() == before
    assert wf.get(d["id"])["state"] == "self_scored"


def test_a_statement_refused_by_the_database_leaves_the_held_connection_usable(engine):
    """Postgres keeps one cursor per connection for the prepared statements: the one that met
    an IntegrityError serves the next statement as if nothing happened (SQLite: a new cursor)."""
    world = build_world()
    rep = world.actor("unit", "CQ")
    d = walk(world, world.units["CQ"], rep, State.REGISTERED)
    with engine.connect() as conn, holding(conn):
        with pytest.raises(Conflict):  # the unique index refuses a second live dossier
            register(
                world.units["CQ"]["id"],
                YEAR,
                rep,
                examples.registration_payload("CQ"),
                now=registration_time(YEAR),
            )
        d = wf.fire(
            d["id"],
            Event.SUBMIT_SELF_SCORE,
            rep,
            payload_for(Event.SUBMIT_SELF_SCORE, d),
            d["version"],
        )
    assert wf.get(d["id"])["state"] == "self_scored"
