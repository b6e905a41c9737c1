"""A step's deadline is the earlier of its calendar date and its working-day limit; the ladder
gives each escalation level a time and a target."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from states.deadlines import (
    QUANG_NGAI_PLAN,
    DeadlineRules,
    default_deadline_rules,
    escalation_target,
    escalation_times,
    next_level,
    step_due_at,
)
from states.lifecycle import State
from states.subjects import ManagingLevel, SubjectType

OPENED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # Monday 10:00 local


def local_end(y, m, d):
    return datetime(y, m, d, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Vietnam


def test_national_calendar_dates():
    rules = default_deadline_rules()
    assert step_due_at(rules, SubjectType.KDC, State.POLICE_VERIFIED, 2026, OPENED) == local_end(
        2026, 11, 15
    )
    assert step_due_at(rules, SubjectType.CQ, State.POLICE_VERIFIED, 2026, OPENED) == local_end(
        2026, 11, 20
    )
    # issue 15: the law's date (the end of the evaluation window, 15/11); 05/11 is the
    # Quảng Ngãi and Đồng Nai plans', published by the demo province as its own override
    assert step_due_at(rules, SubjectType.DN, State.REGISTERED, 2026, OPENED) == local_end(
        2026, 11, 15
    )
    province = DeadlineRules.model_validate(QUANG_NGAI_PLAN)
    march = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert step_due_at(province, SubjectType.DN, State.REGISTERED, 2026, march) == local_end(
        2026, 11, 5
    )
    assert "Quảng Ngãi" in province.source and "Thông tư 124" in rules.source
    assert step_due_at(province, SubjectType.KDC, State.REGISTERED, 2026, march) == local_end(
        2026, 10, 31
    )  # steps the province does not name keep the national dates
    assert step_due_at(rules, SubjectType.DN, State.RECOGNISED, 2026, OPENED) is None


def test_the_earlier_of_date_and_working_days():
    rules = DeadlineRules.model_validate(
        {
            "steps": {
                "CQ": {
                    "self_scored": {"by": "11-10", "working_days": 3},
                    "commune_reviewed": {"by": "11-04", "working_days": 3},
                }
            }
        }
    )
    # 3 working days after Mon 2/11 is Thu 5/11, before 10/11
    assert step_due_at(rules, SubjectType.CQ, State.SELF_SCORED, 2026, OPENED) == local_end(
        2026, 11, 5
    )
    # issue 15: the calendar date 4/11 is too close (two days after opening): the minimum
    # handling time (5 working days: 9/11) replaces it, and the 3-working-day limit, 5/11, wins
    assert step_due_at(rules, SubjectType.CQ, State.COMMUNE_REVIEWED, 2026, OPENED) == local_end(
        2026, 11, 5
    )


def test_working_days_only():
    rules = DeadlineRules.model_validate({"steps": {"KDC": {"self_scored": {"working_days": 5}}}})
    opened_before_tet = datetime(2026, 2, 12, 3, 0, tzinfo=UTC)
    # Thu 12/2 + 5 working days skips Tết (16-20/2): 13, 23, 24, 25, 26
    assert step_due_at(
        rules, SubjectType.KDC, State.SELF_SCORED, 2026, opened_before_tet
    ) == local_end(2026, 2, 26)


@pytest.mark.parametrize(
    "bad",
    [
        {"steps": {"CQ": {"approved": {"by": "11-05"}}}},
        {"steps": {"CQ": {"registered": {"by": "13-05"}}}},
        {"steps": {"CQ": {"registered": {"working_days": 0}}}},
        {"ladder": {"due_soon_working_days": -1}},
    ],
)
def test_bad_deadline_rules_are_refused(bad):
    with pytest.raises(ValidationError):
        DeadlineRules.model_validate(bad)


def test_ladder_times_and_order():
    ladder = default_deadline_rules().ladder
    due = local_end(2026, 11, 5)  # Thursday
    times = escalation_times(ladder, due)
    assert times[1] == datetime(
        2026, 11, 3, 1, 0, tzinfo=UTC
    )  # Tue 08:00 local, 2 working days before
    assert times[2] == due
    assert times[3] == local_end(2026, 11, 12)  # 5 working days after Thursday 5/11
    assert next_level(ladder, due, 0) == (1, times[1])
    assert next_level(ladder, due, 2) == (3, times[3])
    assert next_level(ladder, due, 3) is None


@pytest.mark.parametrize(
    "step,managing,level,expected",
    [
        (State.SELF_SCORED, ManagingLevel.COMMUNE, 1, ("commune_reviewer", "commune")),
        (State.SELF_SCORED, ManagingLevel.COMMUNE, 2, ("ubnd", "commune")),  # the commune chairman
        (State.COMMUNE_REVIEWED, ManagingLevel.COMMUNE, 2, ("police", "province")),
        (State.POLICE_VERIFIED, ManagingLevel.COMMUNE, 2, ("ubnd", "province")),
        (State.POLICE_VERIFIED, ManagingLevel.PROVINCE, 2, ("province_admin", "province")),
        (State.REGISTERED, ManagingLevel.COMMUNE, 2, ("commune_reviewer", "commune")),
        (State.COMMUNE_REVIEWED, ManagingLevel.PROVINCE, 3, ("province_admin", "province")),
    ],
)
def test_escalation_targets(step, managing, level, expected):
    subject = SubjectType.KDC if managing is ManagingLevel.COMMUNE else SubjectType.CQ
    target = escalation_target(step, level, managing, subject)
    assert (target.role, target.level) == expected and target.label_vi and target.label_en
