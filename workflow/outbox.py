"""The outbox: notifications written inside the transaction of the event they report, then
addressed to people and channels when they are sent (``scheduler.delivery`` does the network).

A message names a seat (role x territory); at sending time it is addressed to the users who
hold that seat then: an in-app notice for each, a mail for each who has an address and wants
mail at once (the others read it in their daily digest), and one signed webhook per
integration. A message nobody can receive, or with no channel configured, is *undeliverable*
with the reason, and is addressed again later: a seat filled or a channel configured still
gets it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from states import messages
from states.authority import Level, authority
from states.lifecycle import STATE_OF, STEP_OF_STATE
from states.messages import StepFacts, Text
from states.subjects import MANAGING_LEVEL_OF, SUBJECT_OF
from workflow import audit
from workflow.audit import canonical_json
from workflow.errors import NotFound
from workflow.models import Delivery, Dossier, Notice, OutboxMessage, Unit, table_of
from workflow.prepared import Prepared
from workflow.recipients import Target, holders, target_of, user

outbox_table = table_of(OutboxMessage)
delivery_table = table_of(Delivery)
notice_table = table_of(Notice)
dossier_table = table_of(Dossier)
unit_table = table_of(Unit)
_ENQUEUED = (
    "kind",
    "dossier_id",
    "payload",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "delivered_at",
    "status",
    "province_code",
    "dedupe_key",
)
# Prepared (workflow/prepared.py): every fire that opens a step announces it.
INSERT = Prepared(
    insert(outbox_table).values({c: bindparam(c, type_=outbox_table.c[c].type) for c in _ENQUEUED})
)
# The kinds of message: a newly opened step, an escalation of one, a holder's daily digest.
STEP_OPENED = "step_opened"
ESCALATION = "escalation"
DIGEST = "digest"
# An undeliverable message is looked at again this often (a seat filled, SMTP configured).
READDRESS = timedelta(hours=1)
STATUSES = ("pending", "sent", "undeliverable")


def message_row(
    kind: str,
    dossier_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    *,
    dedupe_key: str | None = None,
) -> dict[str, Any]:
    """A pending message's columns, as ``enqueue`` and ``insert_after`` write them."""
    return {
        "kind": kind,
        "dossier_id": dossier_id,
        "payload": canonical_json(payload),
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
        "status": "pending",
        "province_code": payload.get("province_code"),
        "dedupe_key": dedupe_key,
    }


def enqueue(
    conn: Connection,
    kind: str,
    dossier_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    *,
    dedupe_key: str | None = None,
) -> None:
    INSERT.execute(conn, message_row(kind, dossier_id, payload, now, dedupe_key=dedupe_key))


def step_opened(dossier: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """The message announcing the dossier's newly opened step to the seat that owns it, or None
    when its state has no step (a decision closed it)."""
    state = STATE_OF.get(dossier["state"])
    if state not in STEP_OF_STATE:
        return None
    owner = authority(
        SUBJECT_OF[dossier["subject_type"]],
        MANAGING_LEVEL_OF[dossier["managing_level"]],
        STEP_OF_STATE[state],
    )
    return message_row(
        STEP_OPENED,
        dossier["id"],
        {
            "step": state.value,
            "due_at": dossier["due_at"].isoformat() if dossier.get("due_at") else None,
            "to_role": owner.role.value,
            "to_level": owner.level.value,
            "dossier_id": dossier["id"],
            "unit_id": dossier["unit_id"],
            "commune_code": dossier["commune_code"],
            "province_code": dossier["province_code"],
        },
        at,
    )


_PREFIX = "o_"  # the message's parameters beside the dossier's and the audit row's


def insert_after(moved):
    """Postgres: INSERT the message (parameters as ``with_message`` names them) for each row the
    data-modifying CTE ``moved`` returned: one statement writes the move, its audit row and its
    announcement, one round trip fewer than a separate INSERT (docs/BENCHMARKS.md)."""
    values = [bindparam(_PREFIX + c, type_=outbox_table.c[c].type) for c in _ENQUEUED]
    return insert(outbox_table).from_select(list(_ENQUEUED), select(*values).select_from(moved))


def insert_after_audit(moved):
    """Postgres: the audit row (``audit.insert_after``) and then the message, each for the row
    the data-modifying CTE ``moved`` returned: a move or a registration in one statement."""
    trail = audit.insert_after(moved).returning(audit.audit_table.c.dossier_id).cte("audited")
    return insert_after(moved).add_cte(trail)


def with_message(params: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The parameters of an ``insert_after`` statement, the message's beside ``params``."""
    return {**params, **{_PREFIX + k: v for k, v in row.items()}}


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # stored naive UTC


def _seat_words(conn: Connection, target: Target) -> tuple[str, str]:
    unit_name = None
    if target.level is Level.UNIT and target.unit_id is not None:
        unit_name = conn.execute(
            select(unit_table.c.name).where(unit_table.c.id == target.unit_id)
        ).scalar()
    return messages.seat_words(
        target.role, target.level, target.province_code, target.commune_code, unit_name
    )


def compose(conn: Connection, message: dict[str, Any], now: datetime) -> Text:
    """The message's text, with names looked up now."""
    payload = json.loads(message["payload"])
    if message["kind"] == DIGEST:
        return Text(
            payload["subject_vi"], payload["subject_en"], payload["body_vi"], payload["body_en"]
        )
    state = STATE_OF.get(payload.get("step", ""))
    target = target_of(payload)
    dossier = None
    if message["dossier_id"] is not None:
        row = conn.execute(
            select(dossier_table.c.subject_type, dossier_table.c.managing_level, unit_table.c.name)
            .join(unit_table, unit_table.c.id == dossier_table.c.unit_id)
            .where(dossier_table.c.id == message["dossier_id"])
        ).first()
        dossier = row._mapping if row else None
    if state is None or state not in STEP_OF_STATE or dossier is None or target is None:
        words = str(payload.get("message") or message["kind"])
        body = json.dumps(payload, ensure_ascii=False, indent=2)
        return Text(words, words, body, body)
    owner = authority(
        SUBJECT_OF[dossier["subject_type"]],
        MANAGING_LEVEL_OF[dossier["managing_level"]],
        STEP_OF_STATE[state],
    )
    facts = StepFacts(
        dossier_id=message["dossier_id"],
        unit_name=dossier["name"],
        province_code=target.province_code,
        commune_code=int(payload["commune_code"]),
        step=STEP_OF_STATE[state],
        owner_role=owner.role,
        owner_level=owner.level,
        due_at=_moment(payload.get("due_at")),
    )
    level = payload.get("level") if message["kind"] == ESCALATION else None
    return messages.step_message(facts, now, level=level, to=_seat_words(conn, target))


@dataclass
class Addressed:
    """What addressing one message wrote, and why it cannot be delivered (if it cannot)."""

    notices: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)
    in_digest: int = 0
    without_address: int = 0
    reasons: list[str] = field(default_factory=list)


def _exists(conn: Connection, table, **key: Any) -> bool:
    clauses = [table.c[k].is_(None) if v is None else table.c[k] == v for k, v in key.items()]
    return conn.execute(select(table.c.id).where(and_(*clauses))).first() is not None


def _add_delivery(
    conn: Connection,
    message: dict[str, Any],
    channel: str,
    recipient: dict[str, Any] | None,
    text: Text,
    now: datetime,
    done: Addressed,
) -> None:
    recipient_id = recipient["id"] if recipient else None
    if _exists(
        conn, delivery_table, outbox_id=message["id"], channel=channel, recipient_id=recipient_id
    ):
        return
    conn.execute(
        insert(delivery_table),
        {
            "outbox_id": message["id"],
            "channel": channel,
            "recipient_id": recipient_id,
            "address": recipient["email"] if recipient else None,
            "subject": text.mail_subject(),
            "body": text.mail_body(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "sent_at": None,
            "created_at": now,
        },
    )
    done.deliveries[channel] = done.deliveries.get(channel, 0) + 1


def address(
    conn: Connection,
    message: dict[str, Any],
    *,
    mail: bool,
    integrations: Sequence[str],
    now: datetime,
) -> Addressed:
    """Address one claimed message to the seat's holders now and to every integration; write
    its notices and delivery rows (never twice) and its status. No network I/O."""
    done = Addressed()
    payload = json.loads(message["payload"])
    text = compose(conn, message, now)
    recipients: list[dict[str, Any]] = []
    if message["kind"] == DIGEST:
        person = user(conn, int(payload["to_user"]))
        if person and person["active"]:
            recipients = [person]
        else:
            done.reasons.append(messages.NO_TARGET)
    else:
        target = target_of(payload)
        if target is not None:
            recipients = holders(conn, target)
            if not recipients:
                done.reasons.append(messages.nobody_holds(_seat_words(conn, target)))
        for name in integrations:
            _add_delivery(conn, message, name, None, text, now, done)
    for person in recipients:
        if message["kind"] != DIGEST and not _exists(
            conn, notice_table, user_id=person["id"], outbox_id=message["id"]
        ):
            conn.execute(
                insert(notice_table),
                {
                    "user_id": person["id"],
                    "outbox_id": message["id"],
                    "dossier_id": message["dossier_id"],
                    "kind": message["kind"],
                    "title_vi": text.subject_vi,
                    "title_en": text.subject_en,
                    "body_vi": text.body_vi,
                    "body_en": text.body_en,
                    "created_at": now,
                    "read_at": None,
                },
            )
            done.notices += 1
        if message["kind"] != DIGEST and person["notify_mode"] == "digest":
            done.in_digest += 1
        elif not person["email"]:
            done.without_address += 1
            if message["kind"] == DIGEST:
                done.reasons.append(messages.NO_ADDRESS)
        elif mail:
            _add_delivery(conn, message, "email", person, text, now, done)
    if not mail and not (integrations and message["kind"] != DIGEST):
        done.reasons.append(messages.NO_CHANNEL)
    _settle_addressing(conn, message, done, now)
    return done


def _open_deliveries(conn: Connection, outbox_id: int) -> int:
    return conn.execute(
        select(func.count()).where(
            delivery_table.c.outbox_id == outbox_id, delivery_table.c.status != "sent"
        )
    ).scalar_one()


def _settle_addressing(
    conn: Connection, message: dict[str, Any], done: Addressed, now: datetime
) -> None:
    t = outbox_table
    if done.reasons:
        values: dict[str, Any] = {
            "status": "undeliverable",
            "reason": "; ".join(done.reasons),
            "addressed_at": None,
            "next_attempt_at": now + READDRESS,
        }
    elif _open_deliveries(conn, message["id"]):
        values = {"status": "pending", "reason": None, "addressed_at": now}
    else:  # notices only (digest readers, no address): reached in the app
        values = {"status": "sent", "reason": None, "addressed_at": now, "delivered_at": now}
    conn.execute(update(t).where(t.c.id == message["id"]).values(**values))


def settle(conn: Connection, outbox_id: int, now: datetime) -> bool:
    """Mark a message sent when every delivery of it is sent; True when it was just marked."""
    t = outbox_table
    if _open_deliveries(conn, outbox_id):
        return False
    result = conn.execute(
        update(t)
        .where(t.c.id == outbox_id, t.c.status == "pending", t.c.addressed_at.is_not(None))
        .values(status="sent", delivered_at=now, last_error=None)
    )
    return result.rowcount == 1


def summary(conn: Connection, province_code: int | None = None) -> dict[str, int]:
    """How many messages are in each status (of one province, or all)."""
    t = outbox_table
    q = select(t.c.status, func.count()).group_by(t.c.status)
    if province_code is not None:
        q = q.where(t.c.province_code == province_code)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in conn.execute(q)})  # noqa: C416 - a Result has .keys()
    return counts


def list_messages(
    conn: Connection,
    *,
    status: str | None = None,
    province_code: int | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[dict[str, Any]]:
    """Messages with their deliveries, oldest first; undeliverable ones carry the reason."""
    t, d = outbox_table, delivery_table
    q = select(t)
    if status is not None:
        q = q.where(t.c.status == status)
    if province_code is not None:
        q = q.where(t.c.province_code == province_code)
    if after_id is not None:
        q = q.where(t.c.id > after_id)
    rows = [dict(r._mapping) for r in conn.execute(q.order_by(t.c.id).limit(limit))]
    by_message: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    if rows:
        for r in conn.execute(
            select(d).where(d.c.outbox_id.in_(list(by_message))).order_by(d.c.id)
        ):
            by_message[r.outbox_id].append(
                {
                    "channel": r.channel,
                    "recipient_id": r.recipient_id,
                    "address": r.address,
                    "status": r.status,
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at,
                    "last_error": r.last_error,
                    "sent_at": r.sent_at,
                }
            )
    out = []
    for m in rows:
        text = compose(conn, m, m["created_at"])
        out.append(
            {
                "id": m["id"],
                "kind": m["kind"],
                "dossier_id": m["dossier_id"],
                "status": m["status"],
                "reason": m["reason"],
                "text_vi": text.subject_vi,
                "text_en": text.subject_en,
                "attempts": m["attempts"],
                "next_attempt_at": m["next_attempt_at"],
                "last_error": m["last_error"],
                "created_at": m["created_at"],
                "delivered_at": m["delivered_at"],
                "deliveries": by_message[m["id"]],
            }
        )
    return out


def notices_of(
    conn: Connection,
    user_id: int,
    *,
    unread: bool | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[dict[str, Any]]:
    """A user's notices, newest first."""
    n = notice_table
    q = select(n).where(n.c.user_id == user_id)
    if unread is True:
        q = q.where(n.c.read_at.is_(None))
    elif unread is False:
        q = q.where(n.c.read_at.is_not(None))
    if after_id is not None:
        q = q.where(n.c.id < after_id)
    return [dict(r._mapping) for r in conn.execute(q.order_by(n.c.id.desc()).limit(limit))]


def mark_read(conn: Connection, user_id: int, notice_id: int, now: datetime) -> dict[str, Any]:
    """Mark the user's own notice read (once: the first time stays); another's is not found."""
    n = notice_table
    row = conn.execute(select(n).where(n.c.id == notice_id, n.c.user_id == user_id)).first()
    if row is None:
        raise NotFound(
            f"Không có thông báo số {notice_id} của anh/chị / you have no notice {notice_id}"
        )
    if row.read_at is None:
        conn.execute(update(n).where(n.c.id == notice_id).values(read_at=now))
    return dict(conn.execute(select(n).where(n.c.id == notice_id)).one()._mapping)
