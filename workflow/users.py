"""Users: a role bound to a territory (or to a unit), an API token stored only as a hash, and the
lifecycle an administrator manages: create, change, deactivate, reactivate, rotate the token.

Every change writes one row to the user's hash-chained trail (workflow/user_trail.py) in the same
transaction. Who may manage whom is one pure rule (states/access.py). Signing in is in
workflow/tokens.py.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from states import access, territory
from states.authority import Seat
from states.contacts import normalise_email, normalise_phone
from states.lifecycle import Role
from workflow import broken_trails, queries, user_trail
from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.errors import BrokenUserTrail, Conflict, Forbidden, InvalidInput, NotFound
from workflow.models import AppUser, Unit, table_of
from workflow.settings import get_settings
from workflow.tokens import UNKNOWN as UNKNOWN_TOKEN
from workflow.tokens import TokenRefusal, authenticate, hash_token, token_refusal
from workflow.user_trail import Who

# Signing in lives in workflow/tokens.py; its names stay importable from here.
__all__ = [
    "UNKNOWN_TOKEN",
    "TokenRefusal",
    "authenticate",
    "create_user",
    "get_actor",
    "hash_token",
    "token_refusal",
]

user_table = table_of(AppUser)
unit_table = table_of(Unit)

COMMUNE_ROLES = {Role.COMMUNE_REVIEWER}
PROVINCE_ONLY_ROLES = {Role.PROVINCE_ADMIN}
NOTIFY_MODES = ("immediate", "digest")
# What a user record shows; never the token hashes.
PUBLIC_COLUMNS = (
    "id",
    "name",
    "role",
    "province_code",
    "commune_code",
    "unit_id",
    "email",
    "phone",
    "active",
    "notify_mode",
    "oidc_subject",
    "created_at",
    "token_expires_at",
    "token_rotated_at",
    "last_used_at",
    "deactivated_at",
)
_PUBLIC = select(*[user_table.c[c] for c in PUBLIC_COLUMNS])


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_expiry(now: datetime) -> datetime:
    return now + timedelta(days=get_settings().token_ttl_days)


def who(by: Actor | None, operator: str | None = None) -> Who:
    """The trail's actor: a signed-in user, or the operator at the command line."""
    if by is not None:
        return Who(by.id, by.name, by.role.value)
    return Who(None, operator or "operator (dossier CLI)", "operator")


def actor_from_row(row: Any) -> Actor:
    return Actor(row.id, row.name, Role(row.role), row.province_code, row.commune_code, row.unit_id)


def seat_of(row: Any) -> Seat:
    return Seat(Role(row.role), row.province_code, row.commune_code, row.unit_id)


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            [
                f"Vai trò '{role}' không hợp lệ / unknown role '{role}'; use one of: "
                f"{', '.join(x.value for x in Role)}"
            ]
        ) from None


def _name(name: str | None) -> str:
    if not name or not name.strip():
        raise InvalidInput(["Cần tên người dùng / the user needs a name"])
    if len(name.strip()) > 200:
        raise InvalidInput(["Tên dài quá 200 ký tự / the name is longer than 200 characters"])
    return name.strip()


def _contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    reasons: list[str] = []
    out: list[str | None] = []
    for value, check in ((email, normalise_email), (phone, normalise_phone)):
        if value is None or not value.strip():
            out.append(None)
            continue
        try:
            out.append(check(value))
        except ValueError as e:
            reasons.append(str(e))
            out.append(None)
    if reasons:
        raise InvalidInput(reasons)
    return out[0], out[1]


def _notify_mode(mode: str) -> str:
    if mode not in NOTIFY_MODES:
        raise InvalidInput(
            [
                f"notify_mode: '{mode}' không hợp lệ / is not a notification mode; use "
                "immediate (each notice at once) or digest (one summary a day)"
            ]
        )
    return mode


def _seat(
    conn: Connection, role: Role, territory_code: str | None, unit_id: int | None
) -> tuple[int, int | None, int | None]:
    """(province, commune, unit) for a role: a unit user is bound to its unit, the others to a
    territory that fits the role."""
    if role is Role.UNIT:
        if territory_code is not None:
            raise InvalidInput(
                [
                    "Người dùng vai trò 'unit' gắn với đơn vị của mình; đổi đơn vị thay vì địa "
                    "bàn / a unit user is bound to its unit: give its unit, not a territory"
                ]
            )
        if unit_id is None:
            raise InvalidInput(["Người dùng vai trò 'unit' cần --unit / a unit user needs --unit"])
        unit = conn.execute(select(unit_table).where(unit_table.c.id == unit_id)).first()
        if unit is None:
            raise NotFound(f"Không có đơn vị số {unit_id} / there is no unit {unit_id}")
        return unit.province_code, unit.commune_code, unit_id
    if unit_id is not None:
        raise InvalidInput(
            [
                f"Chỉ vai trò 'unit' gắn với đơn vị, không phải '{role.value}' / only role "
                f"'unit' is bound to a unit, not '{role.value}'"
            ]
        )
    if territory_code is None:
        raise InvalidInput(["Cần địa bàn (--territory) / a territory is required"])
    try:
        province_code, commune_code = territory.parse_territory(str(territory_code))
    except ValueError as e:
        raise InvalidInput([str(e)]) from None
    if role in COMMUNE_ROLES and commune_code is None:
        raise InvalidInput(
            [
                f"Vai trò '{role.value}' gắn với một xã / role '{role.value}' is bound "
                "to a commune: give a commune code"
            ]
        )
    if role in PROVINCE_ONLY_ROLES and commune_code is not None:
        raise InvalidInput(
            [
                f"Vai trò '{role.value}' gắn với một tỉnh / role '{role.value}' is bound "
                "to a province: give a province code"
            ]
        )
    return province_code, commune_code, None


def _email_taken(conn: Connection, email: str | None, user_id: int | None) -> None:
    if email is None:
        return
    q = select(user_table.c.id).where(user_table.c.email == email)
    if user_id is not None:
        q = q.where(user_table.c.id != user_id)
    if conn.execute(q).first() is not None:
        raise Conflict(
            f"Địa chỉ thư {email} đã thuộc một người dùng khác / the email {email} already "
            "belongs to another user: each address names one person"
        )


def _may_manage(by: Actor | None, seat: Seat) -> None:
    if by is None:  # the operator at the command line holds the machine
        return
    problem = access.manage_user_problem(by.seat, seat)
    if problem:
        raise Forbidden(problem)


def create_user(
    *,
    name: str,
    role: str,
    territory_code: str | None = None,
    unit_id: int | None = None,
    email: str | None = None,
    phone: str | None = None,
    notify_mode: str = "immediate",
    by: Actor | None = None,
    operator: str | None = None,
    request_id: str | None = None,
    engine: Engine | None = None,
) -> tuple[Actor, str]:
    """Create a user and return it with its token; the token is shown once and stored hashed.
    ``by`` is the administrator creating it (None: the operator at the command line)."""
    r = _role(role)
    clean_name = _name(name)
    clean_email, clean_phone = _contact(email, phone)
    mode = _notify_mode(notify_mode)
    with write_transaction(engine) as conn:
        province_code, commune_code, unit_id = _seat(conn, r, territory_code, unit_id)
        _may_manage(by, Seat(r, province_code, commune_code, unit_id))
        _email_taken(conn, clean_email, None)
        token = new_token()
        now = datetime.now(UTC)
        row = {
            "name": clean_name,
            "role": r.value,
            "province_code": province_code,
            "commune_code": commune_code,
            "unit_id": unit_id,
            "token_hash": hash_token(token),
            "active": True,
            "created_at": now,
            "email": clean_email,
            "phone": clean_phone,
            "notify_mode": mode,
            "token_expires_at": token_expiry(now),
        }
        try:
            user_id = conn.execute(insert(user_table).returning(user_table.c.id), row).scalar_one()
        except IntegrityError:  # the same address created at the same moment elsewhere
            raise Conflict(
                f"Địa chỉ thư {clean_email} đã thuộc một người dùng khác / the email "
                f"{clean_email} already belongs to another user"
            ) from None
        head = user_trail.append(
            conn,
            user_id=user_id,
            seq=1,
            prev_hash=user_trail.GENESIS,
            event=user_trail.CREATED,
            who=who(by, operator),
            before={},
            after=_trail_view(row),
            at=now,
            request_id=request_id,
        )
        conn.execute(
            update(user_table)
            .where(user_table.c.id == user_id)
            .values(trail_seq=1, trail_head=head)
        )
    return Actor(user_id, clean_name, r, province_code, commune_code, unit_id), token


def _trail_view(row: dict[str, Any]) -> dict[str, Any]:
    """What the trail records of a user: the power given and the contact, never a token."""
    keys = ("name", "role", "province_code", "commune_code", "unit_id", "email", "phone")
    out = {k: row.get(k) for k in keys}
    if "notify_mode" in row:
        out["notify_mode"] = row["notify_mode"]
    if row.get("token_expires_at") is not None:
        out["token_expires_at"] = row["token_expires_at"]
    return out


def _locked(conn: Connection, user_id: int) -> Any:
    q = select(user_table).where(user_table.c.id == user_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"Không có người dùng số {user_id} / there is no user {user_id}")
    return row


def _outside(user_id: int) -> NotFound:
    return NotFound(
        f"Không có người dùng số {user_id} trong địa bàn của bạn / there is no user {user_id} "
        "in your territory"
    )


def _target(conn: Connection, user_id: int, by: Actor | None) -> Any:
    """The locked user row, when ``by`` may manage it: outside the territory it does not exist
    (404); inside, the rule that refuses says why (403)."""
    row = _locked(conn, user_id)
    if by is not None and not access.user_in_scope(by.seat, seat_of(row)):
        raise _outside(user_id)
    _may_manage(by, seat_of(row))
    return row


def _record_change(
    conn: Connection,
    row: Any,
    event: str,
    by: Actor | None,
    operator: str | None,
    before: dict[str, Any],
    after: dict[str, Any],
    values: dict[str, Any],
    now: datetime,
    request_id: str | None,
) -> None:
    seq = row.trail_seq + 1
    try:
        head = user_trail.append(
            conn,
            user_id=row.id,
            seq=seq,
            prev_hash=row.trail_head or user_trail.GENESIS,
            event=event,
            who=who(by, operator),
            before=before,
            after=after,
            at=now,
            request_id=request_id,
        )
    except IntegrityError as err:
        if not broken_trails.is_user_seq_taken(err):
            raise
        # A row at the seq this change was to take was written behind the engine.
        raise BrokenUserTrail(
            row.id, broken_trails.user_row_id_at(row.id, seq, conn.engine), seq
        ) from None
    conn.execute(
        update(user_table)
        .where(user_table.c.id == row.id)
        .values(**values, trail_seq=row.trail_seq + 1, trail_head=head)
    )


UPDATABLE = ("name", "role", "territory", "unit_id", "email", "phone", "notify_mode")


def update_user(
    user_id: int,
    changes: dict[str, Any],
    *,
    by: Actor | None,
    operator: str | None = None,
    request_id: str | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Change a user's name, role, territory or unit, email, phone or notification mode; one
    trail row records before and after. Keys absent from ``changes`` stay; an email or phone
    given as None or "" is removed."""
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise InvalidInput([f"{k}: không đổi được / cannot be changed" for k in unknown])
    with write_transaction(engine) as conn:
        row = _target(conn, user_id, by)
        old = dict(row._mapping)
        new: dict[str, Any] = {}
        if "name" in changes:
            new["name"] = _name(changes["name"])
        if "notify_mode" in changes:
            new["notify_mode"] = _notify_mode(changes["notify_mode"])
        if "email" in changes:
            new["email"] = _contact(changes["email"], None)[0]
            _email_taken(conn, new["email"], user_id)
        if "phone" in changes:
            new["phone"] = _contact(None, changes["phone"])[1]
        role = _role(changes["role"]) if changes.get("role") is not None else Role(row.role)
        moves = any(changes.get(k) is not None for k in ("role", "territory", "unit_id"))
        if moves:
            territory_code = changes.get("territory")
            unit_id = changes.get("unit_id")
            if role is Role.UNIT and unit_id is None and territory_code is None:
                unit_id = row.unit_id
            elif role is not Role.UNIT and territory_code is None and unit_id is None:
                if row.role == Role.UNIT.value:
                    raise InvalidInput(
                        ["Cần địa bàn cho vai trò mới / the new role needs a territory"]
                    )
                territory_code = (
                    f"commune:{row.commune_code}"
                    if row.commune_code is not None
                    else f"province:{row.province_code}"
                )
            province_code, commune_code, unit_id = _seat(conn, role, territory_code, unit_id)
            if role.value != row.role:
                problem = access.own_role_problem(by.id if by else None, user_id)
                if problem:
                    raise Forbidden(problem)
            _may_manage(by, Seat(role, province_code, commune_code, unit_id))
            new.update(
                role=role.value,
                province_code=province_code,
                commune_code=commune_code,
                unit_id=unit_id,
            )
        changed = {k: v for k, v in new.items() if old[k] != v}
        if not changed:
            return _public(old)
        if "role" in changed:
            event = user_trail.ROLE_CHANGED
        elif {"province_code", "commune_code", "unit_id"} & set(changed):
            event = user_trail.TERRITORY_CHANGED
        elif {"email", "phone"} & set(changed):
            event = user_trail.CONTACT_CHANGED
        else:
            event = user_trail.CHANGED
        now = datetime.now(UTC)
        try:
            _record_change(
                conn,
                row,
                event,
                by,
                operator,
                {k: old[k] for k in changed},
                changed,
                changed,
                now,
                request_id,
            )
        except IntegrityError:
            raise Conflict(
                "Địa chỉ thư đã thuộc một người dùng khác / the email already belongs to "
                "another user"
            ) from None
    return get_user(user_id, engine=engine)


def deactivate_user(
    user_id: int,
    *,
    by: Actor | None,
    operator: str | None = None,
    request_id: str | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The user's token stops on its very next request (every request reads the row)."""
    problem = access.self_deactivation_problem(by.id if by else None, user_id)
    if problem:
        raise Forbidden(problem)
    with write_transaction(engine) as conn:
        row = _target(conn, user_id, by)
        if not row.active:
            raise Conflict(
                f"Người dùng {user_id} đã bị khóa từ {_when(row.deactivated_at)} / user "
                f"{user_id} is already deactivated (since {_when(row.deactivated_at)})"
            )
        now = datetime.now(UTC)
        _record_change(
            conn,
            row,
            user_trail.DEACTIVATED,
            by,
            operator,
            {"active": True},
            {"active": False},
            {"active": False, "deactivated_at": now},
            now,
            request_id,
        )
        from workflow.sessions import end_sessions_of  # sessions build on users: import late

        end_sessions_of(user_id, conn=conn)
    return get_user(user_id, engine=engine)


def reactivate_user(
    user_id: int,
    *,
    by: Actor | None,
    operator: str | None = None,
    request_id: str | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    with write_transaction(engine) as conn:
        row = _target(conn, user_id, by)
        if row.active:
            raise Conflict(
                f"Người dùng {user_id} đang hoạt động / user {user_id} is already active"
            )
        now = datetime.now(UTC)
        _record_change(
            conn,
            row,
            user_trail.REACTIVATED,
            by,
            operator,
            {"active": False, "deactivated_at": row.deactivated_at},
            {"active": True},
            {"active": True, "deactivated_at": None},
            now,
            request_id,
        )
    return get_user(user_id, engine=engine)


def rotate_token(
    user_id: int,
    *,
    by: Actor | None,
    operator: str | None = None,
    request_id: str | None = None,
    engine: Engine | None = None,
) -> tuple[dict[str, Any], str]:
    """A new token, shown once; the old one stops at once and is recognised as rotated. A user
    may rotate their own token (one suspected of leaking); an administrator anyone's it manages."""
    with write_transaction(engine) as conn:
        if by is not None and by.id == user_id:
            row = _locked(conn, user_id)
        else:
            row = _target(conn, user_id, by)
        token = new_token()
        now = datetime.now(UTC)
        expires = token_expiry(now)
        _record_change(
            conn,
            row,
            user_trail.TOKEN_ROTATED,
            by,
            operator,
            {"token_expires_at": row.token_expires_at},
            {"token_expires_at": expires},
            {
                "token_hash": hash_token(token),
                "previous_token_hash": row.token_hash,
                "token_rotated_at": now,
                "token_expires_at": expires,
            },
            now,
            request_id,
        )
    return get_user(user_id, engine=engine), token


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at is not None else "?"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in PUBLIC_COLUMNS}


def get_user(
    user_id: int, *, by: Actor | None = None, engine: Engine | None = None
) -> dict[str, Any]:
    """One user's record; ``by`` reads it when it is themselves or access.read_user_problem
    allows (outside the territory the user does not exist: 404)."""
    with read_connection(engine) as conn:
        row = conn.execute(_PUBLIC.where(user_table.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"Không có người dùng số {user_id} / there is no user {user_id}")
    if by is not None and by.id != user_id:
        if not access.user_in_scope(by.seat, seat_of(row)):
            raise _outside(user_id)
        problem = access.read_user_problem(by.seat, seat_of(row))
        if problem:
            raise Forbidden(problem)
    return _public(dict(row._mapping))


def user_trail_of(
    user_id: int, *, by: Actor | None = None, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """The user's trail, for a province administrator or an auditor of the territory."""
    with read_connection(engine) as conn:
        row = conn.execute(_PUBLIC.where(user_table.c.id == user_id)).first()
        if row is None or (by is not None and not access.user_in_scope(by.seat, seat_of(row))):
            raise _outside(user_id)
        if by is not None:
            problem = access.read_user_problem(by.seat, seat_of(row))
            if problem:
                raise Forbidden(problem)
        return user_trail.trail(conn, user_id)


def list_users(
    conn: Connection,
    by: Actor | None,
    *,
    role: str | None = None,
    territory_code: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One keyset page of the users ``by`` may read (all, for the operator)."""
    c = user_table.c
    where = []
    if by is not None:
        if by.role not in access.USER_READERS:
            raise Forbidden(access.READERS_ONLY)
        where.append(c.province_code == by.province_code)
        if by.commune_code is not None:
            where.append(c.commune_code == by.commune_code)
    if role is not None:
        where.append(c.role == _role(role).value)
    if territory_code is not None:
        try:
            province_code, commune_code = territory.parse_territory(territory_code)
        except ValueError as e:
            raise InvalidInput([f"territory: {e}"]) from None
        where.append(c.province_code == province_code)
        if commune_code is not None:
            where.append(c.commune_code == commune_code)
    if active is not None:
        where.append(c.active == active)
    after = queries.decode_cursor(cursor, (int,))
    if after:
        where.append(c.id > after[0])
    limit = max(1, min(limit, queries.MAX_LIMIT))
    rows = [
        _public(dict(r._mapping))
        for r in conn.execute(_PUBLIC.where(*where).order_by(c.id).limit(limit + 1))
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, queries.encode_cursor([rows[-1]["id"]]) if more else None


def resolve_user(ref: str, engine: Engine | None = None) -> int:
    """A user id from an id or an exact name (the command line); an ambiguous name lists the
    candidates."""
    text = ref.strip()
    with read_connection(engine) as conn:
        numeric = text.isdigit() and len(text) < 10
        by_id = select(user_table.c.id).where(user_table.c.id == (int(text) if numeric else 0))
        if numeric and conn.execute(by_id).first():
            return int(text)
        rows = conn.execute(
            select(user_table.c.id, user_table.c.role, user_table.c.province_code)
            .where(user_table.c.name == text)
            .order_by(user_table.c.id)
        ).all()
    if not rows:
        raise NotFound(f"Không có người dùng '{text}' / there is no user with id or name '{text}'")
    if len(rows) > 1:
        candidates = ", ".join(f"{r.id} ({r.role}, province {r.province_code})" for r in rows)
        raise Conflict(
            f"Có {len(rows)} người dùng tên '{text}'; dùng số / {len(rows)} users are named "
            f"'{text}': give the id of one of: {candidates}",
            candidates=[r.id for r in rows],
        )
    return int(rows[0].id)


def get_actor(user_id: int, engine: Engine | None = None) -> Actor:
    with read_connection(engine) as conn:
        row = conn.execute(select(user_table).where(user_table.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"Không có người dùng số {user_id} / there is no user {user_id}")
    return actor_from_row(row)
