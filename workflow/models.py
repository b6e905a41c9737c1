"""The tables, declared once as SQLModel classes; Alembic migrations create them.

Times are naive UTC everywhere in the database; the API adds the zone when it serialises.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Table, Text, UniqueConstraint, inspect, text
from sqlmodel import Field, SQLModel

NATIONAL = 0  # province_code of a national rule set


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model: SQLModel's types do not declare `__table__`."""
    table = inspect(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table


class Unit(SQLModel, table=True):
    __tablename__ = "unit"
    __table_args__ = (
        Index("ix_unit_place", "province_code", "commune_code", "subject_type"),
        # A commune is one XA unit.
        Index(
            "uq_unit_commune_xa",
            "commune_code",
            unique=True,
            sqlite_where=text("subject_type = 'XA'"),
            postgresql_where=text("subject_type = 'XA'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    subject_type: str = Field(max_length=8)
    kind: str = Field(max_length=40)
    province_code: int
    commune_code: int
    managing_level: str = Field(max_length=16)
    created_at: datetime


# The unit's columns a changed dossier carries back as ``unit_<name>`` (the engine's locked read
# and registration bring them), so the answer to a change needs no second read of its unit.
DOSSIER_UNIT_COLUMNS = (
    "name",
    "kind",
    "subject_type",
    "province_code",
    "commune_code",
    "managing_level",
    "created_at",
)


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        # Unique when set: many users have no address yet, or sign in without single sign-on.
        Index(
            "uq_app_user_email",
            "email",
            unique=True,
            sqlite_where=text("email IS NOT NULL"),
            postgresql_where=text("email IS NOT NULL"),
        ),
        Index(
            "uq_app_user_oidc_subject",
            "oidc_subject",
            unique=True,
            sqlite_where=text("oidc_subject IS NOT NULL"),
            postgresql_where=text("oidc_subject IS NOT NULL"),
        ),
        Index("ix_app_user_previous_token", "previous_token_hash"),
        Index("ix_app_user_province_id", "province_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    province_code: int
    commune_code: int | None = None
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    active: bool = True
    created_at: datetime
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16)  # 0XXXXXXXXX (states/contacts.py)
    token_expires_at: datetime | None = None
    token_rotated_at: datetime | None = None
    # The token before the last rotation: a caller still sending it is told it was rotated.
    previous_token_hash: str | None = Field(default=None, max_length=64)
    last_used_at: datetime | None = None  # written at most once a minute (workflow/users.py)
    deactivated_at: datetime | None = None
    oidc_subject: str | None = Field(default=None, max_length=255)
    notify_mode: str = Field(
        default="immediate", max_length=16, sa_column_kwargs={"server_default": "immediate"}
    )
    # Head of the user's trail (user_event): lets verify notice a removed last row.
    trail_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    trail_head: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class UserEvent(SQLModel, table=True):
    """Append-only: one row per change to a user (who gave whom which power, when), chained by
    hash per user like the dossiers' audit_event."""

    __tablename__ = "user_event"
    __table_args__ = (UniqueConstraint("user_id", "seq", name="uq_user_event_user_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    seq: int
    event: str = Field(max_length=40)
    actor_id: int | None = None
    actor_name: str = Field(max_length=200)
    actor_role: str = Field(max_length=32)
    before: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, hashed as is
    after: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime
    request_id: str | None = Field(default=None, max_length=100)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditLeaf(SQLModel, table=True):
    """Append-only: the Merkle log (workflow/audit_log.py), one leaf per audit row of either trail,
    in the order the log took them in; signed tree heads name a prefix of it."""

    __tablename__ = "audit_leaf"
    __table_args__ = (UniqueConstraint("trail", "row_id", name="uq_audit_leaf_row"),)

    leaf_index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    trail: str = Field(max_length=8)  # dossier (audit_event) or user (user_event)
    row_id: int
    hash: str = Field(max_length=64)  # RFC 9162 leaf hash, hex


class MerkleNode(SQLModel, table=True):
    """Append-only: the hash of each perfect subtree of the log, so that a root or a proof reads
    about twenty rows, not a million (workflow/merkle.py)."""

    __tablename__ = "merkle_node"

    level: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    node_index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)


class RuleSetRow(SQLModel, table=True):
    """A published rule set; rows are never changed, a new version is a new row."""

    __tablename__ = "rule_set"
    __table_args__ = (UniqueConstraint("province_code", "year", "subject_type", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: int = NATIONAL
    year: int
    subject_type: str = Field(max_length=8)
    version: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime
    published_by: int | None = Field(default=None, foreign_key="app_user.id")


class Dossier(SQLModel, table=True):
    __tablename__ = "dossier"
    __table_args__ = (
        # One live dossier per unit and year; a withdrawn one frees the place. Keyed on the time
        # of withdrawal, which is written once, not on the state, which every event changes.
        Index(
            "uq_dossier_live",
            "unit_id",
            "year",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
        Index("ix_dossier_place", "province_code", "commune_code", "state"),
        Index("ix_dossier_next_escalation", "next_escalation_at"),
        Index("ix_dossier_province_id", "province_code", "id"),
        Index("ix_dossier_commune_id", "commune_code", "id"),
        Index("ix_dossier_unit_year", "unit_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    year: int
    state: str = Field(max_length=24)
    version: int
    rule_set_id: int = Field(foreign_key="rule_set.id")
    # Where the unit stood when it registered: the dossier is judged there to the end.
    subject_type: str = Field(max_length=8)
    managing_level: str = Field(max_length=16)
    province_code: int
    commune_code: int
    step_opened_at: datetime | None = None
    # The audit row that opened the current step: a returned dossier opens a fresh step, and
    # escalations are unique per (dossier, step_seq, level).
    step_seq: int = 0
    due_at: datetime | None = None
    # The step opened after (or too close to) its calendar date, or was reopened by a return:
    # its due date is the minimum handling time, not the calendar's (the report counts these).
    step_opened_late: bool = False
    escalation_level: int = 0
    # When the next escalation level falls due; the sweep reads only rows whose time has come.
    next_escalation_at: datetime | None = None
    returns: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    assessment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    verified_assessment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    self_scores: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    verified_scores: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    total_score: float | None = None
    classification: str | None = Field(default=None, max_length=24)
    decision_no: str | None = Field(default=None, max_length=100)
    decision_date: date | None = None
    last_reason: str | None = Field(default=None, sa_column=Column(Text))
    # Set by the withdrawal and never again: a dossier without it is live (uq_dossier_live).
    withdrawn_at: datetime | None = None
    # Head of the audit chain: lets verify notice a removed last row.
    audit_seq: int = 0
    audit_head: str = Field(default="", max_length=64)
    created_at: datetime
    updated_at: datetime


class AuditEvent(SQLModel, table=True):
    """Append-only: one row per accepted event, chained by hash per dossier."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq", name="uq_audit_dossier_seq"),
        # The pages' archive ("what I acted on"): one more index entry per accepted event.
        Index("ix_audit_actor_dossier", "actor_id", "dossier_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    seq: int
    event: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=24)
    to_state: str | None = Field(default=None, max_length=24)
    version: int
    actor_id: int | None = None
    actor_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, hashed as is
    reason: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime
    request_id: str | None = Field(default=None, max_length=100)
    rule_set_id: int
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Escalation(SQLModel, table=True):
    """One row per (dossier, step, level) ever escalated: the unique key makes a second sweeper's
    attempt a no-op."""

    __tablename__ = "escalation"
    __table_args__ = (
        UniqueConstraint("dossier_id", "step_seq", "level", name="uq_escalation_step_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    step_seq: int
    step: str = Field(max_length=24)
    level: int
    due_at: datetime | None = None
    at: datetime
    target_role: str = Field(max_length=32)
    target_level: str = Field(max_length=16)


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the event it reports; delivered later
    (no network I/O inside a transaction), retried until delivered, never dropped."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),
        Index("ix_outbox_status", "province_code", "status", "id"),
        # A digest is one message per user and day, however many schedulers run.
        Index(
            "uq_outbox_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    delivered_at: datetime | None = None
    # pending (to address or in flight), sent (every delivery sent), undeliverable (``reason``
    # says why; addressed again later, so a seat filled or a channel configured still gets it).
    # The database's default only: a Python-side one would be bound as NULL by prepared inserts
    # that do not name the column (workflow/prepared.py).
    status: str = Field(
        default="pending",
        sa_column=Column(String(16), nullable=False, server_default="pending"),
    )
    reason: str | None = Field(default=None, sa_column=Column(Text))
    province_code: int | None = None  # whose administrators see it (GET /api/v1/outbox)
    dedupe_key: str | None = Field(default=None, max_length=120)
    addressed_at: datetime | None = None  # when its recipients were last looked up


class Delivery(SQLModel, table=True):
    """One message to one recipient by one channel (mail), or to one integration (webhook):
    retried with backoff on its own, so a failing channel holds no other."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("outbox_id", "channel", "recipient_id", name="uq_delivery_target"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id")
    channel: str = Field(max_length=16)  # email, webhook
    recipient_id: int | None = Field(default=None, foreign_key="app_user.id")
    address: str | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, sa_column=Column(Text))
    body: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(max_length=16)  # pending, sent, failed (retrying), undeliverable
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = None
    created_at: datetime


class Notice(SQLModel, table=True):
    """An in-app notice: what the web inbox shows a user, read or unread."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("user_id", "outbox_id", name="uq_notice_user_message"),
        Index("ix_notice_user", "user_id", "read_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id")
    kind: str = Field(max_length=40)
    title_vi: str = Field(sa_column=Column(Text, nullable=False))
    title_en: str = Field(sa_column=Column(Text, nullable=False))
    body_vi: str = Field(sa_column=Column(Text, nullable=False))
    body_en: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    read_at: datetime | None = None


class IdempotencyKey(SQLModel, table=True):
    """The first response to a request sent with an Idempotency-Key, per caller: a retry with the
    same key and the same request gets it back and fires nothing. Written in the transaction of
    the change it answers, so a key is never remembered for a change that did not happen."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
        Index("ix_idempotency_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)  # sha256 of method, path, If-Match and body
    status: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    etag: str | None = Field(default=None, max_length=40)
    location: str | None = Field(default=None, max_length=200)
    created_at: datetime


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random id, this row keeps only its hash."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user", "user_id", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    method: str = Field(max_length=8)  # token | oidc
    user_agent: str | None = Field(default=None, max_length=300)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=32)
