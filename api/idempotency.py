"""Retries that change nothing: the first answer to a request sent with an Idempotency-Key.

A change and its key's record are written in one transaction (``once``), so a key is remembered
exactly when its change happened. A request that failed changed nothing and is not remembered:
its retry is judged afresh. Two concurrent requests with one key: the second's claim waits on
the first's uncommitted row (Postgres) or on the write lock (SQLite), then replays its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from api.problems import ApiProblem
from workflow.actors import Actor
from workflow.db import joined, write_transaction
from workflow.models import IdempotencyKey

table = IdempotencyKey.__table__
MAX_KEY_LENGTH = 255

_FIND = select(table).where(
    table.c.user_id == bindparam("user_id"), table.c.key == bindparam("key")
)
_STORE = (
    update(table)
    .where(table.c.id == bindparam("claim"))
    .values(
        status=bindparam("status"),
        body=bindparam("body"),
        etag=bindparam("etag"),
        location=bindparam("location"),
    )
)


def _claim_statement(dialect: Any) -> Any:
    # One round trip, no savepoint: a key already held makes the INSERT insert nothing.
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(table.c.id)
    )


_CLAIM = {"sqlite": _claim_statement(sqlite), "postgresql": _claim_statement(postgresql)}


@dataclass(frozen=True)
class Reply:
    """What a changing request answers: status, JSON body, ETag, Location; ``replayed`` when it
    is the stored answer to an earlier request with the same key."""

    status: int
    body: Any
    etag: str | None = None
    location: str | None = None
    replayed: bool = False


def fingerprint(method: str, path: str, if_match: str | None, body: Any) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256("\0".join((method, path, if_match or "", text)).encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiProblem(
            400,
            f"Idempotency-Key phải từ 1 đến {MAX_KEY_LENGTH} ký tự in được / the "
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            title="Idempotency-Key không hợp lệ / Invalid Idempotency-Key",
        )
    return key


def _replay(row: Any, fp: str) -> Reply:
    if row.fingerprint != fp:
        raise ApiProblem(
            422,
            "Khóa Idempotency-Key này đã dùng cho một yêu cầu khác; dùng khóa mới cho yêu cầu mới "
            "/ this Idempotency-Key was already used for a different request (other path, body "
            "or If-Match); send a new key with a new request",
            title="Idempotency-Key đã dùng cho yêu cầu khác / Idempotency-Key reused",
        )
    return Reply(row.status, json.loads(row.body), row.etag, row.location, True)


def once(
    actor: Actor,
    key: str | None,
    fp: str,
    change: Callable[[Connection], Reply],
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> Reply:
    """Run ``change`` in one write transaction that the engine's ``fire`` and ``register`` join;
    with a key, at most once per (user, key): a retry gets the first answer back."""
    with write_transaction(engine) as conn, joined(conn):
        if key is None:
            return change(conn)
        if actor.id is None:  # API actors always come from the user table
            raise ApiProblem(400, "Idempotency-Key needs a stored user")
        params = {"user_id": actor.id, "key": check_key(key)}
        claim = conn.execute(
            _CLAIM[conn.dialect.name],
            {
                **params,
                "fingerprint": fp,
                "status": 0,
                "body": "null",
                "created_at": now or datetime.now(UTC),
            },
        ).scalar()
        if claim is None:
            return _replay(conn.execute(_FIND, params).one(), fp)
        reply = change(conn)
        conn.execute(
            _STORE,
            {
                "claim": claim,
                "status": reply.status,
                "body": json.dumps(reply.body, ensure_ascii=False, default=str),
                "etag": reply.etag,
                "location": reply.location,
            },
        )
        return reply
