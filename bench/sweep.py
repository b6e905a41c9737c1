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
from workflow import audit, migrate, rulesets
from workflow.db import catch_up_sequences, make_engine, write_transaction
from workflow.models import AuditEvent, Dossier, Unit, table_of

PROVINCE = 51
YEAR = 2026


def seed(engine: Engine, total: int, due: int, *, now: datetime, chunk: int = 5000) -> None:
    """``total`` registered KDC dossiers with valid first audit rows; ``due`` of them overdue at
    ``now`` (their step opened long ago), the rest due next year."""
    communes = communes_of(PROVINCE)
    with write_transaction(engine) as conn:
        rule_set_id, _ = rulesets.in_force(conn, PROVINCE, YEAR, SubjectType.KDC)
        start = conn.execute(select(func.coalesce(func.max(table_of(Unit).c.id), 0))).scalar_one()
    overdue_at = now - timedelta(days=10)
    later = now + timedelta(days=365)
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
            is_due = i < due
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
                "payload": "{}",
                "reason": None,
                "at": now,
                "request_id": None,
                "rule_set_id": rule_set_id,
            }
            digest = audit.row_hash(audit.GENESIS, record)
            trails.append({**record, "prev_hash": audit.GENESIS, "hash": digest})
            dossiers.append(
                {
                    "id": uid,
                    "unit_id": uid,
                    "year": YEAR,
                    "state": INITIAL.value,
                    "version": 1,
                    "rule_set_id": rule_set_id,
                    "subject_type": "KDC",
                    "managing_level": "commune",
                    "province_code": PROVINCE,
                    "commune_code": c.code,
                    "step_opened_at": now,
                    "step_seq": 1,
                    "due_at": overdue_at if is_due else later,
                    "escalation_level": 0,
                    "next_escalation_at": overdue_at - timedelta(days=3) if is_due else later,
                    "returns": {},
                    "audit_seq": 1,
                    "audit_head": digest,
                    "created_at": now,
                    "updated_at": now,
                }
            )
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
