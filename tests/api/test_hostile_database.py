"""A database in a state the engine did not leave it in: a forged audit row is a 409 that names
the dossier and the row, never a 500, and other dossiers go on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from states.lifecycle import Event, State
from tests.api.helpers import fire, walk
from tests.hostile import database_snapshot
from workflow import audit
from workflow.db import read_connection, write_transaction
from workflow.models import AuditEvent, Dossier

audit_table = AuditEvent.__table__
dossier_table = Dossier.__table__


def _forge_next_row(dossier_id: int) -> int:
    """Insert by hand the row the engine would write next (a hash recomputed with the project's
    own function); returns its id."""
    with write_transaction() as conn:
        d = conn.execute(select(dossier_table).where(dossier_table.c.id == dossier_id)).one()
        row, _ = audit.record(
            dossier_id=dossier_id,
            seq=d.audit_seq + 1,
            prev_hash=d.audit_head,
            event="recognise",
            from_state=d.state,
            to_state="recognised",
            version=d.version + 1,
            actor_id=None,
            actor_name="forger",
            role="ubnd",
            payload={},
            reason=None,
            at=datetime.now(UTC),
            request_id=None,
            rule_set_id=d.rule_set_id,
        )
        audit.INSERT.execute(conn, row)
    with read_connection() as conn:
        return conn.execute(
            select(audit_table.c.id).where(
                audit_table.c.dossier_id == dossier_id, audit_table.c.seq == row["seq"]
            )
        ).scalar_one()


def test_a_forged_audit_row_makes_the_next_event_a_409_naming_dossier_and_row(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    other = walk(api, "CQ", State.REGISTERED)
    forged = _forge_next_row(d["id"])
    reviewer = api.world.actor("commune_reviewer")
    api.token(reviewer)  # issued before the snapshot
    before = database_snapshot()
    for headers in ({}, {"Idempotency-Key": "forged-trail-1"}):
        r = fire(api, d, Event.COMMUNE_APPROVE, reviewer, {}, **headers)
        assert r.status_code == 409, r.text
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["type"] == "/problems/broken-trail"
        assert problem["dossier_id"] == d["id"] and problem["audit_row_id"] == forged
        assert str(d["id"]) in problem["detail"] and str(forged) in problem["detail"]
        assert "audit verify" in problem["detail"]
    assert database_snapshot() == before
    # Another dossier's trail is whole: its events go on.
    rep = api.world.unit_actor(api.world.units["CQ"])
    r = fire(api, other, Event.WITHDRAW, rep, {"reason": "rút hồ sơ"})
    assert r.status_code == 200, r.text


def test_a_dossier_with_a_broken_trail_can_still_be_read(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    _forge_next_row(d["id"])
    reviewer = api.world.actor("commune_reviewer")
    r = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(reviewer))
    assert r.status_code == 200  # reading is untouched: the trail is for verify to judge
