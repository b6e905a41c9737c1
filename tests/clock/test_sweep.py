"""The escalation sweep, with the clock moved by time-machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler import sweep as sweep_module
from scheduler.sweep import sweep
from states.lifecycle import State
from tests.engine.helpers import payload_for, publish_province_plan, walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.models import Escalation, OutboxMessage
from workflow.outbox import ESCALATION, STEP_OPENED

TUE_0800 = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)  # 08:00 local, 2 working days before 5/11
AFTER_DUE = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)  # Friday 6/11 09:00 local
LONG_AFTER = datetime(2026, 11, 13, 2, 0, tzinfo=UTC)  # past 12/11, 5 working days after


def count(table) -> int:
    with read_connection() as conn:
        return conn.execute(select(func.count()).select_from(table.__table__)).scalar_one()


def messages(kind: str) -> int:
    """Outbox messages of one kind: escalations, or the "step opened" ones every registration
    and every fire that opens a step writes."""
    t = OutboxMessage.__table__
    with read_connection() as conn:
        return conn.execute(
            select(func.count()).select_from(t).where(t.c.kind == kind)
        ).scalar_one()


@pytest.fixture
def dossier(engine):
    world = build_world()
    publish_province_plan()  # the demo province's dates: self-assessment by 05/11
    d = walk(world, world.units["DN"], world.actor("unit", "DN"), State.REGISTERED)
    return world, d


def test_a_registered_step_is_due_on_5_november(dossier):
    _, d = dossier
    assert d["due_at"] == datetime(2026, 11, 5, 16, 59, 59, tzinfo=UTC)
    assert d["next_escalation_at"] == TUE_0800


def test_levels_are_written_once_each_as_time_passes(dossier):
    _, d = dossier
    with time_machine.travel(datetime(2026, 11, 3, 0, 0, tzinfo=UTC), tick=False):  # 07:00 local
        assert sweep().escalated == 0  # midnight before: nothing due
    with time_machine.travel(TUE_0800, tick=False):
        assert sweep().escalated == 1
        assert sweep().escalated == 0  # a second sweep at the same moment is a no-op
    with time_machine.travel(AFTER_DUE, tick=False):
        assert sweep().escalated == 1
    with time_machine.travel(LONG_AFTER, tick=False):
        assert sweep().escalated == 1
        assert sweep().escalated == 0  # the ladder has three levels
    after = wf.get(d["id"])
    assert (after["state"], after["version"], after["escalation_level"]) == ("registered", 1, 3)
    assert after["next_escalation_at"] is None
    with read_connection() as conn:
        rows = conn.execute(select(Escalation.__table__).order_by("level")).all()
        assert [(r.level, r.target_role, r.target_level) for r in rows] == [
            (1, "unit", "unit"),
            (2, "commune_reviewer", "commune"),
            (3, "province_admin", "province"),
        ]
        trail = audit.trail(conn, d["id"])
        assert [r["event"] for r in trail] == ["register", "escalate", "escalate", "escalate"]
        assert audit.verify(conn, d["id"])[1] == []  # escalations chain, and replay ignores them
    # A message per level; the registration's "step opened" stays the only other one.
    assert (messages(ESCALATION), messages(STEP_OPENED)) == (3, 1)


def test_a_step_far_overdue_gets_only_its_highest_level_once(dossier):
    """issue 15: past all three levels, one sweep writes level 3 alone (one row, one message),
    naming the levels it passed over; it used to write levels 1, 2 and 3 at one instant."""
    _, d = dossier
    with time_machine.travel(LONG_AFTER, tick=False):
        result = sweep()
        assert sweep().escalated == 0
    assert result.escalated == 1 and count(Escalation) == 1
    # One escalation message; beside it only the registration's "step opened" one.
    assert (messages(ESCALATION), messages(STEP_OPENED)) == (1, 1)
    with read_connection() as conn:
        (row,) = conn.execute(select(Escalation.__table__)).all()
        trail = audit.trail(conn, d["id"])
    assert row.level == 3 and row.target_role == "province_admin"
    assert json.loads(trail[-1]["payload"])["levels_passed_over"] == [1, 2]
    assert wf.get(d["id"])["next_escalation_at"] is None


def test_a_new_step_starts_a_new_clock(dossier):
    """issue 15: a step opened after its calendar date gets the minimum handling time, and a
    returned dossier gives the unit a fresh time to resubmit, at level 0."""
    world, d = dossier
    with time_machine.travel(AFTER_DUE, tick=False):
        assert sweep().escalated == 1  # levels 1 and 2 are both past: level 2 once
        d = wf.fire(
            d["id"],
            "submit_self_score",
            world.actor("unit", "DN"),
            payload_for("submit_self_score", d),
            d["version"],
        )
        # the review's date (10/11) is too close: 5 working days from Friday 6/11 is 13/11
        assert d["escalation_level"] == 0 and d["due_at"] == datetime(
            2026, 11, 13, 16, 59, 59, tzinfo=UTC
        )
        assert d["step_opened_late"] is True
        assert sweep().escalated == 0  # due soon only from Wednesday 11/11 08:00
        d = wf.fire(
            d["id"],
            "return_for_revision",
            world.actor("commune_reviewer"),
            payload_for("return_for_revision", d),
            d["version"],
        )
        # back in 'registered' with a fresh step and a fresh time: 13/11, not the past 5/11
        assert (d["state"], d["escalation_level"]) == ("registered", 0)
        assert d["due_at"] == datetime(2026, 11, 13, 16, 59, 59, tzinfo=UTC)
        assert sweep().escalated == 0
    with time_machine.travel(datetime(2026, 11, 11, 1, 0, tzinfo=UTC), tick=False):
        assert sweep().escalated == 1  # the reopened step's own level 1
    with read_connection() as conn:
        steps = conn.execute(select(Escalation.__table__.c.step_seq).distinct()).scalars().all()
    assert len(steps) == 2


def test_a_failing_row_does_not_stop_the_others(engine, monkeypatch):
    world = build_world()
    publish_province_plan()
    a = walk(world, world.units["DN"], world.actor("unit", "DN"), State.REGISTERED)
    b = walk(world, world.units["CSGD"], world.actor("unit", "CSGD"), State.REGISTERED)
    real = sweep_module.escalate

    def broken(conn, dossier, now):
        if dossier["id"] == a["id"]:
            raise RuntimeError("bad row")
        return real(conn, dossier, now)

    monkeypatch.setattr(sweep_module, "escalate", broken)
    with time_machine.travel(AFTER_DUE, tick=False):
        result = sweep()
        # issue 15: one level per step (the highest due), where each step used to get two
        assert (result.escalated, result.failed) == (1, 1)
        assert result.failures[0]["dossier_id"] == a["id"]
        monkeypatch.setattr(sweep_module, "escalate", real)
        assert sweep().escalated == 1  # retried next time
    assert wf.get(a["id"])["escalation_level"] == 2 and wf.get(b["id"])["escalation_level"] == 2


def test_a_sweeper_killed_mid_batch_loses_nothing(engine, monkeypatch):
    world = build_world()
    publish_province_plan()
    ids = [
        walk(world, world.units[k], world.actor("unit", k), State.REGISTERED)["id"]
        for k in ("DN", "CSGD", "CQ")
    ]
    real = sweep_module.escalate
    calls = {"n": 0}

    def dies(conn, dossier, now):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process is going down, not a row problem
        return real(conn, dossier, now)

    monkeypatch.setattr(sweep_module, "escalate", dies)
    with time_machine.travel(AFTER_DUE, tick=False):
        with pytest.raises(KeyboardInterrupt):
            sweep()
        # The batch rolled back whole: no escalation, no escalation message (the three
        # registrations' "step opened" messages were written before the sweep, and stay).
        assert count(Escalation) == 0 and messages(ESCALATION) == 0
        assert messages(STEP_OPENED) == len(ids)
        monkeypatch.setattr(sweep_module, "escalate", real)
        assert sweep().escalated == 3  # issue 15: one level (2) per step, where it was two
    assert all(wf.get(i)["escalation_level"] == 2 for i in ids)


def test_closed_dossiers_are_never_escalated(dossier):
    world, d = dossier
    wf.fire(d["id"], "withdraw", world.actor("unit", "DN"), {}, d["version"])
    with time_machine.travel(LONG_AFTER, tick=False):
        assert sweep().escalated == 0
