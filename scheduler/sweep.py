"""The escalation sweep: the database says what is overdue; this raises each to its next level.

It reads only rows whose next escalation time has come (index on ``next_escalation_at``), so its
cost grows with the number of due steps, not with the number of dossiers. Rows are taken in
batches: on Postgres with ``FOR UPDATE SKIP LOCKED`` so several sweepers share the work without
waiting on each other; on SQLite a batch is one ``BEGIN IMMEDIATE`` transaction. A failing row is
rolled back alone (a savepoint), logged, and tried again on the next sweep: one bad row never
stops everyone's deadlines.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, select

from workflow.db import get_engine, is_sqlite, write_transaction
from workflow.escalation import escalate
from workflow.models import Dossier, table_of

log = logging.getLogger(__name__)
dossier_table = table_of(Dossier)


def _due_query(sqlite: bool, excluded: frozenset[int]):
    q = (
        select(dossier_table)
        .where(dossier_table.c.next_escalation_at <= bindparam("now"))
        .order_by(dossier_table.c.next_escalation_at, dossier_table.c.id)
        .limit(bindparam("batch"))
    )
    if excluded:
        q = q.where(dossier_table.c.id.not_in(sorted(excluded)))
    return q if sqlite else q.with_for_update(of=dossier_table, skip_locked=True)


@dataclass
class SweepResult:
    escalated: int = 0
    cleared: int = 0  # rows whose recorded time was stale: recomputed, nothing escalated
    failed: int = 0
    batches: int = 0
    failures: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def sweep(
    now: datetime | None = None,
    *,
    batch: int = 500,
    engine: Engine | None = None,
    max_batches: int | None = None,
) -> SweepResult:
    """Escalate every step whose next level is due at ``now`` (default: the current time).

    A step several levels overdue is raised once, to the highest level due (one audit row, one
    message); the levels it passed over are named in that row, never sent on their own."""
    engine = engine or get_engine()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    result = SweepResult()
    failed: set[int] = set()  # left for the next sweep, so that this one ends
    while max_batches is None or result.batches < max_batches:
        query = _due_query(is_sqlite(engine), frozenset(failed))
        with write_transaction(engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query, {"now": now, "batch": batch})]
            if not rows:
                break
            result.batches += 1
            for dossier in rows:
                try:
                    with conn.begin_nested():
                        level = escalate(conn, dossier, now)
                except Exception as e:  # isolate the row, keep the sweep going
                    log.exception("escalating dossier %s failed", dossier["id"])
                    failed.add(dossier["id"])
                    result.failed += 1
                    result.failures.append({"dossier_id": dossier["id"], "error": str(e)[:300]})
                    continue
                if level is None:
                    result.cleared += 1
                else:
                    result.escalated += 1
    return result
