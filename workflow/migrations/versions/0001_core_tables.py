"""Core tables: units, users, rule sets, dossiers and the append-only audit trail.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('subject_type', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('managing_level', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index('ix_unit_place', ['province_code', 'commune_code', 'subject_type'], unique=False)
        batch_op.create_index('uq_unit_commune_xa', ['commune_code'], unique=True, sqlite_where=sa.text("subject_type = 'XA'"), postgresql_where=sa.text("subject_type = 'XA'"))

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('rule_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('province_code', 'year', 'subject_type', 'version')
    )
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=8), nullable=False),
    sa.Column('managing_level', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('step_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('returns', sa.JSON(), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=True),
    sa.Column('verified_assessment', sa.JSON(), nullable=True),
    sa.Column('self_scores', sa.JSON(), nullable=True),
    sa.Column('verified_scores', sa.JSON(), nullable=True),
    sa.Column('total_score', sa.Float(), nullable=True),
    sa.Column('classification', sa.String(length=24), nullable=True),
    sa.Column('decision_no', sa.String(length=100), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('last_reason', sa.Text(), nullable=True),
    sa.Column('audit_seq', sa.Integer(), nullable=False),
    sa.Column('audit_head', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_set.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_due', ['due_at'], unique=False)
        batch_op.create_index('ix_dossier_place', ['province_code', 'commune_code', 'state'], unique=False)
        batch_op.create_index('ix_dossier_year_type', ['year', 'subject_type', 'state'], unique=False)
        batch_op.create_index('uq_dossier_live', ['unit_id', 'year'], unique=True, sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dossier_id', 'seq', name='uq_audit_dossier_seq')
    )

    # The audit trail is append-only: the database itself refuses to change or remove a row.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{op_name.lower()} BEFORE {op_name} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {op_name} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    op.drop_table('audit_event')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index('uq_dossier_live', sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))
        batch_op.drop_index('ix_dossier_year_type')
        batch_op.drop_index('ix_dossier_place')
        batch_op.drop_index('ix_dossier_due')

    op.drop_table('dossier')
    op.drop_table('rule_set')
    op.drop_table('app_user')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index('uq_unit_commune_xa', sqlite_where=sa.text("subject_type = 'XA'"), postgresql_where=sa.text("subject_type = 'XA'"))
        batch_op.drop_index('ix_unit_place')

    op.drop_table('unit')
