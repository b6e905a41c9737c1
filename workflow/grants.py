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
    beyond = excess(conn, role, schema)
    if beyond:  # the caller's transaction rolls back: the role keeps what it had
        raise GrantRefused(
            f"role {role!r} would still hold {', '.join(beyond)} through PUBLIC or a role it "
            "belongs to (pg_write_all_data, ...): revoke that first"
        )
    return {"role": role, "schema": schema, "tables": held}


def privileges_for(table: str) -> tuple[str, ...]:
    if table in READ_ONLY:
        return ("SELECT",)
    if table in APPEND_ONLY:
        return ("SELECT", "INSERT")
    return ROW_PRIVILEGES


def excess(conn: Connection, role: str, schema: str) -> list[str]:
    """What ``role`` can do beyond ``privileges_for``, by any path (PUBLIC, predefined roles such
    as pg_write_all_data, other memberships): GRANT only adds, so the effective rights are read."""
    found = []
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
        {"s": schema},
    ).scalars()
    for table in tables:
        name = f"{schema}.{table}"
        for privilege in (
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "REFERENCES",
            "TRIGGER",
        ):
            if privilege in privileges_for(table):
                continue
            if conn.execute(
                text("SELECT has_table_privilege(:r, :t, :p)"),
                {"r": role, "t": _quote(conn, schema) + "." + _quote(conn, table), "p": privilege},
            ).scalar_one():
                found.append(f"{privilege} on {name}")
    sequences = conn.execute(
        text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = :s "
            "AND has_sequence_privilege(:r, quote_ident(schemaname) || '.' || "
            "quote_ident(sequencename), 'UPDATE') ORDER BY sequencename"
        ),
        {"s": schema, "r": role},
    ).scalars()
    found += [f"UPDATE (setval) on {schema}.{sequence}" for sequence in sequences]
    if conn.execute(
        text("SELECT has_schema_privilege(:r, :s, 'CREATE')"), {"r": role, "s": schema}
    ).scalar_one():
        # A schema from before PostgreSQL 15 lets PUBLIC create: REVOKE CREATE ... FROM PUBLIC.
        found.append(f"CREATE on schema {schema}")
    return found


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)
