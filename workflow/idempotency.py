"""Retries that change nothing: the first response to a request sent with an Idempotency-Key.

The record is written in the same transaction as the change it answers (``db.joined``), so a
key is remembered exactly when its change happened. A request that failed changed nothing and
is not remembered: its retry is judged afresh. Two concurrent requests with one key: the second
waits on the unique (user, key) row and, once the first commits, gets its response back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.db import joined, write_transaction
from workflow.errors import WorkflowError
from workflow.models import IdempotencyKey, table_of

table = table_of(IdempotencyKey)
MAX_KEY_LENGTH = 255
# How long a key is kept: a client retries within minutes; a day covers a night's outage.
RETENTION = timedelta(hours=24)

_FIND = select(table).where(
    table.c.user_id == bindparam("user_id"), table.c.key == bindparam("key")
)


class KeyReused(WorkflowError):
    status = 422
    title = "Idempotency-Key đã dùng cho yêu cầu khác / Idempotency-Key reused"

    def __init__(self) -> None:
        super().__init__(
            "Khóa Idempotency-Key này đã dùng cho một yêu cầu khác; dùng khóa mới cho yêu cầu mới / "
            "this Idempotency-Key was already used for a different request (other path, body or "
            "If-Match); send a new key with a new request"
        )


class InvalidKey(WorkflowError):
    status = 400
    title = "Idempotency-Key không hợp lệ / Invalid Idempotency-Key"


@dataclass(frozen=True)
class Stored:
    status: int
    body: Any
    etag: str | None
    location: str | None
    replayed: bool


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidKey(
            f"Idempotency-Key phải từ 1 đến {MAX_KEY_LENGTH} ký tự in được / the "
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return key


def _replay(row: Any, fp: str) -> Stored:
    if row.fingerprint != fp:
        raise KeyReused()
    return Stored(row.status, json.loads(row.body), row.etag, row.location, True)


class _Taken(Exception):
    """Another request holding this key committed while we waited for its row."""


def run(
    user_id: int,
    key: str,
    fp: str,
    change: Callable[[], tuple[int, Any, str | None, str | None]],
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> Stored:
    """Run ``change`` (returning status, body, etag, location) once per (user, key).

    The key's row is claimed before the change runs: a concurrent request with the same key
    waits on it (Postgres) or on the write lock (SQLite) and then replays the first response,
    instead of racing the first to the dossier and failing on its version.
    """
    check_key(key)
    for _attempt in range(3):
        try:
            with write_transaction(engine) as conn, joined(conn):
                row = conn.execute(_FIND, {"user_id": user_id, "key": key}).first()
                if row is not None:
                    return _replay(row, fp)
                try:
                    with conn.begin_nested():
                        claim = conn.execute(
                            insert(table).returning(table.c.id),
                            {
                                "user_id": user_id,
                                "key": key,
                                "fingerprint": fp,
                                "status": 0,
                                "body": "null",
                                "created_at": now or datetime.now(UTC),
                            },
                        ).scalar_one()
                except IntegrityError:
                    raise _Taken() from None
                status, body, etag, location = change()
                conn.execute(
                    update(table)
                    .where(table.c.id == claim)
                    .values(
                        status=status,
                        body=json.dumps(body, ensure_ascii=False, default=str),
                        etag=etag,
                        location=location,
                    )
                )
                return Stored(status, body, etag, location, False)
        except _Taken:
            continue
    raise WorkflowError(
        "Yêu cầu cùng Idempotency-Key đang được xử lý; thử lại sau giây lát / a "
        "request with this Idempotency-Key is still being processed; retry shortly"
    )


def purge(conn: Connection, now: datetime | None = None) -> int:
    """Forget keys older than the retention period; returns how many."""
    cutoff = (now or datetime.now(UTC)) - RETENTION
    return conn.execute(delete(table).where(table.c.created_at < cutoff)).rowcount
