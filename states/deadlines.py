"""Deadlines and the escalation ladder, as data in a rule set's ``deadlines`` section.

A step's deadline is the earlier of its calendar date (the law gives dates: a KDC decision
before 15/11, the others before 20/11; provinces set earlier internal dates) and an optional
limit in working days from when the step opened (a province may add one). A step that opens
after, or too close to, its calendar date gets a minimum handling time instead (working days
from when it opened, default 5), and says it opened late. A dossier returned for supplements
gives the unit a fresh time to resubmit in the same way. Steps are named by the state the
dossier waits in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from states.authority import Level, authority
from states.calendar import (
    add_working_days,
    end_of_local_day,
    local_date,
    start_of_local_day,
    working_day_deadline,
)
from states.lifecycle import STEP_OF_STATE, Role, State
from states.subjects import ManagingLevel, SubjectType

OPEN_STEPS = tuple(s.value for s in STEP_OF_STATE)


class StepDeadline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    by: str | None = Field(default=None, description="calendar date in the dossier's year, MM-DD")
    working_days: int | None = Field(default=None, ge=1, le=120)
    # The least time a step opened after (or just before) its calendar date still gets; 0: none.
    min_working_days: int = Field(default=5, ge=0, le=60)

    @field_validator("by")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(f"2024-{value}")  # a leap year accepts 02-29
            except ValueError:
                raise ValueError(f"'{value}' is not a month-day like 11-05") from None
        return value


class Ladder(BaseModel):
    """Level 1 'due soon' N working days before the deadline (to the step's own authority),
    level 2 'overdue' at the deadline (to the supervising authority), level 3 'long overdue' M
    working days after it (to the province's steering committee)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due_soon_working_days: int = Field(default=2, ge=0, le=30)
    long_overdue_working_days: int = Field(default=5, ge=1, le=60)


NATIONAL_SOURCE = (
    "Thông tư 124/2021/TT-BCA Điều 8.2 (hết kỳ đánh giá, hạn quyết định); ngày xét duyệt và "
    "thẩm định ở giữa là mặc định của hệ thống / Circular 124/2021/TT-BCA art. 8.2 (end of the "
    "evaluation window, decision deadline); the review and verification dates between them are "
    "this engine's defaults"
)


def _national_steps() -> dict[SubjectType, dict[str, StepDeadline]]:
    # The law's dates only: self-assessment when the evaluation window closes (KDC 31/10, the
    # others 15/11), decision before 15/11 (KDC) or 20/11. The dates between are this engine's
    # defaults: a province overrides them (the demo province's plan: ``QUANG_NGAI_PLAN``).
    kdc = {
        "registered": "10-31",
        "self_scored": "11-05",
        "commune_reviewed": "11-10",
        "police_verified": "11-15",
    }
    other = {
        "registered": "11-15",
        "self_scored": "11-17",
        "commune_reviewed": "11-18",
        "police_verified": "11-20",
    }
    return {
        s: {
            step: StepDeadline(by=(kdc if s is SubjectType.KDC else other)[step])
            for step in OPEN_STEPS
        }
        for s in SubjectType
    }


# The demo province's published dates (the plans of Quảng Ngãi, seed 001_*, and Đồng Nai, seed
# 003_*: self-classification dossiers and results before 05/11): a province's override, not law.
QUANG_NGAI_PLAN: dict = {
    "source": (
        "Kế hoạch của UBND tỉnh Quảng Ngãi: hồ sơ, kết quả tự phân loại trước 05/11 (như Đồng "
        "Nai) / the Quảng Ngãi provincial plan: dossiers and results before 05/11 (as Đồng Nai)"
    ),
    "steps": {
        s.value: {"registered": {"by": "11-05"}, "self_scored": {"by": "11-10"}}
        | {"commune_reviewed": {"by": "11-15"}, "police_verified": {"by": "11-20"}}
        for s in SubjectType
        if s is not SubjectType.KDC
    },
}


class DeadlineRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Whose dates these are: the law's, or a province's plan (shown beside the deadlines).
    source: str = Field(default=NATIONAL_SOURCE, max_length=500)
    # A province names only the steps it changes; the others keep the national dates.
    steps: dict[SubjectType, dict[str, StepDeadline]] = Field(default_factory=_national_steps)
    ladder: Ladder = Ladder()
    # A dossier returned for supplements gives the unit this many working days to resubmit.
    resubmit_working_days: int = Field(default=5, ge=1, le=60)

    @field_validator("steps")
    @classmethod
    def _known_steps(
        cls, steps: dict[SubjectType, dict[str, StepDeadline]]
    ) -> dict[SubjectType, dict[str, StepDeadline]]:
        bad = sorted({k for per in steps.values() for k in per} - set(OPEN_STEPS))
        if bad:
            raise ValueError(f"unknown steps {bad}: steps are {list(OPEN_STEPS)}")
        national = _national_steps()
        return {s: {**national[s], **steps.get(s, {})} for s in SubjectType}


def default_deadline_rules() -> DeadlineRules:
    return DeadlineRules()


@lru_cache(maxsize=256)
def parse(section_json: str) -> DeadlineRules:
    return (
        DeadlineRules.model_validate_json(section_json)
        if section_json not in ("", "{}")
        else DeadlineRules()
    )


class StepClock(NamedTuple):
    """When a step falls due, and whether its calendar date had to give way to a minimum time."""

    due_at: datetime | None
    opened_late: bool = False


def step_clock(
    rules: DeadlineRules,
    subject: SubjectType,
    step_state: State,
    year: int,
    opened_at: datetime,
    *,
    returned: bool = False,
) -> StepClock:
    """The deadline of the step the dossier enters at ``opened_at``. The calendar date gives way
    to the minimum handling time (``returned``: the time to resubmit) when it comes sooner; a
    province's working-day limit still applies. None for a closed state or a step without dates."""
    if step_state not in STEP_OF_STATE:
        return StepClock(None)
    spec = rules.steps.get(subject, {}).get(step_state.value)
    if spec is None:
        return StepClock(None)
    least = rules.resubmit_working_days if returned else spec.min_working_days
    floor = working_day_deadline(opened_at, least) if least else None
    candidates: list[datetime] = []
    late = False
    if spec.by:
        calendar = end_of_local_day(date.fromisoformat(f"{year}-{spec.by}"))
        if floor is not None and floor > calendar:
            calendar, late = floor, True
        candidates.append(calendar)
    if spec.working_days:
        candidates.append(working_day_deadline(opened_at, spec.working_days))
    if not candidates:
        return StepClock(floor if returned else None, returned and floor is not None)
    return StepClock(min(candidates), late)


def step_due_at(
    rules: DeadlineRules, subject: SubjectType, step_state: State, year: int, opened_at: datetime
) -> datetime | None:
    """The deadline of the step the dossier enters at ``opened_at`` (``step_clock``'s)."""
    return step_clock(rules, subject, step_state, year, opened_at).due_at


@lru_cache(maxsize=4096)  # few distinct deadlines: most steps share a calendar date
def escalation_times(ladder: Ladder, due_at: datetime) -> Mapping[int, datetime]:
    """When each level falls due for a step with this deadline (UTC)."""
    due_day = local_date(due_at)
    soon = (
        add_working_days(due_day, -ladder.due_soon_working_days)
        if ladder.due_soon_working_days
        else due_day
    )
    return MappingProxyType(
        {
            1: min(start_of_local_day(soon), due_at),
            2: due_at,
            3: end_of_local_day(add_working_days(due_day, ladder.long_overdue_working_days)),
        }
    )


def due_level(
    ladder: Ladder, due_at: datetime, current: int, now: datetime
) -> tuple[int, datetime] | None:
    """The highest level above ``current`` already due at ``now`` and when it fell due; None if
    none is. A step past several levels gets only the highest: one message, never a burst."""
    found = None
    for level, at in sorted(escalation_times(ladder, due_at).items()):
        if level > current and at <= now:
            found = (level, at)
    return found


@lru_cache(maxsize=4096)  # every step that opens asks it, and most share a deadline
def next_level(ladder: Ladder, due_at: datetime, current: int) -> tuple[int, datetime] | None:
    """The first level above ``current`` and when it falls due; None after the last level."""
    for level, at in sorted(escalation_times(ladder, due_at).items()):
        if level > current:
            return level, at
    return None


@dataclass(frozen=True)
class EscalationTarget:
    role: str
    level: str
    label_vi: str
    label_en: str


# Who supervises whom, for level 2: the commune's UBND chairman supervises the commune reviewer,
# the provincial police the commune police, the provincial UBND a commune UBND; the province's
# steering committee (province_admin) supervises the province-level authorities.
SUPERVISOR: dict[tuple[Role, Level], tuple[Role, Level]] = {
    (Role.UNIT, Level.UNIT): (Role.COMMUNE_REVIEWER, Level.COMMUNE),
    (Role.COMMUNE_REVIEWER, Level.COMMUNE): (Role.UBND, Level.COMMUNE),
    (Role.POLICE, Level.COMMUNE): (Role.POLICE, Level.PROVINCE),
    (Role.UBND, Level.COMMUNE): (Role.UBND, Level.PROVINCE),
    (Role.POLICE, Level.PROVINCE): (Role.PROVINCE_ADMIN, Level.PROVINCE),
    (Role.UBND, Level.PROVINCE): (Role.PROVINCE_ADMIN, Level.PROVINCE),
}
LEVEL_WORDS = {
    1: ("Sắp đến hạn", "due soon"),
    2: ("Quá hạn", "overdue"),
    3: ("Quá hạn kéo dài", "long overdue"),
}


def escalation_target(
    step_state: State, level: int, managing: ManagingLevel, subject: SubjectType
) -> EscalationTarget:
    owner = authority(subject, managing, STEP_OF_STATE[step_state])
    if level == 1:
        role, where = owner.role, owner.level
    elif level == 2:
        role, where = SUPERVISOR[(owner.role, owner.level)]
    else:
        role, where = Role.PROVINCE_ADMIN, Level.PROVINCE
    vi, en = LEVEL_WORDS[level]
    return EscalationTarget(
        role.value,
        where.value,
        f"{vi}: bước '{step_state.value}' của {owner.role.value} cấp {owner.level.value}",
        f"{en}: step '{step_state.value}' owed by {owner.role.value} ({owner.level.value})",
    )
