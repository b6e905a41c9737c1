"""Who may see and manage whom: pure rules over seats (states.authority.Seat), no I/O.

A province administrator manages every user of its province; nobody manages users outside their
territory; a unit user is bound to its unit; nobody changes their own role. Each refusal names the
rule, in Vietnamese and English.
"""

from __future__ import annotations

from states.authority import Seat
from states.lifecycle import Role

# Roles that may read user records (and their trails) inside their territory.
USER_READERS = frozenset({Role.PROVINCE_ADMIN, Role.AUDITOR})
READERS_ONLY = (
    "Chỉ quản trị cấp tỉnh hoặc kiểm tra, giám sát xem được người dùng khác / only a "
    "province administrator or an auditor reads other users' records"
)


def covers(actor: Seat, target: Seat) -> bool:
    """Whether the target's seat lies inside the actor's territory (a unit seat: its own unit)."""
    if actor.role is Role.UNIT:
        return target.role is Role.UNIT and actor.unit_id == target.unit_id
    if actor.province_code != target.province_code:
        return False
    return actor.commune_code is None or actor.commune_code == target.commune_code


def read_user_problem(actor_seat: Seat, target_seat: Seat) -> str | None:
    """None when the actor may read the target's record and trail, else why not."""
    if not covers(actor_seat, target_seat):
        return (
            "Người dùng ngoài địa bàn của bạn / the user lies outside your territory: "
            "nobody sees users outside their territory"
        )
    if actor_seat.role not in USER_READERS:
        return READERS_ONLY
    return None


def manage_user_problem(actor_seat: Seat, target_seat: Seat) -> str | None:
    """None when the actor may create, change, deactivate or rotate the target, else the rule.

    ``target_seat`` is where the user sits (or will sit, for a creation or a move): both the old
    and the new seat of a move must pass."""
    if actor_seat.role is not Role.PROVINCE_ADMIN or actor_seat.commune_code is not None:
        return (
            "Chỉ quản trị cấp tỉnh quản lý người dùng / only a province administrator manages users"
        )
    if actor_seat.province_code != target_seat.province_code:
        return (
            f"Người dùng thuộc tỉnh {target_seat.province_code}, ngoài địa bàn của bạn (tỉnh "
            f"{actor_seat.province_code}) / the user belongs to province "
            f"{target_seat.province_code}: nobody manages users outside their territory"
        )
    return None


def own_change_problem(actor_id: int | None, target_id: int, *, role_changes: bool) -> str | None:
    """Nobody changes their own role, nor deactivates themselves (another administrator must)."""
    if actor_id is None or actor_id != target_id:
        return None
    if role_changes:
        return (
            "Không ai tự đổi vai trò của mình / nobody changes their own role: ask another "
            "administrator"
        )
    return None


def self_deactivation_problem(actor_id: int | None, target_id: int) -> str | None:
    if actor_id is not None and actor_id == target_id:
        return (
            "Không tự khóa tài khoản của mình / nobody deactivates their own account: ask "
            "another administrator"
        )
    return None
