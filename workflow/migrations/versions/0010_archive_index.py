"""What I acted on: an index of the audit rows by their actor, for the pages' archive tab.

Revision ID: 0010_archive_index
Revises: 0007_sessions
Create Date: 2026-12-03
"""
from alembic import op

revision = "0010_archive_index"
down_revision = "0007_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_actor_dossier", "audit_event", ["actor_id", "dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_actor_dossier", table_name="audit_event")
