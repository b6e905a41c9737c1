"""Drop the two dossier indexes no query uses; each moved with every state change.

Every list, the inbox and the reports filter by territory first (ix_dossier_place,
ix_dossier_province_id, ix_dossier_commune_id) and the sweep reads ix_dossier_next_escalation;
tests/engine/test_query_plans.py checks that no query reads the whole table without them.

Revision ID: 0004_fewer_moving_indexes
Revises: 0003_idempotency
Create Date: 2026-11-22
"""
from alembic import op

revision = "0004_fewer_moving_indexes"
down_revision = "0003_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_dossier_due", table_name="dossier")
    op.drop_index("ix_dossier_year_type", table_name="dossier")


def downgrade() -> None:
    op.create_index("ix_dossier_year_type", "dossier", ["year", "subject_type", "state"])
    op.create_index("ix_dossier_due", "dossier", ["due_at"])
