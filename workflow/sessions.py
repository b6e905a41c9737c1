"""Sessions for the web pages: a row per signed-in browser, found by the hash of a random id.

The cookie carries the id (256 random bits); the row keeps its SHA-256 only, so a copy of the
database signs nobody in. A session ends when signed out, after 30 idle minutes, 12 hours after
it began (settings), or when its user is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.models import AppUser, WebSession, table_of
from workflow.settings import get_settings
from workflow.users import actor_from_row

session_table = table_of(WebSession)
user_table = table_of(AppUser)
METHODS = ("token", "oidc")
# last_seen_at is written at most this often: a page's every request need not be a write.
TOUCH_EVERY = timedelta(seconds=60)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SessionView:
    actor: Actor
    method: str
    created_at: datetime
    expires_at: datetime  # the earlier of idle and absolute expiry, as of this request


class SessionRefused(Exception):
    """The cookie names no live session; ``detail`` says why in both languages."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def start_session(
    user_id: int,
    method: str,
    user_agent: str | None = None,
    engine: Engine | None = None,
) -> str:
    """A new session for this user; returns the id the cookie carries (shown nowhere else)."""
    if method not in METHODS:
        raise ValueError(f"unknown sign-in method {method!r}")
    settings = get_settings()
    now = datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        conn.execute(
            insert(session_table),
            {
                "id_hash": hash_session_id(session_id),
                "user_id": user_id,
                "method": method,
                "user_agent": (user_agent or "")[:300] or None,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=settings.session_absolute_hours),
            },
        )
    return session_id


_LIVE = select(
    session_table.c.id.label("session_row"),
    session_table.c.method,
    session_table.c.created_at,
    session_table.c.last_seen_at,
    session_table.c.expires_at,
    session_table.c.ended_at,
    session_table.c.end_reason,
    user_table.c.id,
    user_table.c.name,
    user_table.c.role,
    user_table.c.province_code,
    user_table.c.commune_code,
    user_table.c.unit_id,
    user_table.c.active,
).join(user_table, user_table.c.id == session_table.c.user_id)


def resolve_session(session_id: str, engine: Engine | None = None) -> SessionView:
    """The live session behind a cookie, touched; raises SessionRefused saying why not."""
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    now = datetime.now(UTC)
    with read_connection(engine) as conn:
        row = conn.execute(
            _LIVE.where(session_table.c.id_hash == hash_session_id(session_id))
        ).first()
    if row is None:
        raise SessionRefused(
            "unknown",
            "Phiên đăng nhập không tồn tại; hãy đăng nhập lại / there is no such session; "
            "sign in again",
        )
    if row.ended_at is not None:
        raise SessionRefused(
            row.end_reason or "ended",
            "Phiên đăng nhập đã kết thúc; hãy đăng nhập lại / the session has ended "
            f"({row.end_reason or 'ended'}); sign in again",
        )
    if not row.active:
        raise SessionRefused(
            "deactivated",
            "Tài khoản đã bị khóa / the account is deactivated",
        )
    absolute_end = _utc(row.expires_at)
    idle_end = _utc(row.last_seen_at) + idle
    if now >= absolute_end:
        _end(row.session_row, "expired", now, engine)
        raise SessionRefused(
            "expired",
            f"Phiên đăng nhập đã quá {get_settings().session_absolute_hours} giờ; hãy đăng nhập "
            f"lại / the session is older than {get_settings().session_absolute_hours} hours; "
            "sign in again",
        )
    if now >= idle_end:
        _end(row.session_row, "idle", now, engine)
        raise SessionRefused(
            "idle",
            f"Phiên đăng nhập hết hạn sau {get_settings().session_idle_minutes} phút không dùng; "
            f"hãy đăng nhập lại / the session expired after {get_settings().session_idle_minutes}"
            " idle minutes; sign in again",
        )
    if now - _utc(row.last_seen_at) >= TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(
                update(session_table)
                .where(session_table.c.id == row.session_row, session_table.c.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return SessionView(
        actor=actor_from_row(row),
        method=row.method,
        created_at=_utc(row.created_at),
        expires_at=min(absolute_end, now + idle),
    )


def _end(row_id: int, reason: str, now: datetime, engine: Engine | None) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(session_table)
            .where(session_table.c.id == row_id, session_table.c.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )


def end_session(session_id: str, engine: Engine | None = None) -> bool:
    """Sign out: True when a live session was ended."""
    with write_transaction(engine) as conn:
        done = conn.execute(
            update(session_table)
            .where(
                session_table.c.id_hash == hash_session_id(session_id),
                session_table.c.ended_at.is_(None),
            )
            .values(ended_at=datetime.now(UTC), end_reason="signed_out")
        )
    return bool(done.rowcount)


def end_sessions_of(
    user_id: int, reason: str = "deactivated", conn: Connection | None = None
) -> int:
    """End every live session of a user (inside the caller's transaction when given one)."""
    statement = (
        update(session_table)
        .where(session_table.c.user_id == user_id, session_table.c.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC), end_reason=reason)
    )
    if conn is not None:
        return conn.execute(statement).rowcount
    with write_transaction() as own:
        return own.execute(statement).rowcount


def live_sessions_of(user_id: int, engine: Engine | None = None) -> int:
    with read_connection(engine) as conn:
        return conn.execute(
            select(func.count()).where(
                and_(session_table.c.user_id == user_id, session_table.c.ended_at.is_(None))
            )
        ).scalar_one()


def find_sign_in_user(
    claims: dict[str, Any], match_claim: str, engine: Engine | None = None
) -> tuple[Actor | None, str | None]:
    """The active user an identity provider's claims name, by subject or by email; never a new
    one. Returns (actor, why not)."""
    subject = claims.get("sub")
    if match_claim == "sub":
        value = subject
        where = user_table.c.oidc_subject == value
    else:
        value = claims.get("email")
        if claims.get("email_verified") is False:
            return None, (
                "Nhà cung cấp danh tính chưa xác minh địa chỉ thư / the identity provider has "
                "not verified this email address"
            )
        where = func.lower(user_table.c.email) == (value or "").strip().lower()
    if not value:
        return None, (
            f"Nhà cung cấp danh tính không gửi '{match_claim}' / the identity provider sent no "
            f"'{match_claim}' claim"
        )
    with read_connection(engine) as conn:
        row = conn.execute(select(user_table).where(where)).first()
    if row is None:
        return None, (
            f"Không có người dùng nào ứng với {match_claim} '{value}'; quản trị viên cần tạo "
            f"tài khoản trước / no user matches {match_claim} '{value}'; an administrator must "
            "create the account first"
        )
    if not row.active:
        return None, "Tài khoản đã bị khóa / the account is deactivated"
    if match_claim == "email" and subject:
        if row.oidc_subject is None:
            # The first sign-in binds the provider's subject: a later change of address at the
            # provider cannot hand this account to someone else.
            with write_transaction(engine) as conn:
                conn.execute(
                    update(user_table)
                    .where(user_table.c.id == row.id, user_table.c.oidc_subject.is_(None))
                    .values(oidc_subject=subject)
                )
        elif row.oidc_subject != subject:
            return None, (
                "Địa chỉ thư này đã gắn với một danh tính khác ở nhà cung cấp / this email is "
                "bound to another identity at the provider"
            )
    return actor_from_row(row), None
