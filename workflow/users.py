"""Users: a role bound to a territory (or to a unit), and an API token stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select

from states import territory
from states.lifecycle import Role
from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.errors import InvalidInput, NotFound
from workflow.models import AppUser, Unit, table_of

user_table = table_of(AppUser)
unit_table = table_of(Unit)

COMMUNE_ROLES = {Role.COMMUNE_REVIEWER}
PROVINCE_ONLY_ROLES = {Role.PROVINCE_ADMIN}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    *,
    name: str,
    role: str,
    territory_code: str | None = None,
    unit_id: int | None = None,
    engine: Engine | None = None,
) -> tuple[Actor, str]:
    """Create a user and return it with its token; the token is shown once and stored hashed."""
    try:
        r = Role(role)
    except ValueError:
        raise InvalidInput(
            [
                f"Vai trò '{role}' không hợp lệ / unknown role '{role}'; use one of: "
                f"{', '.join(x.value for x in Role)}"
            ]
        ) from None
    if not name or not name.strip():
        raise InvalidInput(["Cần tên người dùng / the user needs a name"])
    with write_transaction(engine) as conn:
        if r is Role.UNIT:
            if unit_id is None:
                raise InvalidInput(
                    ["Người dùng vai trò 'unit' cần --unit / a unit user needs --unit"]
                )
            unit = conn.execute(select(unit_table).where(unit_table.c.id == unit_id)).first()
            if unit is None:
                raise NotFound(f"Không có đơn vị số {unit_id} / there is no unit {unit_id}")
            province_code, commune_code = unit.province_code, unit.commune_code
        else:
            if territory_code is None:
                raise InvalidInput(["Cần địa bàn (--territory) / a territory is required"])
            try:
                province_code, commune_code = territory.parse_territory(str(territory_code))
            except ValueError as e:
                raise InvalidInput([str(e)]) from None
            if r in COMMUNE_ROLES and commune_code is None:
                raise InvalidInput(
                    [
                        f"Vai trò '{r.value}' gắn với một xã / role '{r.value}' is bound "
                        "to a commune: give a commune code"
                    ]
                )
            if r in PROVINCE_ONLY_ROLES and commune_code is not None:
                raise InvalidInput(
                    [
                        f"Vai trò '{r.value}' gắn với một tỉnh / role '{r.value}' is bound "
                        "to a province: give a province code"
                    ]
                )
            unit_id = None
        token = secrets.token_urlsafe(32)
        row = {
            "name": name.strip(),
            "role": r.value,
            "province_code": province_code,
            "commune_code": commune_code,
            "unit_id": unit_id,
            "token_hash": hash_token(token),
            "active": True,
            "created_at": datetime.now(UTC),
        }
        user_id = conn.execute(insert(user_table).returning(user_table.c.id), row).scalar_one()
    return Actor(user_id, row["name"], r, province_code, commune_code, unit_id), token


def actor_from_row(row: Any) -> Actor:
    return Actor(row.id, row.name, Role(row.role), row.province_code, row.commune_code, row.unit_id)


# Built once: every API request runs it (see workflow/engine.py on statement building).
_BY_TOKEN = select(
    user_table.c.id,
    user_table.c.name,
    user_table.c.role,
    user_table.c.province_code,
    user_table.c.commune_code,
    user_table.c.unit_id,
).where(user_table.c.token_hash == bindparam("token_hash"), user_table.c.active.is_(True))


def authenticate(token: str, engine: Engine | None = None) -> Actor | None:
    """The active user holding this token, read on every call: a deactivated token stops at once."""
    with read_connection(engine) as conn:
        row = conn.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    return actor_from_row(row) if row else None


def get_actor(user_id: int, engine: Engine | None = None) -> Actor:
    with read_connection(engine) as conn:
        row = conn.execute(select(user_table).where(user_table.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"Không có người dùng số {user_id} / there is no user {user_id}")
    return actor_from_row(row)
