"""Helpers of the hostile-input tests: every table's rows, to show a refused request changed
nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select

from workflow.db import get_engine, read_connection


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (alembic's bookkeeping aside), in primary-key order."""
    meta = MetaData()
    meta.reflect(get_engine())
    tables = {}
    with read_connection() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            tables[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return tables
