"""Server-side sessions for the web pages: one row per signed-in browser, revocable.

Revision ID: 0007_sessions
Revises: 0009_deliveries
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_sessions"
down_revision = "0009_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
    )
    op.create_index("ix_web_session_user", "web_session", ["user_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_web_session_user", table_name="web_session")
    op.drop_table("web_session")
