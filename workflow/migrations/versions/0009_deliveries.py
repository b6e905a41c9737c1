"""Messages that reach people: per-recipient, per-channel delivery rows, in-app notices, and the
outbox's status (pending, sent, undeliverable with the reason).

Messages delivered before this migration are marked sent.

Revision ID: 0009_deliveries
Revises: 0008_clock_late_steps
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_deliveries"
down_revision = "0008_clock_late_steps"
branch_labels = None
depends_on = None

_KEYED = sa.text("dedupe_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("province_code", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("addressed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET status = 'sent', addressed_at = delivered_at "
               "WHERE delivered_at IS NOT NULL")
    op.create_index("ix_outbox_status", "outbox", ["province_code", "status", "id"])
    op.create_index("uq_outbox_dedupe_key", "outbox", ["dedupe_key"], unique=True,
                    sqlite_where=_KEYED, postgresql_where=_KEYED)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "channel", "recipient_id", name="uq_delivery_target"),
    )
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at"])

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title_vi", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("body_vi", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "outbox_id", name="uq_notice_user_message"),
    )
    op.create_index("ix_notice_user", "notice", ["user_id", "read_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_notice_user", table_name="notice")
    op.drop_table("notice")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("uq_outbox_dedupe_key", table_name="outbox")
    op.drop_index("ix_outbox_status", table_name="outbox")
    # In place (SQLite 3.35+), as 0005 and 0006: a batch rebuild would drop outbox, which
    # other tables' foreign keys name.
    for column in ("addressed_at", "dedupe_key", "province_code", "reason", "status"):
        op.execute(f"ALTER TABLE outbox DROP COLUMN {column}")
