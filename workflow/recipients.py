"""Who holds a seat now: the active users with the role over the territory a message names.

Looked up when the message is sent, not when it was written: a seat filled (or a user
deactivated) since the escalation is what counts.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from states.authority import Level
from states.lifecycle import Role
from workflow.models import AppUser, table_of

user_table = table_of(AppUser)


class Target(NamedTuple):
    """The seat a message is addressed to (role x territory)."""

    role: Role
    level: Level
    province_code: int
    commune_code: int | None
    unit_id: int | None


def target_of(payload: dict[str, Any]) -> Target | None:
    """The seat named by an outbox payload (``to_role``, ``to_level`` and the dossier's place);
    None for a message addressed to no seat (an integration-only event, a digest)."""
    try:
        role, level = Role(payload["to_role"]), Level(payload["to_level"])
        province = int(payload["province_code"])
    except (KeyError, ValueError, TypeError):
        return None
    return Target(role, level, province, payload.get("commune_code"), payload.get("unit_id"))


def holders(conn: Connection, target: Target) -> list[dict[str, Any]]:
    """The active users sitting in the seat, by id."""
    c = user_table.c
    where = [
        c.active.is_(True),
        c.role == target.role.value,
        c.province_code == target.province_code,
    ]
    if target.level is Level.UNIT:
        where.append(c.unit_id == target.unit_id)
    elif target.level is Level.COMMUNE:
        where.append(c.commune_code == target.commune_code)
    else:
        where.append(c.commune_code.is_(None))
    q = select(c.id, c.name, c.email, c.notify_mode, c.province_code).where(*where)
    return [dict(r._mapping) for r in conn.execute(q.order_by(c.id))]


def user(conn: Connection, user_id: int) -> dict[str, Any] | None:
    c = user_table.c
    row = conn.execute(
        select(c.id, c.name, c.email, c.notify_mode, c.active, c.province_code).where(
            c.id == user_id
        )
    ).first()
    return dict(row._mapping) if row else None
