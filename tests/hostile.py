"""Helpers of the hostile-input tests: every table's rows, to show a refused request changed
nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select

from workflow.db import get_engine, read_connection

# Written by signing in (at most once a minute), not by what the request asked.
_BOOKKEEPING = {("app_user", "last_used_at")}


_REFLECTED: dict[str, MetaData] = {}


def _tables() -> MetaData:
    # Reflected once per database: schemathesis takes a snapshot around every case.
    key = get_engine().url.render_as_string(hide_password=False)
    if key not in _REFLECTED:
        _REFLECTED[key] = MetaData()
        _REFLECTED[key].reflect(get_engine())
    return _REFLECTED[key]


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (alembic's bookkeeping aside), in primary-key order."""
    meta = _tables()
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
