"""Four sweepers at once over thousands of overdue steps: exactly one escalation per
(dossier, step, level), none missed, every chain intact."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from bench.sweep import seed
from scheduler.sweep import sweep
from tests.conftest import ON_POSTGRES
from workflow import audit
from workflow.db import read_connection
from workflow.models import OutboxMessage

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
STEPS = 10_000 if ON_POSTGRES else 2_000
SWEEPERS = 4


def test_four_sweepers_escalate_each_level_exactly_once(engine):
    seed(engine, STEPS + 500, STEPS, now=NOW)  # 500 more that are not due
    results, errors = [], []

    def run():
        try:
            results.append(sweep(NOW, batch=200))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(SWEEPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == [] and len(results) == SWEEPERS
    assert sum(r.failed for r in results) == 0
    # seeded 10 days overdue with 3 days more since the level-1 time: levels 1 and 2 are due,
    # level 3 (5 working days after the deadline) is due too; issue 15: only level 3 is written
    expected_levels = 1
    assert sum(r.escalated for r in results) == STEPS * expected_levels
    with read_connection() as conn:
        per_level = dict(
            conn.execute(text("SELECT level, count(*) FROM escalation GROUP BY level")).all()
        )
        duplicates = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT dossier_id, step_seq, level FROM escalation "
                "GROUP BY dossier_id, step_seq, level HAVING count(*) > 1) d"
            )
        ).scalar_one()
        outbox = conn.execute(
            select(func.count()).select_from(OutboxMessage.__table__)
        ).scalar_one()
        checked, findings = audit.verify(conn)
    assert per_level == {3: STEPS} and duplicates == 0
    assert outbox == STEPS * expected_levels
    assert checked == STEPS + 500 and findings == []
    assert sweep(NOW).escalated == 0  # nothing left


def test_an_idle_sweep_reads_nothing(engine):
    seed(engine, 3000, 0, now=NOW)
    result = sweep(NOW)
    assert (result.escalated, result.batches) == (0, 0)
