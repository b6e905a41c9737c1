"""``fire`` outside a caller's transaction decides on the row it read and writes only if the row
is still that one. Something committed in between (another fire, the deadline clock's
escalation) is caught by the write itself: a typed conflict, or a retry on the new audit head."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from scheduler.sweep import sweep
from states.lifecycle import State
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import VersionConflict


@pytest.fixture
def between_read_and_write(monkeypatch):
    """Run ``meddle`` once, after the first decision and before its write."""
    calls = []

    def install(meddle):
        decide = wf._decide

        def deciding(conn, dossier, move):
            decided = decide(conn, dossier, move)
            calls.append(move.event.value)
            if len(calls) == 1:
                meddle()
            return decided

        monkeypatch.setattr(wf, "_decide", deciding)
        return calls

    return install


def _events(dossier_id: int) -> list[str]:
    with read_connection() as conn:
        assert audit.verify(conn, dossier_id)[1] == []
        return [r["event"] for r in audit.trail(conn, dossier_id)]


def test_an_escalation_in_between_is_written_first_and_the_fire_retried(
    engine, between_read_and_write
):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    swept = []
    calls = between_read_and_write(
        lambda: swept.append(sweep(now=datetime(2026, 12, 31, tzinfo=UTC)).escalated)
    )
    after = wf.fire(d["id"], "commune_approve", world.actor("commune_reviewer"), {}, d["version"])
    assert swept[0] >= 1
    assert calls == ["commune_approve", "commune_approve"]  # decided again on the new head
    assert (after["state"], after["version"]) == ("commune_reviewed", d["version"] + 1)
    events = _events(d["id"])
    assert events[-1] == "commune_approve"
    assert events[-1 - swept[0] : -1] == ["escalate"] * swept[0]
    assert wf.get(d["id"])["audit_seq"] == len(events)


def test_a_fire_in_between_wins_and_the_late_one_gets_a_version_conflict(
    engine, between_read_and_write
):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    reviewer = world.actor("commune_reviewer")
    won = []
    between_read_and_write(
        lambda: won.append(
            wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"], request_id="first")
        )
    )
    with pytest.raises(VersionConflict) as lost:
        wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"], request_id="second")
    assert lost.value.current == d["version"] + 1
    assert won[0]["version"] == d["version"] + 1
    assert _events(d["id"]).count("commune_approve") == 1
    with read_connection() as conn:
        assert [r["request_id"] for r in audit.trail(conn, d["id"])][-1] == "first"


def test_a_connection_that_cannot_be_reset_is_dropped_from_the_pool(engine, monkeypatch):
    """The server goes away mid-fire and the connection cannot even be rolled back: it is
    invalidated, not returned to the pool in autocommit, and the next fire gets a fresh one."""
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    reviewer = world.actor("commune_reviewer")
    broken = []
    decide = wf._decide

    def deciding(conn, dossier, move):
        if not broken:
            conn.execute(text("SELECT 1"))  # SQLAlchemy begins; the reset must roll it back
            broken.append(conn.connection.dbapi_connection)

            def gone(self):
                raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

            monkeypatch.setattr(Connection, "rollback", gone)
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return decide(conn, dossier, move)

    monkeypatch.setattr(wf, "_decide", deciding)
    with pytest.raises(OperationalError):
        wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"])
    monkeypatch.undo()
    # The driver's connection was closed, not pooled: the driver's own (PEP 249) Error.
    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        broken[0].cursor().execute("SELECT 1")
    monkeypatch.setattr(wf, "_decide", deciding)
    after = wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"])
    assert after["state"] == "commune_reviewed"
    assert _events(d["id"])[-1] == "commune_approve"
