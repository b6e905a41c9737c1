"""Helpers of the hostile-input tests: every table's rows, to show a refused request changed
nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select

from workflow.db import get_engine, read_connection

# Written by signing in (at most once a minute), not by what the request asked.
_BOOKKEEPING = {("app_user", "last_used_at")}


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (alembic's bookkeeping aside), in primary-key order."""
    meta = MetaData()
    meta.reflect(get_engine())
    tables = {}
    with read_connection() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            columns = [c for c in table.columns if (name, c.name) not in _BOOKKEEPING]
            order = list(table.primary_key.columns) or columns
            query = select(*columns).order_by(*order)
            tables[name] = [tuple(r) for r in conn.execute(query)]
    return tables
