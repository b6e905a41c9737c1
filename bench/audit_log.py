"""`dossier bench log`: what the Merkle log costs at scale, on a scratch database of its own.

Valid trails seeded in bulk (``bench.verify.seed_trails``), then timed, each as its command or
route runs it: the first checkpoint (every row taken in: the day the log is switched on), a
checkpoint after one more day's worth of rows, a dossier's inclusion proof (the work of
``GET /dossiers/{id}/audit/proof``), and the log's part of `dossier audit verify`. The floor is
reading every audit row once, in the same run.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bench import scratch
from bench.verify import seed_trails
from workflow import audit_log, checkpoints, migrate, tree_heads
from workflow.db import make_engine, read_connection, set_engine
from workflow.models import AuditEvent, table_of
from workflow.settings import get_settings


def _timed(fn) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _floor(engine: Engine) -> float:
    table = table_of(AuditEvent)
    with read_connection(engine) as conn:
        _, seconds = _timed(
            lambda: sum(
                1
                for _ in conn.execute(
                    select(table.c.id, table.c.dossier_id, table.c.seq, table.c.hash)
                )
            )
        )
    return seconds


def run(db: str = "sqlite", events: int = 1_000_000, database: str | None = None) -> dict[str, Any]:
    keys = Path(tempfile.mkdtemp(prefix="bench-log-"))
    tree_heads.generate_key(keys / "key.pem")
    saved = {k: os.environ.get(k) for k in ("AUDIT_KEY_FILE", "AUDIT_HEADS_DIR")}
    os.environ.update(AUDIT_KEY_FILE=str(keys / "key.pem"), AUDIT_HEADS_DIR=str(keys / "heads"))
    get_settings.cache_clear()
    try:
        with scratch.database(db, database) as url:
            engine = make_engine(url)
            set_engine(engine)
            try:
                migrate.upgrade(engine)
                dossiers = max(2, events // 5)
                seed_trails(engine, dossiers - dossiers // 100)
                floor = _floor(engine)
                first, first_s = _timed(lambda: checkpoints.checkpoint(engine))
                # one more day's rows: a hundredth of the dossiers with their whole trail
                seed_trails(engine, dossiers // 100)
                second, second_s = _timed(lambda: checkpoints.checkpoint(engine))
                with read_connection(engine) as conn:
                    head = tree_heads.latest(checkpoints.heads_dir())
                    assert head is not None
                    (entries, _), proof_s = _timed(
                        lambda: audit_log.inclusion(conn, audit_log.DOSSIER, 1, head.tree_size)
                    )
                    report, check_s = _timed(
                        lambda: checkpoints.check(
                            conn, checkpoints.heads_dir(), checkpoints.configured_public_key()
                        )
                    )
            finally:
                set_engine(None)
                engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
    return {
        "workload": "audit log",
        "db": scratch.kind(url),
        "leaves": second.head.tree_size,
        "floor_read_every_row_s": round(floor, 3),
        "first_checkpoint_s": round(first_s, 3),
        "first_checkpoint_leaves": first.head.tree_size,
        "next_checkpoint_s": round(second_s, 3),
        "next_checkpoint_leaves": second.head.tree_size - first.head.tree_size,
        "proof_of_one_dossier_ms": round(proof_s * 1000, 2),
        "proof_rows": len(entries),
        "verify_log_s": round(check_s, 3),
        "verify_findings": len(report["findings"]),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
