"""The user lifecycle: contact details, token expiry and rotation, deactivation, single sign-on
subject, notification mode, and the append-only, hash-chained trail of every change to a user.

Existing users' tokens expire a year after the user was created.

Revision ID: 0006_user_lifecycle
Revises: 0005_withdrawn_at
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_user_lifecycle"
down_revision = "0005_withdrawn_at"
branch_labels = None
depends_on = None

_SET = sa.text("email IS NOT NULL")
_SUBJECT = sa.text("oidc_subject IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("token_rotated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("notify_mode", sa.String(length=16), nullable=False,
                      server_default="immediate")
        )
        batch.add_column(sa.Column("trail_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("trail_head", sa.String(length=64), nullable=False, server_default="")
        )
    op.create_index("uq_app_user_email", "app_user", ["email"], unique=True,
                    sqlite_where=_SET, postgresql_where=_SET)
    op.create_index("uq_app_user_oidc_subject", "app_user", ["oidc_subject"], unique=True,
                    sqlite_where=_SUBJECT, postgresql_where=_SUBJECT)
    op.create_index("ix_app_user_previous_token", "app_user", ["previous_token_hash"])
    op.create_index("ix_app_user_province_id", "app_user", ["province_code", "id"])
    # A year from creation, as the default setting (TOKEN_TTL_DAYS) gives new tokens.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE app_user SET token_expires_at = created_at + interval '365 days'")
    else:
        op.execute("UPDATE app_user SET token_expires_at = "
                   "strftime('%Y-%m-%d %H:%M:%f000', created_at, '+365 days')")
    op.execute("UPDATE app_user SET deactivated_at = created_at WHERE active = false")

    op.create_table(
        "user_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "seq", name="uq_user_event_user_seq"),
    )
    # As audit_event (0001): the database itself refuses to change or remove a row.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION user_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'user_event is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER user_event_no_update_delete BEFORE UPDATE OR DELETE ON user_event "
            "FOR EACH ROW EXECUTE FUNCTION user_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER user_event_no_truncate BEFORE TRUNCATE ON user_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION user_event_append_only()"
        )
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER user_event_no_{op_name.lower()} BEFORE {op_name} ON user_event "
                f"BEGIN SELECT RAISE(ABORT, 'user_event is append-only: {op_name} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS user_event_no_truncate ON user_event")
        op.execute("DROP TRIGGER IF EXISTS user_event_no_update_delete ON user_event")
        op.execute("DROP FUNCTION IF EXISTS user_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS user_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS user_event_no_delete")
    op.drop_table("user_event")
    op.drop_index("ix_app_user_province_id", table_name="app_user")
    op.drop_index("ix_app_user_previous_token", table_name="app_user")
    op.drop_index("uq_app_user_oidc_subject", table_name="app_user")
    op.drop_index("uq_app_user_email", table_name="app_user")
    # In place (SQLite 3.35+), as 0005: a batch rebuild would drop app_user, which other tables'
    # foreign keys name.
    for column in ("trail_head", "trail_seq", "notify_mode", "oidc_subject", "deactivated_at",
                   "last_used_at", "previous_token_hash", "token_rotated_at", "token_expires_at",
                   "phone", "email"):
        op.execute(f"ALTER TABLE app_user DROP COLUMN {column}")
