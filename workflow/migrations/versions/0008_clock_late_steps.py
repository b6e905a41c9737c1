"""The clock: a step records that it opened late (after, or too close to, its calendar date).

Revision ID: 0008_clock_late_steps
Revises: 0006_user_lifecycle
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_clock_late_steps"
down_revision = "0006_user_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing steps keep the due date they were given; none of them is counted as late.
    # In place (no batch rebuild: the audit rows' foreign keys forbid dropping the table).
    op.add_column(
        "dossier",
        sa.Column("step_opened_late", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # In place on both databases (SQLite 3.35+): a batch rebuild would drop the dossier table,
    # which the audit rows' foreign keys forbid.
    op.execute("ALTER TABLE dossier DROP COLUMN step_opened_late")
