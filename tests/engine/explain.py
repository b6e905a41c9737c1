"""EXPLAIN any SQLAlchemy SELECT on either database (SQLAlchemy's documented custom-construct
recipe), and the scans a plan contains."""

from __future__ import annotations

import json

from sqlalchemy import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _pg(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


@compiles(Explain, "sqlite")
def _sqlite(element, compiler, **kw):
    return "EXPLAIN QUERY PLAN " + compiler.process(element.statement, **kw)


def full_scans(conn: Connection, statement, table: str) -> list[str]:
    """The plan's steps that read every row of ``table`` (empty: it is reached by an index)."""
    rows = conn.execute(Explain(statement)).all()
    if conn.dialect.name == "sqlite":
        details = [r[-1] for r in rows]
        return [d for d in details if d.startswith(f"SCAN {table}") and "INDEX" not in d]
    plan = rows[0][0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: list[str] = []

    def walk(node):
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == table:
            found.append(f"Seq Scan on {table} filter {node.get('Filter')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found
