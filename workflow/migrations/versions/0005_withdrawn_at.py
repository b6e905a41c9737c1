"""The one-live-dossier rule keys on when a dossier was withdrawn, not on its state.

The unique index over (unit, year) was partial on ``state <> 'withdrawn'``: every state change
rewrote its entry (SQLite rewrites an index whose predicate names a column the UPDATE sets), one
more page written by every event. ``withdrawn_at`` changes once, at the withdrawal.

Revision ID: 0005_withdrawn_at
Revises: 0004_fewer_moving_indexes
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_withdrawn_at"
down_revision = "0004_fewer_moving_indexes"
branch_labels = None
depends_on = None

_BY_STATE = sa.text("state <> 'withdrawn'")
_BY_TIME = sa.text("withdrawn_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    # When the trail says it was withdrawn (the last row of a withdrawn dossier is the withdrawal).
    op.execute("UPDATE dossier SET withdrawn_at = COALESCE((SELECT a.at FROM audit_event a "
               "WHERE a.dossier_id = dossier.id AND a.event = 'withdraw' ORDER BY a.seq DESC "
               "LIMIT 1), updated_at) WHERE state = 'withdrawn'")
    op.drop_index("uq_dossier_live", table_name="dossier")
    op.create_index("uq_dossier_live", "dossier", ["unit_id", "year"], unique=True,
                    sqlite_where=_BY_TIME, postgresql_where=_BY_TIME)


def downgrade() -> None:
    op.drop_index("uq_dossier_live", table_name="dossier")
    op.create_index("uq_dossier_live", "dossier", ["unit_id", "year"], unique=True,
                    sqlite_where=_BY_STATE, postgresql_where=_BY_STATE)
    # In place on both databases (SQLite 3.35+): a batch rebuild would drop the dossier table,
    # which the audit rows' foreign keys forbid.
    op.execute("ALTER TABLE dossier DROP COLUMN withdrawn_at")
