"""Idempotency keys: the first response to a retried request, kept per caller.

Revision ID: 0003_idempotency
Revises: 0002_clock
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_idempotency"
down_revision = "0002_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
    )
    op.create_index("ix_idempotency_created", "idempotency_key", ["created_at"])
    # The reviewer's inbox and the lists page by id inside a territory.
    op.create_index("ix_dossier_province_id", "dossier", ["province_code", "id"])
    op.create_index("ix_dossier_commune_id", "dossier", ["commune_code", "id"])
    op.create_index("ix_dossier_unit_year", "dossier", ["unit_id", "year"])


def downgrade() -> None:
    op.drop_index("ix_dossier_unit_year", table_name="dossier")
    op.drop_index("ix_dossier_commune_id", table_name="dossier")
    op.drop_index("ix_dossier_province_id", table_name="dossier")
    op.drop_index("ix_idempotency_created", table_name="idempotency_key")
    op.drop_table("idempotency_key")
