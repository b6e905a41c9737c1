"""Delivering the outbox: each message addressed to the people who hold its seat now, then sent
by every channel they have (SMTP mail, a signed webhook per integration; in-app notices are
written while addressing), each delivery on its own.

No network I/O happens inside a database transaction: a short transaction addresses a batch of
messages (``workflow.outbox.address``: notices and delivery rows, or "undeliverable" with the
reason), another claims due deliveries (it pushes their next attempt past a lease, so a second
deliverer leaves them alone), they are sent, and a short transaction per delivery marks it sent
or schedules its retry with exponential backoff. A failing channel retries alone and holds no
other. A deliverer that dies mid-batch loses nothing: the lease runs out and the deliveries are
sent again (at least once: receivers drop duplicates by the Message-ID of a mail and the
``Idempotency-Key`` / ``X-Message-Id`` of a webhook, stable across retries).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, update

from workflow import outbox
from workflow.db import get_engine, is_sqlite, read_connection, write_transaction
from workflow.models import Delivery, OutboxMessage, table_of
from workflow.settings import Settings, get_settings

log = logging.getLogger(__name__)
outbox_table = table_of(OutboxMessage)
delivery_table = table_of(Delivery)
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)

Sender = Callable[[dict[str, Any]], None]  # an integration: gets the outbox message
Mailer = Callable[[EmailMessage], None]  # hands one mail to the SMTP server


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour: a failing channel is retried forever."""
    exponent = min(max(attempts - 1, 0), 20)  # 2**20 * 30 s is far past the cap already
    return min(timedelta(seconds=30 * 2**exponent), MAX_BACKOFF)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message_id(message: dict[str, Any]) -> str:
    """The message's stable id: the same on every retry, so receivers drop duplicates."""
    return f"antt-outbox-{message['id']}"


def webhook_sender(settings: Settings, client: httpx.Client | None = None) -> Sender:
    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds)

    def send(message: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "id": message["id"],
                "message_id": message_id(message),
                "kind": message["kind"],
                "dossier_id": message["dossier_id"],
                "text_vi": message.get("text_vi"),
                "text_en": message.get("text_en"),
                "data": json.loads(message["payload"]),
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Dossier-Message-Id": str(message["id"]),
            "X-Message-Id": message_id(message),
            "Idempotency-Key": message_id(message),
        }
        if settings.webhook_secret:
            headers["X-Dossier-Signature"] = sign(settings.webhook_secret, body)
        response = http.post(settings.webhook_url, content=body, headers=headers)
        response.raise_for_status()

    return send


def smtp_mailer(settings: Settings) -> Mailer:
    def send(mail: EmailMessage) -> None:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(mail)

    return send


def build_mail(settings: Settings, delivery: dict[str, Any], now: datetime) -> EmailMessage:
    """A UTF-8 plain-text mail; its Message-ID names the delivery, so a retry is the same mail."""
    mail = EmailMessage()
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    mail["From"] = settings.smtp_from
    mail["To"] = delivery["address"]
    mail["Subject"] = delivery["subject"]
    mail["Date"] = formatdate(now.timestamp(), localtime=False)
    mail["Message-ID"] = f"<antt-outbox-{delivery['outbox_id']}.{delivery['id']}@{domain}>"
    mail["X-Message-Id"] = f"antt-outbox-{delivery['outbox_id']}"
    mail.set_content(delivery["body"], charset="utf-8")
    return mail


@dataclass
class Channels:
    mailer: Mailer | None
    integrations: dict[str, Sender]

    def names(self) -> list[str]:
        return (["email"] if self.mailer else []) + list(self.integrations)


def configured_channels(
    settings: Settings, senders: list[Sender] | None = None, mailer: Mailer | None = None
) -> Channels:
    """SMTP when SMTP_HOST is set, the webhook when WEBHOOK_URL is; ``senders`` replaces the
    integrations (the first is named "webhook")."""
    if senders is None:
        integrations = {"webhook": webhook_sender(settings)} if settings.webhook_url else {}
    else:
        integrations = {
            getattr(s, "channel", None) or ("webhook" if i == 0 else f"webhook{i + 1}"): s
            for i, s in enumerate(senders)
        }
    if mailer is None and settings.smtp_host:
        mailer = smtp_mailer(settings)
    return Channels(mailer, integrations)


@dataclass
class DeliveryResult:
    delivered: int = 0  # messages every delivery of which is now sent
    failed: int = 0  # messages with a delivery that failed this time (retried later)
    notices: int = 0
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    undeliverable: list[dict[str, Any]] = field(default_factory=list)
    configured: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"delivered": self.delivered, "failed": self.failed}

    def report(self) -> dict:
        """What was done, per channel, and what cannot be delivered and why."""
        for name in self.configured:  # a configured channel that sent nothing says 0
            self.channels.setdefault(name, {"sent": 0, "failed": 0})
        return {
            **self.as_dict(),
            "channels_configured": self.configured,
            "notice": {"written": self.notices},
            **dict(sorted(self.channels.items())),
            "undeliverable": self.undeliverable,
        }

    def count(self, channel: str, outcome: str) -> None:
        per = self.channels.setdefault(channel, {"sent": 0, "failed": 0})
        per[outcome] = per.get(outcome, 0) + 1


def _address_batch(
    engine: Engine, channels: Channels, now: datetime, batch: int, result: DeliveryResult
) -> None:
    t = outbox_table
    q = (
        select(t)
        .where(t.c.delivered_at.is_(None), t.c.addressed_at.is_(None), t.c.next_attempt_at <= now)
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(batch)
    )
    if not is_sqlite(engine):
        q = q.with_for_update(skip_locked=True)
    with write_transaction(engine) as conn:
        for row in conn.execute(q).all():
            message = dict(row._mapping)
            try:
                with conn.begin_nested():
                    done = outbox.address(
                        conn,
                        message,
                        mail=channels.mailer is not None,
                        integrations=list(channels.integrations),
                        now=now,
                    )
            except Exception as e:
                log.exception("addressing outbox message %s failed", message["id"])
                conn.execute(
                    update(t)
                    .where(t.c.id == message["id"])
                    .values(last_error=str(e)[:500], next_attempt_at=now + backoff(1))
                )
                result.failed += 1
                continue
            result.notices += done.notices
            if done.reasons:
                result.undeliverable.append(
                    {
                        "id": message["id"],
                        "kind": message["kind"],
                        "reason": "; ".join(done.reasons),
                    }
                )
            elif not done.deliveries and message["kind"] != outbox.DIGEST:
                result.delivered += 1  # reached in the app only (digest readers, no address)


def _claim(engine: Engine, channels: Channels, now: datetime, batch: int) -> list[dict[str, Any]]:
    d, t = delivery_table, outbox_table
    q = (
        select(d)
        .where(
            d.c.status.in_(("pending", "failed")),
            d.c.next_attempt_at <= now,
            d.c.channel.in_(channels.names()),
        )
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(batch)
    )
    if not is_sqlite(engine):
        q = q.with_for_update(skip_locked=True)
    with write_transaction(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
        if rows:
            conn.execute(
                update(d)
                .where(d.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=now + LEASE, attempts=d.c.attempts + 1)
            )
            conn.execute(
                update(t)
                .where(t.c.id.in_(sorted({r["outbox_id"] for r in rows})))
                .values(attempts=t.c.attempts + 1)
            )
            messages = {
                r.id: dict(r._mapping)
                for r in conn.execute(
                    select(t).where(t.c.id.in_(sorted({r["outbox_id"] for r in rows})))
                )
            }
            for r in rows:
                message = messages[r["outbox_id"]]
                text = outbox.compose(conn, message, now)
                r["message"] = {**message, "text_vi": text.subject_vi, "text_en": text.subject_en}
    return rows


def deliver(
    now: datetime | None = None,
    *,
    senders: list[Sender] | None = None,
    mailer: Mailer | None = None,
    settings: Settings | None = None,
    batch: int = 100,
    engine: Engine | None = None,
) -> DeliveryResult:
    """Address every due message and send every due delivery; see the module's docstring."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    channels = configured_channels(settings, senders, mailer)
    result = DeliveryResult(configured=channels.names())
    _address_batch(engine, channels, now, batch, result)
    failed: set[int] = set()
    d, t = delivery_table, outbox_table
    for delivery in _claim(engine, channels, now, batch):
        message = delivery.pop("message")
        try:
            if delivery["channel"] == "email":
                assert channels.mailer is not None
                channels.mailer(build_mail(settings, delivery, now))
            else:
                channels.integrations[delivery["channel"]](message)
        except Exception as e:  # noqa: BLE001 - any channel failure means: try this one later
            log.warning("delivery %s (%s) failed: %s", delivery["id"], delivery["channel"], e)
            error = f"{delivery['channel']}: {e}"[:500]
            with write_transaction(engine) as conn:
                conn.execute(
                    update(d)
                    .where(d.c.id == delivery["id"])
                    .values(
                        status="failed",
                        last_error=error,
                        next_attempt_at=now + backoff(delivery["attempts"] + 1),
                    )
                )
                conn.execute(update(t).where(t.c.id == message["id"]).values(last_error=error))
            result.count(delivery["channel"], "failed")
            failed.add(message["id"])
            continue
        with write_transaction(engine) as conn:
            conn.execute(
                update(d)
                .where(d.c.id == delivery["id"])
                .values(status="sent", sent_at=datetime.now(UTC), last_error=None)
            )
            if outbox.settle(conn, message["id"], datetime.now(UTC)):
                result.delivered += 1
        result.count(delivery["channel"], "sent")
    result.failed += len(failed)
    return result


def pending(engine: Engine | None = None, limit: int = 50) -> dict[str, Any]:
    """What is not delivered yet: counts (``pending`` counts every message not yet sent, the
    undeliverable ones too), and the oldest of them with their reason or last error."""
    t = outbox_table
    with read_connection(engine) as conn:
        by_status = outbox.summary(conn)
        failing = conn.execute(
            select(func.count()).where(t.c.delivered_at.is_(None), t.c.last_error.is_not(None))
        ).scalar_one()
        rows = [
            m
            for status in ("undeliverable", "pending")
            for m in outbox.list_messages(conn, status=status, limit=limit)
        ]
    return {
        "pending": by_status["pending"] + by_status["undeliverable"],
        "failing": failing,
        "undeliverable": by_status["undeliverable"],
        "by_status": by_status,
        "messages": rows[:limit],
    }
