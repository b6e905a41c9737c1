"""`dossier bench floor`: the raw SQL floor of the machine at hand, no framework, on a scratch
database of its own (``bench.scratch``): the figure every other one is read against."""

from __future__ import annotations

import sqlite3
import statistics
import time
from typing import Any

from bench import scratch
from workflow.settings import get_settings


def run(db: str = "sqlite", dossiers: int = 2000, database: str | None = None) -> dict[str, Any]:
    """The raw SQL floor of issue 6 on this machine, no framework: per operation BEGIN, read
    state and version (FOR UPDATE on Postgres), conditional UPDATE, INSERT an audit row, COMMIT.
    The engine's figures are read against it (machines of one kind differ by 2x between hours)."""
    with scratch.database(db, database) as url:
        return _run(url, dossiers)


def _run(url: str, dossiers: int) -> dict[str, Any]:
    payload = '{"event": "x"}'
    postgres = scratch.kind(url) == "postgres"
    if postgres:
        import psycopg

        conn: Any = psycopg.connect(scratch.libpq_url(url))
        mark, lock = "%s", " FOR UPDATE"
        begin = commit = None
    else:
        conn = sqlite3.connect(scratch.sqlite_path(url), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # The server's level (SQLITE_SYNCHRONOUS), so the engine is read against a like floor.
        conn.execute(f"PRAGMA synchronous={get_settings().sqlite_synchronous}")
        mark, lock = "?", ""
        begin, commit = "BEGIN IMMEDIATE", "COMMIT"
    cur = conn.cursor()
    cur.execute("CREATE TABLE floor_dossier (id INTEGER PRIMARY KEY, state TEXT, version INTEGER)")
    cur.execute(
        "CREATE TABLE floor_audit (id SERIAL PRIMARY KEY, dossier_id INTEGER, event TEXT, "
        "payload TEXT)"
        if postgres
        else "CREATE TABLE floor_audit (id INTEGER PRIMARY KEY, dossier_id INTEGER, event TEXT, "
        "payload TEXT)"
    )
    cur.executemany(
        f"INSERT INTO floor_dossier VALUES ({mark}, 'registered', 1)",
        [(i,) for i in range(1, dossiers + 1)],
    )
    conn.commit()
    latencies = []
    for i in range(1, dossiers + 1):
        for _ in range(4):
            t0 = time.perf_counter()
            if begin:
                cur.execute(begin)
            cur.execute(f"SELECT state, version FROM floor_dossier WHERE id = {mark}{lock}", (i,))
            _, version = cur.fetchone()
            cur.execute(
                f"UPDATE floor_dossier SET state = 'x', version = {mark} WHERE id = {mark} "
                f"AND version = {mark}",
                (version + 1, i, version),
            )
            cur.execute(
                f"INSERT INTO floor_audit (dossier_id, event, payload) VALUES ({mark}, 'e', "
                f"{mark})",
                (i, payload),
            )
            if commit:
                cur.execute(commit)
            else:
                conn.commit()
            latencies.append(time.perf_counter() - t0)
    conn.close()
    seconds = sum(latencies)
    return {
        "workload": "floor",
        "db": scratch.kind(url),
        "sqlite_synchronous": None if postgres else get_settings().sqlite_synchronous,
        "operations": len(latencies),
        "seconds": round(seconds, 3),
        "ops_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
    }
