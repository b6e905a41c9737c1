"""Who may: every "may this actor see or do X" of the product, as pure functions of seats and places.

Each function returns None when the actor may, else the reason (Vietnamese / English). The
engine, the lists, registration, rule sets, units, reports and users call these; nothing else
decides authority. Reading comes first: someone who may not read a dossier or a unit is told by
``workflow/`` that it does not exist (404), so no state, version or territory leaves the house;
the reasons for reading below are for logs and tests, never for an outsider's answer.
"""

from __future__ import annotations

from typing import NamedTuple

from states.authority import Level, Place, Seat, authority
from states.lifecycle import (
    STEP_OF_STATE,
    TRANSITIONS,
    Event,
    Role,
    State,
    Step,
    Transition,
    step_for,
)
from states.subjects import ManagingLevel


class Scope(NamedTuple):
    """What a seat may read: one unit (a unit's representative), one commune, or a province."""

    level: Level
    province_code: int
    commune_code: int | None = None
    unit_id: int | None = None


def read_scope(seat: Seat) -> Scope:
    """The one read rule; ``workflow.queries.territory_clause`` is this scope as SQL."""
    if seat.role is Role.UNIT:
        return Scope(Level.UNIT, seat.province_code, seat.commune_code, seat.unit_id)
    if seat.commune_code is not None:
        return Scope(Level.COMMUNE, seat.province_code, seat.commune_code)
    return Scope(Level.PROVINCE, seat.province_code)


def in_scope(
    scope: Scope, province_code: int, commune_code: int | None, unit_id: int | None
) -> bool:
    """Whether a unit (or a dossier of it) standing at this place lies in the scope."""
    if scope.level is Level.UNIT:
        return scope.unit_id is not None and scope.unit_id == unit_id
    if scope.province_code != province_code:
        return False
    return scope.level is Level.PROVINCE or scope.commune_code == commune_code


def covers(seat: Seat, province_code: int, commune_code: int | None) -> bool:
    """Whether a territory (a province, or one commune of it) lies inside the seat's own."""
    if seat.province_code != province_code:
        return False
    return seat.commune_code is None or seat.commune_code == commune_code


_OUTSIDE_DOSSIER = "Hồ sơ ngoài địa bàn của bạn / the dossier is outside your territory"
_OUTSIDE_UNIT = "Đơn vị ngoài địa bàn của bạn / the unit is outside your territory"


def read_dossier_problem(seat: Seat, place: Place) -> str | None:
    """May read a dossier, and so its actions, assessment and audit trail."""
    if in_scope(read_scope(seat), place.province_code, place.commune_code, place.unit_id):
        return None
    return _OUTSIDE_DOSSIER


def read_unit_problem(seat: Seat, place: Place) -> str | None:
    """May read a unit (``place`` is the unit's own)."""
    if in_scope(read_scope(seat), place.province_code, place.commune_code, place.unit_id):
        return None
    return _OUTSIDE_UNIT


def step_problem(seat: Seat, place: Place, step: Step) -> str | None:
    """None when the seat holds the authority for this step over this place, else why not."""
    need = authority(place.subject, place.managing, step)
    if seat.role is not need.role:
        return (
            f"Bước này do vai trò '{need.role.value}' thực hiện, không phải '{seat.role.value}' "
            f"/ this step belongs to role '{need.role.value}', not '{seat.role.value}'"
        )
    if need.level is Level.UNIT:
        if seat.unit_id != place.unit_id:
            return "Chỉ đại diện của chính đơn vị được thực hiện / only the unit's own representative may act"
        return None
    if need.level is Level.COMMUNE:
        if seat.commune_code != place.commune_code:
            return (
                f"Hồ sơ thuộc xã {place.commune_code}, ngoài địa bàn của bạn "
                f"/ the dossier belongs to commune {place.commune_code}, outside your territory"
            )
        return None
    if seat.commune_code is not None or seat.province_code != place.province_code:
        return (
            f"Bước này do cấp tỉnh {place.province_code} thực hiện "
            f"/ this step is for the province {place.province_code} level"
        )
    return None


def _steps(transition: Transition) -> tuple[Step, ...]:
    if transition.step is not Step.CURRENT:
        return (transition.step,)
    return tuple(dict.fromkeys(STEP_OF_STATE[s] for s in transition.sources if s in STEP_OF_STATE))


# Built once: the engine asks on every fire.
_STEPS_OF: dict[Event, tuple[Step, ...]] = {t.event: _steps(t) for t in TRANSITIONS}


def steps_of(transition: Transition) -> tuple[Step, ...]:
    """Every step that may fire ``transition`` (a return belongs to whoever holds the step)."""
    return _STEPS_OF[transition.event]


def event_problem(seat: Seat, place: Place, transition: Transition) -> str | None:
    """May this seat ever fire this event on a dossier at this place, in some state? Asked
    before the version and the state, so that only someone who may act learns of a conflict.
    Its reasons name roles and levels from the lifecycle table, never the dossier's state."""
    steps = steps_of(transition)
    if len(steps) == 1:
        return step_problem(seat, place, steps[0])
    if any(step_problem(seat, place, s) is None for s in steps):
        return None
    roles = ", ".join(authority(place.subject, place.managing, s).role.value for s in steps)
    return (
        f"Sự kiện '{transition.event.value}' do người giữ bước hiện tại ({roles}) của địa bàn "
        f"hồ sơ thực hiện / '{transition.event.value}' is fired by whoever holds the dossier's "
        f"current step ({roles}) over its territory"
    )


def fire_problem(seat: Seat, place: Place, transition: Transition, state: State) -> str | None:
    """May fire ``transition`` now, in ``state`` (the step the dossier waits in)."""
    step = step_for(transition, state)
    if step is None:  # a closed state: the state check refuses it first
        return event_problem(seat, place, transition)
    return step_problem(seat, place, step)


def register_dossier_problem(seat: Seat, place: Place) -> str | None:
    """May register a dossier for the unit at ``place``: its own representative, or a commune
    reviewer or province administrator whose territory holds it."""
    if seat.role is Role.UNIT:
        if seat.unit_id is not None and seat.unit_id == place.unit_id:
            return None
        return "Chỉ đăng ký được cho đơn vị của mình / you can only register your own unit"
    if seat.role in (Role.COMMUNE_REVIEWER, Role.PROVINCE_ADMIN):
        if covers(seat, place.province_code, place.commune_code):
            return None
        return _OUTSIDE_UNIT
    return (
        f"Vai trò '{seat.role.value}' không đăng ký hồ sơ / role '{seat.role.value}' "
        "does not register dossiers"
    )


def create_unit_problem(
    seat: Seat, province_code: int, commune_code: int, managing: ManagingLevel
) -> str | None:
    """May register a new unit in this commune: a province administrator anywhere in the
    province; a commune reviewer the units its own commune manages."""
    if seat.role is Role.PROVINCE_ADMIN:
        if covers(seat, province_code, commune_code):
            return None
        return "Bạn không quản lý địa bàn này / you do not manage this territory"
    if seat.role is Role.COMMUNE_REVIEWER:
        if seat.commune_code != commune_code:
            return "Bạn không quản lý địa bàn này / you do not manage this territory"
        if managing is not ManagingLevel.COMMUNE:
            return (
                "Đơn vị do tỉnh quản lý do quản trị cấp tỉnh đăng ký / a unit the province "
                "manages is registered by a province administrator"
            )
        return None
    return (
        f"Vai trò '{seat.role.value}' không đăng ký đơn vị / role '{seat.role.value}' "
        "does not register units"
    )


def publish_rules_problem(seat: Seat, province_code: int | None) -> str | None:
    """May publish a rule set for a province (None: the national default, the operator's)."""
    if seat.role is not Role.PROVINCE_ADMIN:
        return (
            f"Chỉ quản trị cấp tỉnh mới ban hành bộ quy tắc (vai trò của bạn: "
            f"{seat.role.value}) / only a province administrator publishes rule sets "
            f"(your role: {seat.role.value})"
        )
    if province_code is None:
        return (
            "Bộ quy tắc quốc gia do người vận hành hệ thống ban hành / the national rule set "
            "is published by the operator, not by a province"
        )
    if seat.province_code != province_code:
        return (
            f"Bạn quản trị tỉnh {seat.province_code}, không ban hành cho tỉnh "
            f"{province_code} / you administer province {seat.province_code}, not "
            f"{province_code}"
        )
    return None


def report_problem(seat: Seat, province_code: int, commune_code: int | None) -> str | None:
    """May read the report of a province (``commune_code`` None) or of one of its communes."""
    if seat.role is Role.UNIT:
        return (
            "Báo cáo dành cho cán bộ; đại diện đơn vị xem hồ sơ của mình / reports are "
            "for officials; a unit's representative reads its own dossier"
        )
    if covers(seat, province_code, commune_code):
        return None
    return (
        f"Ngoài địa bàn của bạn (tỉnh {seat.province_code}"
        f"{f', xã {seat.commune_code}' if seat.commune_code else ''}) / outside "
        "your territory"
    )


def manage_user_problem(actor_seat: Seat, target_seat: Seat) -> str | None:
    """May create, change or deactivate the user sitting at ``target_seat``: a province
    administrator, for every user of its own province; a unit's user must be bound to a unit."""
    if actor_seat.role is not Role.PROVINCE_ADMIN:
        return (
            f"Chỉ quản trị cấp tỉnh quản lý người dùng (vai trò của bạn: {actor_seat.role.value})"
            f" / only a province administrator manages users (your role: "
            f"{actor_seat.role.value})"
        )
    if actor_seat.commune_code is not None or actor_seat.province_code != target_seat.province_code:
        return (
            f"Người dùng ngoài địa bàn của bạn (tỉnh {actor_seat.province_code}) / the user is "
            f"outside your territory (province {actor_seat.province_code})"
        )
    if target_seat.role is Role.UNIT and target_seat.unit_id is None:
        return (
            "Người dùng vai trò 'unit' phải gắn với một đơn vị / a unit's user must be bound "
            "to its unit"
        )
    if target_seat.role is not Role.UNIT and target_seat.unit_id is not None:
        return (
            f"Chỉ vai trò 'unit' gắn với đơn vị, không phải '{target_seat.role.value}' / only "
            f"a unit's user is bound to a unit, not role '{target_seat.role.value}'"
        )
    return None


# Users: reading and managing them. manage_user_problem above is the rule for every change.

USER_READERS = frozenset({Role.PROVINCE_ADMIN, Role.AUDITOR})
READERS_ONLY = (
    "Chỉ quản trị cấp tỉnh hoặc kiểm tra, giám sát xem được người dùng khác / only a "
    "province administrator or an auditor reads other users' records"
)


def user_in_scope(actor_seat: Seat, target_seat: Seat) -> bool:
    """Whether the target user sits inside what the actor may read: outside it, the user does
    not exist for the actor (404)."""
    return in_scope(
        read_scope(actor_seat),
        target_seat.province_code,
        target_seat.commune_code,
        target_seat.unit_id,
    )


def read_user_problem(actor_seat: Seat, target_seat: Seat) -> str | None:
    """May read another user's record and trail: a province administrator or an auditor whose
    territory holds the user."""
    if not user_in_scope(actor_seat, target_seat):
        return (
            "Người dùng ngoài địa bàn của bạn / the user is outside your territory: nobody "
            "sees users outside their territory"
        )
    if actor_seat.role not in USER_READERS:
        return READERS_ONLY
    return None


def own_role_problem(actor_id: int | None, target_id: int) -> str | None:
    """Nobody changes their own role: another administrator must."""
    if actor_id is not None and actor_id == target_id:
        return (
            "Không ai tự đổi vai trò của mình / nobody changes their own role: ask another "
            "administrator"
        )
    return None


def self_deactivation_problem(actor_id: int | None, target_id: int) -> str | None:
    """Nobody deactivates themselves (a province would lock out its last administrator)."""
    if actor_id is not None and actor_id == target_id:
        return (
            "Không tự khóa tài khoản của mình / nobody deactivates their own account: ask "
            "another administrator"
        )
    return None
