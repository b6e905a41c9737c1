"""Signing in with an API token: who holds it, and when refused, why (unknown, expired,
deactivated, rotated), so that the API can answer 401 with a reason a person can act on.

Every request reads the user row, so a deactivation or a rotation takes effect on the very next
request. The last-used time is written at most once a minute per user, so reads stay cheap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, or_, select, update

from states.lifecycle import Role
from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.models import AppUser

user_table = AppUser.__table__
LAST_USED_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def aware(at: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC times, Postgres aware ones: compare them as aware."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


# Built once: every API request runs it (see workflow/engine.py on statement building).
_BY_TOKEN = select(
    user_table.c.id,
    user_table.c.name,
    user_table.c.role,
    user_table.c.province_code,
    user_table.c.commune_code,
    user_table.c.unit_id,
    user_table.c.active,
    user_table.c.token_expires_at,
    user_table.c.last_used_at,
    user_table.c.deactivated_at,
).where(user_table.c.token_hash == bindparam("token_hash"))

_BY_PREVIOUS = select(user_table.c.id, user_table.c.token_rotated_at).where(
    user_table.c.previous_token_hash == bindparam("token_hash")
)

_TOUCH = (
    update(user_table)
    .where(
        user_table.c.id == bindparam("user_id"),
        or_(
            user_table.c.last_used_at.is_(None),
            user_table.c.last_used_at < bindparam("stale_before"),
        ),
    )
    .values(last_used_at=bindparam("now"))
)


def authenticate(
    token: str, engine: Engine | None = None, now: datetime | None = None
) -> Actor | None:
    """The active user holding this unexpired token, else None (``token_refusal`` says why)."""
    now = now or datetime.now(UTC)
    with read_connection(engine) as conn:
        row = conn.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    if row is None or not row.active:
        return None
    expires = aware(row.token_expires_at)
    if expires is not None and expires <= now:
        return None
    last = aware(row.last_used_at)
    if last is None or now - last >= LAST_USED_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(
                _TOUCH, {"user_id": row.id, "stale_before": now - LAST_USED_EVERY, "now": now}
            )
    return Actor(row.id, row.name, Role(row.role), row.province_code, row.commune_code, row.unit_id)


@dataclass(frozen=True)
class TokenRefusal:
    reason: str  # unknown, expired, deactivated, rotated
    detail: str  # Vietnamese / English, for the 401
    at: datetime | None = None  # when it expired, was deactivated or was rotated


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at is not None else "?"


UNKNOWN = TokenRefusal(
    "unknown",
    "Mã truy cập không đúng / the token is unknown: check it, or ask your administrator for a "
    "new one",
)


def token_refusal(
    token: str, engine: Engine | None = None, now: datetime | None = None
) -> TokenRefusal | None:
    """Why this token is refused; None when it is accepted after all."""
    now = now or datetime.now(UTC)
    digest = hash_token(token)
    with read_connection(engine) as conn:
        row = conn.execute(_BY_TOKEN, {"token_hash": digest}).first()
        rotated = None if row is not None else conn.execute(_BY_PREVIOUS, {"token_hash": digest})
        rotated_row = rotated.first() if rotated is not None else None
    if row is not None:
        if not row.active:
            at = aware(row.deactivated_at)
            return TokenRefusal(
                "deactivated",
                f"Tài khoản đã bị khóa từ {_when(at)} / the account was deactivated on "
                f"{_when(at)}: ask your administrator to reactivate it",
                at,
            )
        expires = aware(row.token_expires_at)
        if expires is not None and expires <= now:
            return TokenRefusal(
                "expired",
                f"Mã truy cập đã hết hạn ngày {_when(expires)} / the token expired on "
                f"{_when(expires)}: ask your administrator to rotate it",
                expires,
            )
        return None
    if rotated_row is not None:
        at = aware(rotated_row.token_rotated_at)
        return TokenRefusal(
            "rotated",
            f"Mã truy cập đã được thay bằng mã mới lúc {_when(at)} / the token was rotated on "
            f"{_when(at)}: use the new token",
            at,
        )
    return UNKNOWN
