"""`dossier bench sweep`: the cost of one sweep with 1% of the dossiers due, and of an idle
sweep, at two sizes, each on a scratch database of its own (``bench.scratch``). Also the bulk
seeding the concurrency tests use."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from bench import scratch
from states.lifecycle import INITIAL
from states.subjects import SubjectType
from states.territory import communes_of
from workflow import audit, migrate, replay, rulesets
from workflow.db import catch_up_sequences, make_engine, write_transaction
from workflow.models import AuditEvent, Dossier, Unit, table_of
from workflow.steps import open_step

PROVINCE = 51
YEAR = 2026


def seed(engine: Engine, total: int, due: int, *, now: datetime, chunk: int = 5000) -> None:
    """``total`` registered KDC dossiers with valid first audit rows that replay
    (workflow/replay.py); ``due`` of them overdue at ``now`` (registered 60 days before, every
    escalation level due), the rest registered at ``now`` for the next year."""
    communes = communes_of(PROVINCE)
    overdue_at = now - timedelta(days=60)
    with write_transaction(engine) as conn:
        # (registered at, year, rule set id, rule set) of the due dossiers and of the others
        kinds = [
            (at, year, *rulesets.in_force(conn, PROVINCE, year, SubjectType.KDC))
            for at, year in ((overdue_at, overdue_at.year), (now, now.year + 1))
        ]
        start = conn.execute(select(func.coalesce(func.max(table_of(Unit).c.id), 0))).scalar_one()
    for offset in range(0, total, chunk):
        n = min(chunk, total - offset)
        units, dossiers, trails = [], [], []
        for i in range(offset, offset + n):
            uid = start + i + 1
            c = communes[i % len(communes)]
            units.append(
                {
                    "id": uid,
                    "name": f"unit {uid}",
                    "subject_type": "KDC",
                    "kind": "thon",
                    "province_code": PROVINCE,
                    "commune_code": c.code,
                    "managing_level": "commune",
                    "created_at": now,
                }
            )
            at, year, rule_set_id, rules = kinds[0 if i < due else 1]
            facts = replay.recorded(units[-1], year)
            record = {
                "dossier_id": uid,
                "seq": 1,
                "event": audit.REGISTER,
                "from_state": None,
                "to_state": INITIAL.value,
                "version": 1,
                "actor_id": None,
                "actor_name": "seed",
                "role": "province_admin",
                "payload": audit.canonical_json({replay.RECORDED: facts}),
                "reason": None,
                "at": at,
                "request_id": None,
                "rule_set_id": rule_set_id,
            }
            digest = audit.row_hash(audit.GENESIS, record)
            trails.append({**record, "prev_hash": audit.GENESIS, "hash": digest})
            row = {
                "id": uid,
                **facts,
                "state": INITIAL.value,
                "version": 1,
                "rule_set_id": rule_set_id,
                "returns": {},
                "audit_seq": 1,
                "audit_head": digest,
                "created_at": at,
                "updated_at": at,
            }
            # The step columns as registration writes them (workflow/steps.py).
            dossiers.append({**row, **open_step(rules, row, INITIAL, at, seq=1)})
        with write_transaction(engine) as conn:
            conn.execute(insert(table_of(Unit)), units)
            conn.execute(insert(table_of(Dossier)), dossiers)
            conn.execute(insert(table_of(AuditEvent)), trails)
    with write_transaction(engine) as conn:
        catch_up_sequences(conn, "unit", "dossier")
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE dossier"))


def _timed(fn) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def run(
    db: str = "sqlite",
    sizes: tuple[int, ...] = (10_000, 1_000_000),
    due_pct: float = 1.0,
    database: str | None = None,
) -> dict:
    if database and len(sizes) > 1:
        raise scratch.Refused(
            "--database takes one size (--sizes N): each size needs an empty database; "
            "omit --database to give each size a scratch one"
        )
    now = datetime(YEAR, 11, 21, 2, 0, tzinfo=UTC)
    figures: dict[str, Any] = {"workload": "sweep", "db": db}
    for size in sizes:
        with scratch.database(db, database) as url:
            figures["db"] = scratch.kind(url)
            engine = make_engine(url)
            try:
                migrate.upgrade(engine)
                figures[str(size)] = _one_size(engine, size, int(size * due_pct / 100), now)
            finally:
                engine.dispose()
    return figures


def _one_size(engine: Engine, size: int, due: int, now: datetime) -> dict[str, Any]:
    from scheduler.sweep import sweep

    seed_s, _ = _timed(lambda: seed(engine, size, due, now=now))
    idle_s, idle = _timed(lambda: sweep(now - timedelta(days=30), engine=engine))
    busy_s, busy = _timed(lambda: sweep(now, engine=engine))
    return {
        "due": due,
        "seed_s": round(seed_s, 1),
        "idle_sweep_ms": round(idle_s * 1000, 2),
        "due_sweep_s": round(busy_s, 3),
        "escalated": busy.escalated,
        "escalations_per_s": round(busy.escalated / busy_s, 1) if busy_s else None,
    }
