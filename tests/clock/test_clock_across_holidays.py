"""issue 15: time after a return and late-step time counted in Vietnam's working days, with the
clock moved by time-machine across Tết 2027 and a substituted day off (dates from the
``holidays`` package, not typed here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
import time_machine

from scheduler.sweep import sweep
from states.calendar import LOCAL, local_date
from states.lifecycle import State
from states.rulesets import RuleSet
from tests.engine.helpers import payload_for, walk
from tests.factories import PROVINCE, build_world
from workflow import engine as wf
from workflow import rulesets
from workflow.db import write_transaction

VN = holidays.country_holidays("VN", years=range(2026, 2028))


def _working(day: date) -> bool:
    return (day.weekday() < 5 or day in VN.weekend_workdays) and day not in VN


def _nth_working_day_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= _working(day)
    return day


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL)


def _submitted_then_returned(world, kind: str, on: date) -> dict:
    rep = world.actor("unit", kind)
    d = walk(world, world.units[kind], rep, State.REGISTERED)
    with time_machine.travel(_at(on), tick=False):
        d = wf.fire(d["id"], "submit_self_score", rep, payload_for("submit_self_score", d), 1)
        return wf.fire(
            d["id"],
            "return_for_revision",
            world.actor("commune_reviewer"),
            payload_for("return_for_revision", d),
            d["version"],
        )


def test_the_time_to_resubmit_skips_tet_2027(engine):
    world = build_world()
    tet = sorted(d for d, name in VN.items() if d.year == 2027 and "Lunar New Year" in name)
    assert len(tet) >= 5  # the package knows Tết 2027
    before = tet[0] - timedelta(days=1)
    while not _working(before):
        before -= timedelta(days=1)
    d = _submitted_then_returned(world, "KDC", before)  # a 2026 dossier returned before Tết
    due_day = _nth_working_day_after(before, 5)
    assert due_day > tet[-1]
    assert (d["state"], d["escalation_level"]) == ("registered", 0)
    assert local_date(d["due_at"]) == due_day and d["step_opened_late"] is True
    with time_machine.travel(_at(tet[-1]), tick=False):
        assert sweep().escalated == 0  # nothing falls due during Tết
    with time_machine.travel(_at(_nth_working_day_after(due_day, 1), 9), tick=False):
        assert sweep().escalated == 1  # past levels 1 and 2: level 2, once
    assert wf.get(d["id"])["escalation_level"] == 2


def test_a_late_step_counts_past_a_substituted_day_off(engine):
    world = build_world()
    (day_off,) = [d for d, name in VN.items() if d.year == 2026 and "substituted" in name]
    returned_on = day_off - timedelta(days=5)  # the Wednesday before the long weekend
    while not _working(returned_on):
        returned_on -= timedelta(days=1)
    # The province's plan wants the unit's self-assessment by the day of the return.
    with write_transaction() as conn:
        rulesets.publish(
            conn,
            RuleSet(
                province_code=PROVINCE,
                year=2026,
                subject_type="KDC",
                deadlines={"steps": {"KDC": {"registered": {"by": returned_on.strftime("%m-%d")}}}},
            ),
        )
    d = _submitted_then_returned(world, "KDC", returned_on)
    due_day = _nth_working_day_after(returned_on, 5)
    assert returned_on < day_off < due_day
    assert local_date(d["due_at"]) == due_day and d["due_at"] > _at(returned_on)
    assert d["due_at"].astimezone(UTC) == datetime.combine(
        due_day, time(23, 59, 59), tzinfo=LOCAL
    ).astimezone(UTC)
