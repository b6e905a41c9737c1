"""Who acts on a dossier: the authority map, keyed by subject type and managing level.

A step is done by one role at one territorial level. The map is data so a rule version (or a
province that delegates a level down) can replace it.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from states.lifecycle import STEP_ROLE, Role, Step
from states.subjects import ManagingLevel, SubjectType


class Level(str, Enum):
    UNIT = "unit"
    COMMUNE = "commune"
    PROVINCE = "province"


# Authority, Seat and Place are named tuples: every fire builds one of each, and a tuple is built
# in a fraction of a frozen dataclass's time.
class Authority(NamedTuple):
    role: Role
    level: Level


# step -> level, for units managed by their commune (KDC, and agencies/enterprises/schools the
# commune manages) and for units managed by the province (and the commune itself, XA).
_COMMUNE_MANAGED = {
    Step.REVIEW: Level.COMMUNE,
    Step.VERIFY: Level.COMMUNE,
    Step.DECIDE: Level.COMMUNE,
}
_PROVINCE_MANAGED = {
    Step.REVIEW: Level.COMMUNE,
    Step.VERIFY: Level.PROVINCE,
    Step.DECIDE: Level.PROVINCE,
}

AUTHORITY_MAP: dict[tuple[SubjectType, ManagingLevel], dict[Step, Level]] = {
    (subject, managing): dict(
        _COMMUNE_MANAGED if managing is ManagingLevel.COMMUNE else _PROVINCE_MANAGED
    )
    for subject in SubjectType
    for managing in ManagingLevel
}


def authority(subject: SubjectType, managing: ManagingLevel, step: Step) -> Authority:
    if step is Step.SELF_ASSESS:
        return Authority(Role.UNIT, Level.UNIT)
    return Authority(STEP_ROLE[step], AUTHORITY_MAP[(subject, managing)][step])


class Seat(NamedTuple):
    """Where an actor sits: a role bound to a unit, a commune or a province."""

    role: Role
    province_code: int
    commune_code: int | None = None
    unit_id: int | None = None


class Place(NamedTuple):
    """Where a dossier's unit stands."""

    unit_id: int
    subject: SubjectType
    managing: ManagingLevel
    province_code: int
    commune_code: int
