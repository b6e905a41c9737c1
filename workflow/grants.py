"""PostgreSQL least privilege: the server's role reads and writes rows and nothing more.

The tables' owner runs the migrations (`dossier db upgrade --grant ROLE`); the server connects
as ROLE. ROLE owns nothing, so it cannot ALTER, DROP or DISABLE TRIGGER; it is no superuser, so
it cannot SET session_replication_role; it gets no TRUNCATE anywhere, only SELECT and INSERT on
the audit trails and the Merkle log, and USAGE (nextval) on the sequences, not UPDATE (setval).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

# Append-only: their rows are evidence (docs/RELIABILITY.md), the triggers refuse the rest too.
APPEND_ONLY = ("audit_event", "user_event", "audit_leaf", "merkle_node")
# The migration owner's bookkeeping: the server only reads it (to refuse an old schema).
READ_ONLY = ("alembic_version",)
ROW_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
ONLY_POSTGRES = (
    "--grant only applies to PostgreSQL: SQLite has no roles (the server's file permissions "
    "are its only access control)"
)


class GrantRefused(Exception):
    """The grant would not give least privilege, or cannot be made here; nothing was changed."""


def check_role(conn: Connection, role: str) -> None:
    """Refuse a role that does not exist or could undo the point: a superuser, a role that can
    create roles (and so grant itself the owner's), or one that is or can become the owner."""
    if conn.dialect.name != "postgresql":
        raise GrantRefused(ONLY_POSTGRES)
    found = conn.execute(
        text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = :role"),
        {"role": role},
    ).first()
    if found is None:
        raise GrantRefused(
            f"role {role!r} does not exist: create it first, e.g. "
            f"CREATE ROLE {_quote(conn, role)} LOGIN PASSWORD '...'"
        )
    if found.rolsuper:
        raise GrantRefused(f"role {role!r} is a superuser: it could switch the triggers off")
    if found.rolcreaterole:
        raise GrantRefused(
            f"role {role!r} has CREATEROLE: it could grant itself the owner's role "
            f"(ALTER ROLE {_quote(conn, role)} NOCREATEROLE)"
        )
    owner = conn.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND pg_has_role(:role, tableowner, 'MEMBER') LIMIT 1"
        ),
        {"role": role},
    ).scalar()
    if owner is not None:
        raise GrantRefused(
            f"role {role!r} is, or acts with the rights of, {owner!r}, the tables' owner: "
            "the server's role must be another one"
        )


def grant_server_role(conn: Connection, role: str) -> dict[str, Any]:
    """Give ``role`` exactly the server's privileges on every table and sequence of the schema,
    whatever it held before (so running it again changes nothing). Returns what it holds."""
    check_role(conn, role)
    who = _quote(conn, role)
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    where = _quote(conn, schema)
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
        {"s": schema},
    ).scalars()
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {where} FROM {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {where} TO {who}",  # nextval, not setval
    ]
    held: dict[str, list[str]] = {}
    for table in tables:
        held[table] = list(privileges_for(table))
        statements.append(
            f"GRANT {', '.join(held[table])} ON TABLE {where}.{_quote(conn, table)} TO {who}"
        )
    for statement in statements:
        conn.exec_driver_sql(statement)
    return {"role": role, "schema": schema, "tables": held, "warnings": _warnings(conn, role)}


def privileges_for(table: str) -> tuple[str, ...]:
    if table in READ_ONLY:
        return ("SELECT",)
    if table in APPEND_ONLY:
        return ("SELECT", "INSERT")
    return ROW_PRIVILEGES


def _warnings(conn: Connection, role: str) -> list[str]:
    # PUBLIC's rights reach every role; a schema from before PostgreSQL 15 lets anyone create.
    if conn.execute(
        text("SELECT has_schema_privilege(:role, current_schema(), 'CREATE')"), {"role": role}
    ).scalar_one():
        return [
            f"{role!r} can still create tables in the schema through PUBLIC: "
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
        ]
    return []


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)
