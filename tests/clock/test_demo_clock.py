"""issue 15 on the demo seeded on 1 (and 2) December: late steps get a minimum handling time, a
sweep never writes two levels of one step at one instant, a returned dossier has time ahead of
it, and every registration announced the unit's first step."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler.sweep import sweep
from states.calendar import LOCAL
from states.lifecycle import Role
from tests.factories import PROVINCE
from workflow import demo, outbox, reports
from workflow import engine as wf
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.models import AuditEvent, Dossier, Escalation, OutboxMessage

SEEDED = datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL)  # 1 December, 09:00 in Vietnam
NEXT_DAY = datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL)  # and the day after
MUCH_LATER = datetime(2027, 1, 20, 9, 0, tzinfo=LOCAL)  # every demo step past level 3


def _levels_per_instant(conn) -> list[int]:
    e = Escalation.__table__.c
    return list(
        conn.execute(
            select(func.count())
            .select_from(Escalation.__table__)
            .group_by(e.dossier_id, e.step_seq, e.at)
        ).scalars()
    )


def _seeded(engine, at: datetime = SEEDED):
    with time_machine.travel(at, tick=True):
        return demo.seed(2026, engine=engine)


@pytest.mark.parametrize("seeded", [SEEDED, NEXT_DAY], ids=["1-december", "2-december"])
def test_one_sweep_on_the_seeded_demo_never_writes_two_levels_of_a_step_at_once(engine, seeded):
    made = _seeded(engine, seeded)
    open_ids = [
        d["id"]
        for d in made["dossiers"]
        if d["state"] in ("registered", "self_scored", "commune_reviewed", "police_verified")
    ]
    first = sweep(seeded.astimezone(UTC))
    # Opened in December, long after their dates: five working days from now, nothing due yet.
    assert first.escalated == 0
    for dossier_id in open_ids:
        d = wf.get(dossier_id)
        assert d["step_opened_late"] is True and d["due_at"] > seeded
    later = sweep(MUCH_LATER.astimezone(UTC))
    assert later.escalated == len(open_ids)  # one level each: the highest due (3)
    with read_connection() as conn:
        assert set(_levels_per_instant(conn)) == {1}
        levels = conn.execute(select(Escalation.__table__.c.level).distinct()).scalars().all()
        # One escalation message per step (the steps' "opened" messages are beside them).
        outbox = conn.execute(
            select(func.count())
            .select_from(OutboxMessage.__table__)
            .where(OutboxMessage.__table__.c.kind == "escalation")
        )
        a = AuditEvent.__table__.c
        escalate_rows = conn.execute(
            select(func.count())
            .select_from(AuditEvent.__table__)
            .where(a.event == "escalate")
            .group_by(a.dossier_id, a.at)
        ).scalars()
        assert set(escalate_rows) == {1}
    assert levels == [3] and outbox.scalar_one() == len(open_ids)


def test_a_returned_demo_dossier_has_a_due_date_ahead_and_level_0(engine):
    made = _seeded(engine)
    (returned,) = [d for d in made["dossiers"] if d["path"] == "returned"][:1]
    sweep(SEEDED.astimezone(UTC))
    d = wf.get(returned["id"])
    assert d["state"] == "registered" and d["escalation_level"] == 0
    assert d["due_at"] > SEEDED  # it used to keep the unit's past date, 22 working days late
    assert d["next_escalation_at"] > SEEDED


def test_the_report_counts_steps_that_opened_late(engine):
    made = _seeded(engine)
    admin = Actor(id=None, name="Quản trị", role=Role.PROVINCE_ADMIN, province_code=PROVINCE)
    report = reports.summary(admin, year=2026, now=SEEDED.astimezone(UTC))
    open_count = sum(
        1
        for d in made["dossiers"]
        if d["state"] in ("registered", "self_scored", "commune_reviewed", "police_verified")
    )
    assert report["total"]["opened_late"] == open_count > 0


def test_every_seeded_dossier_announced_its_first_step_to_its_own_unit(engine):
    """issue 15: registration opens the unit's self-scoring step and announces it, so each
    demo dossier (withdrawn ones too) has a "step opened" message to its unit's seat."""
    made = _seeded(engine)
    t, d = OutboxMessage.__table__, Dossier.__table__
    with read_connection() as conn:
        unit_of = dict(conn.execute(select(d.c.id, d.c.unit_id)).all())
        first = {}
        for row in conn.execute(select(t).where(t.c.kind == outbox.STEP_OPENED).order_by(t.c.id)):
            first.setdefault(row.dossier_id, json.loads(row.payload))
    assert sorted(first) == sorted(x["id"] for x in made["dossiers"])
    for dossier_id, payload in first.items():
        assert (payload["step"], payload["to_role"], payload["to_level"]) == (
            "registered",
            "unit",
            "unit",
        )
        assert payload["unit_id"] == unit_of[dossier_id]
