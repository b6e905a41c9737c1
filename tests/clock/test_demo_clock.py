"""issue 15 on the demo seeded on 1 December: late steps get a minimum handling time, a sweep
never writes two levels of one step at one instant, a returned dossier has time ahead of it."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from scheduler.sweep import sweep
from states.calendar import LOCAL
from states.lifecycle import Role
from tests.factories import PROVINCE
from workflow import demo, reports
from workflow import engine as wf
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.models import AuditEvent, Escalation, OutboxMessage

SEEDED = datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL)  # 1 December, 09:00 in Vietnam
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


def _seeded(engine):
    with time_machine.travel(SEEDED, tick=True):
        return demo.seed(2026, engine=engine)


def test_one_sweep_on_the_seeded_demo_never_writes_two_levels_of_a_step_at_once(engine):
    made = _seeded(engine)
    open_ids = [
        d["id"]
        for d in made["dossiers"]
        if d["state"] in ("registered", "self_scored", "commune_reviewed", "police_verified")
    ]
    first = sweep(SEEDED.astimezone(UTC))
    # Opened on 1/12, long after their dates: five working days from now, nothing due yet.
    assert first.escalated == 0
    for dossier_id in open_ids:
        d = wf.get(dossier_id)
        assert d["step_opened_late"] is True and d["due_at"] > SEEDED
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
