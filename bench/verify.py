"""`dossier bench verify`: valid five-row trails seeded in bulk, then `audit verify` timed over
all of them, on a scratch database of its own (``bench.scratch``)."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from bench import scratch
from bench.lifecycle import PROVINCE, _units
from states.subjects import SubjectType
from workflow import audit, migrate, rulesets
from workflow.db import catch_up_sequences, make_engine, write_transaction
from workflow.models import AuditEvent, Dossier, table_of


def seed_trails(engine: Engine, dossiers: int, *, chunk: int = 2000) -> int:
    """Recognised dossiers with complete, valid five-row trails, inserted in bulk; returns the
    number of audit rows."""
    units = _units(engine, dossiers)
    now = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    with write_transaction(engine) as conn:
        rule_set_id, _ = rulesets.in_force(conn, PROVINCE, 2026, SubjectType.KDC)
    path = [
        (audit.REGISTER, None, "registered"),
        ("submit_self_score", "registered", "self_scored"),
        ("commune_approve", "self_scored", "commune_reviewed"),
        ("police_verify", "commune_reviewed", "police_verified"),
        ("recognise", "police_verified", "recognised"),
    ]
    rows = 0
    for start in range(0, dossiers, chunk):
        batch_units = units[start : start + chunk]
        dossier_rows, trail_rows = [], []
        for unit in batch_units:
            prev = audit.GENESIS
            for seq, (event, src, dst) in enumerate(path, start=1):
                record = {
                    "dossier_id": unit["id"],
                    "seq": seq,
                    "event": event,
                    "from_state": src,
                    "to_state": dst,
                    "version": seq,
                    "actor_id": None,
                    "actor_name": "bench",
                    "role": "ubnd",
                    "payload": "{}",
                    "reason": None,
                    "at": now,
                    "request_id": None,
                    "rule_set_id": rule_set_id,
                }
                digest = audit.row_hash(prev, record)
                trail_rows.append({**record, "prev_hash": prev, "hash": digest})
                prev = digest
            dossier_rows.append(
                {
                    "id": unit["id"],
                    "unit_id": unit["id"],
                    "year": 2026,
                    "state": "recognised",
                    "version": len(path),
                    "rule_set_id": rule_set_id,
                    "subject_type": unit["subject_type"],
                    "managing_level": unit["managing_level"],
                    "province_code": unit["province_code"],
                    "commune_code": unit["commune_code"],
                    "returns": {},
                    "audit_seq": len(path),
                    "audit_head": prev,
                    "created_at": now,
                    "updated_at": now,
                    "escalation_level": 0,
                    "step_seq": len(path),
                }
            )
        with write_transaction(engine) as conn:
            conn.execute(insert(table_of(Dossier)), dossier_rows)
            conn.execute(insert(table_of(AuditEvent)), trail_rows)
        rows += len(trail_rows)
    with write_transaction(engine) as conn:
        catch_up_sequences(conn, "dossier")
    return rows


def run(db: str = "sqlite", events: int = 1_000_000, database: str | None = None) -> dict[str, Any]:
    with scratch.database(db, database) as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            rows = seed_trails(engine, max(1, events // 5))
            t0 = time.perf_counter()
            checked, findings = audit.verify_parallel(engine)
            seconds = time.perf_counter() - t0
        finally:
            engine.dispose()
    return {
        "workload": "verify",
        "db": scratch.kind(url),
        "events": rows,
        "dossiers": checked,
        "findings": len(findings),
        "seconds": round(seconds, 3),
        "events_per_s": round(rows / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
