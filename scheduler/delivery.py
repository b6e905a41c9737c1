"""Delivering the outbox: webhook POST (JSON, HMAC-SHA256 signed) and SMTP email.

No network I/O happens inside a database transaction: a short transaction claims a batch (it
pushes their next attempt past a lease, so a second deliverer leaves them alone), the messages
are sent, and a second short transaction marks each delivered or schedules its retry with
exponential backoff. A deliverer that dies mid-batch loses nothing: the lease runs out and the
messages are sent again (at least once; receivers dedupe on X-Dossier-Message-Id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import Engine, bindparam, select, update

from workflow.db import get_engine, is_sqlite, read_connection, write_transaction
from workflow.models import OutboxMessage, table_of
from workflow.settings import Settings, get_settings

log = logging.getLogger(__name__)
outbox_table = table_of(OutboxMessage)
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)

Sender = Callable[[dict[str, Any]], None]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour: a failing channel is retried forever."""
    exponent = min(max(attempts - 1, 0), 20)  # 2**20 * 30 s is far past the cap already
    return min(timedelta(seconds=30 * 2**exponent), MAX_BACKOFF)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_sender(settings: Settings, client: httpx.Client | None = None) -> Sender:
    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds)

    def send(message: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "id": message["id"],
                "kind": message["kind"],
                "dossier_id": message["dossier_id"],
                "data": json.loads(message["payload"]),
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", "X-Dossier-Message-Id": str(message["id"])}
        if settings.webhook_secret:
            headers["X-Dossier-Signature"] = sign(settings.webhook_secret, body)
        response = http.post(settings.webhook_url, content=body, headers=headers)
        response.raise_for_status()

    return send


def email_sender(settings: Settings) -> Sender:
    def send(message: dict[str, Any]) -> None:
        data = json.loads(message["payload"])
        mail = EmailMessage()
        mail["From"], mail["To"] = settings.smtp_from, settings.notify_email
        mail["Subject"] = (
            f"[ANTT] Hồ sơ {message['dossier_id']}: {data.get('message', message['kind'])}"
        )
        mail.set_content(json.dumps(data, ensure_ascii=False, indent=2))
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(mail)

    return send


def configured_senders(settings: Settings | None = None) -> list[Sender]:
    settings = settings or get_settings()
    senders: list[Sender] = []
    if settings.webhook_url:
        senders.append(webhook_sender(settings))
    if settings.smtp_host and settings.notify_email:
        senders.append(email_sender(settings))
    return senders


@dataclass
class DeliveryResult:
    delivered: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _claim(engine: Engine, now: datetime, batch: int) -> list[dict[str, Any]]:
    t = outbox_table
    q = (
        select(t)
        .where(t.c.delivered_at.is_(None), t.c.next_attempt_at <= now)
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(batch)
    )
    if not is_sqlite(engine):
        q = q.with_for_update(skip_locked=True)
    with write_transaction(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
        if rows:
            conn.execute(
                update(t)
                .where(t.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=now + LEASE, attempts=t.c.attempts + 1)
            )
    return rows


_DONE = (
    update(outbox_table)
    .where(outbox_table.c.id == bindparam("b_id"))
    .values(delivered_at=bindparam("delivered_at"), last_error=None)
)
_RETRY = (
    update(outbox_table)
    .where(outbox_table.c.id == bindparam("b_id"))
    .values(next_attempt_at=bindparam("next_attempt_at"), last_error=bindparam("last_error"))
)


def deliver(
    now: datetime | None = None,
    *,
    senders: list[Sender] | None = None,
    batch: int = 100,
    engine: Engine | None = None,
) -> DeliveryResult:
    """Send every due message through every configured channel; all must accept it."""
    engine = engine or get_engine()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    senders = configured_senders() if senders is None else senders
    result = DeliveryResult()
    if not senders:
        return result
    for message in _claim(engine, now, batch):
        try:
            for send in senders:
                send(message)
        except Exception as e:  # noqa: BLE001 - any channel failure means: try again later
            log.warning("outbox message %s not delivered: %s", message["id"], e)
            with write_transaction(engine) as conn:
                conn.execute(
                    _RETRY,
                    {
                        "b_id": message["id"],
                        "last_error": str(e)[:500],
                        "next_attempt_at": now + backoff(message["attempts"] + 1),
                    },
                )
            result.failed += 1
            continue
        with write_transaction(engine) as conn:
            conn.execute(_DONE, {"b_id": message["id"], "delivered_at": datetime.now(UTC)})
        result.delivered += 1
    return result


def pending(engine: Engine | None = None, limit: int = 50) -> dict[str, Any]:
    """What waits in the outbox: counts, and the oldest messages with their last error."""
    t = outbox_table
    with read_connection(engine) as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(t).where(t.c.delivered_at.is_(None)).order_by(t.c.id).limit(limit)
            )
        ]
        from sqlalchemy import func

        waiting = conn.execute(select(func.count()).where(t.c.delivered_at.is_(None))).scalar_one()
        failing = conn.execute(
            select(func.count()).where(t.c.delivered_at.is_(None), t.c.last_error.is_not(None))
        ).scalar_one()
    return {
        "pending": waiting,
        "failing": failing,
        "messages": [
            {
                "id": r["id"],
                "kind": r["kind"],
                "dossier_id": r["dossier_id"],
                "attempts": r["attempts"],
                "next_attempt_at": r["next_attempt_at"],
                "last_error": r["last_error"],
            }
            for r in rows
        ],
    }
