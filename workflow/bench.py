"""`dossier bench lifecycle`: the standard workload of issue 6, through the real engine.

Register N dossiers (one transaction each, with its audit row), then for every dossier in turn
fire submit_self_score, commune_approve, police_verify and recognise, each through
``workflow.engine.fire`` with its version check, seat check, guards and chained audit row.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from api import changes
from states import examples
from states.lifecycle import Event, Role
from states.rulesets import Policy, RegistrationWindow, RuleSet
from states.subjects import SubjectType
from states.territory import communes_of
from workflow import engine as wf
from workflow import migrate, rulesets
from workflow.actors import Actor
from workflow.checkpointer import checkpointing
from workflow.db import catch_up_sequences, make_engine, set_engine, write_transaction
from workflow.models import AppUser, Unit

PROVINCE = 51
EVENTS = (Event.SUBMIT_SELF_SCORE, Event.COMMUNE_APPROVE, Event.POLICE_VERIFY, Event.RECOGNISE)


_PAYLOADS: dict[tuple[Event, str], dict[str, Any]] = {}


def bench_payload(event: Event, subject_type: str) -> dict[str, Any]:
    """A complete, valid payload for each event of the workload (``states.examples``), built once
    per (event, subject type): the timed loop measures the engine, not the payload builder."""
    key = (event, subject_type)
    if key not in _PAYLOADS:
        if event is Event.SUBMIT_SELF_SCORE:
            payload = examples.submit_payload(subject_type)
        elif event is Event.POLICE_VERIFY:
            payload = examples.verify_payload(subject_type)
        elif event is Event.RECOGNISE:
            payload = examples.decision_payload("15/QĐ-UBND", datetime.now(UTC).date().isoformat())
        else:
            payload = {}
        _PAYLOADS[key] = payload
    return _PAYLOADS[key]


def _database(db: str) -> tuple[Engine, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if db == "postgres":
        if not url.startswith("postgresql"):
            raise SystemExit("--db postgres needs DATABASE_URL=postgresql+psycopg://...")
        return make_engine(url), None
    if url.startswith("sqlite"):
        return make_engine(url), None
    path = os.path.join(tempfile.mkdtemp(prefix="dossier-bench-"), "bench.db")
    return make_engine(f"sqlite:///{path}"), path


def _units(engine: Engine, n: int) -> list[dict[str, Any]]:
    """Units spread over the province's communes, half commune-managed KDC, half province-managed
    enterprises, inserted in bulk (not timed)."""
    communes = communes_of(PROVINCE)
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        c = communes[i % len(communes)]
        kdc = i % 2 == 0
        rows.append(
            {
                "name": f"bench unit {i}",
                "subject_type": "KDC" if kdc else "DN",
                "kind": "thon" if kdc else "medium",
                "province_code": PROVINCE,
                "commune_code": c.code,
                "managing_level": "commune" if kdc else "province",
                "created_at": now,
            }
        )
    t = Unit.__table__
    with write_transaction(engine) as conn:
        ids = (
            [r[0] for r in conn.execute(insert(t).returning(t.c.id), rows)]
            if engine.dialect.name != "sqlite"
            else None
        )
        if ids is None:
            ids = []
            for chunk in range(0, len(rows), 500):
                ids.extend(
                    conn.execute(insert(t).returning(t.c.id), r).scalar_one()
                    for r in rows[chunk : chunk + 500]
                )
    for row, uid in zip(rows, ids):
        row["id"] = uid
    return rows


def _seat(role: Role, unit: dict[str, Any], level: str) -> Actor:
    # Seats are built in memory: the engine checks the seat, not a users table.
    if role is Role.UNIT:
        return Actor(
            None, "bench unit", role, unit["province_code"], unit["commune_code"], unit["id"]
        )
    commune = unit["commune_code"] if level == "commune" else None
    return Actor(None, f"bench {role.value}", role, unit["province_code"], commune)


def _actor(event: Event, unit: dict[str, Any]) -> Actor:
    province_managed = unit["managing_level"] == "province"
    if event is Event.SUBMIT_SELF_SCORE:
        return _seat(Role.UNIT, unit, "unit")
    if event is Event.COMMUNE_APPROVE:
        return _seat(Role.COMMUNE_REVIEWER, unit, "commune")
    role = Role.POLICE if event is Event.POLICE_VERIFY else Role.UBND
    return _seat(role, unit, "province" if province_managed else "commune")


def _actors(units: list[dict[str, Any]]) -> dict[int, list[Actor]]:
    """Each unit's actor for each event of the workload, in ``EVENTS`` order. As in a province,
    a unit acts for itself and the reviewers of a commune or a province are shared by its
    dossiers: one Actor each, so that the benchmark's memory grows by a unit's seat only."""
    shared: dict[tuple[Any, ...], Actor] = {}
    out = {}
    for unit in units:
        seats = []
        for event in EVENTS:
            # Only the unit's own seat names the unit; a reviewer's is its commune's or province's.
            key = (
                event,
                unit["province_code"],
                unit["commune_code"],
                unit["managing_level"],
                unit["id"] if event is Event.SUBMIT_SELF_SCORE else None,
            )
            if key not in shared:
                shared[key] = _actor(event, unit)
            seats.append(shared[key])
        out[unit["id"]] = seats
    return out


def _stored(engine: Engine, actors: dict[int, list[Actor]]) -> dict[int, list[Actor]]:
    """The workload's actors as stored users, as the API's are (an Idempotency-Key is kept per
    user): one row per distinct seat, inserted before the clock starts."""
    t = AppUser.__table__
    now = datetime.now(UTC)
    stored: dict[int, Actor] = {}
    with write_transaction(engine) as conn:
        for seat in {id(a): a for seats in actors.values() for a in seats}.values():
            user_id = conn.execute(
                insert(t).returning(t.c.id),
                {
                    "name": seat.name,
                    "role": seat.role.value,
                    "province_code": seat.province_code,
                    "commune_code": seat.commune_code,
                    "unit_id": seat.unit_id,
                    "active": True,
                    "created_at": now,
                },
            ).scalar_one()
            stored[id(seat)] = replace(seat, id=user_id)
    return {unit: [stored[id(a)] for a in seats] for unit, seats in actors.items()}


def _walk(
    engine: Engine,
    year: int,
    chunk: list[dict[str, Any]],
    payload: Callable[[Event, str], dict[str, Any]],
    with_keys: bool,
) -> tuple[float, float, list[float]]:
    """One worker, as one request thread of the server: register its units, then walk each
    dossier to recognised, every operation through the very function its API route calls
    (``api.changes``: one transaction with the idempotency record and the rendered answer).
    Returns (start, end, latencies) on the system-wide monotonic clock so that workers' spans
    can be joined."""
    local: list[float] = []
    ids = []
    # Who acts is the caller's business (the API looks the token up): built before the clock
    # starts, like the payloads, so that the timed loop is the request's work alone.
    actors = _stored(engine, _actors(chunk))
    own = EVENTS.index(Event.SUBMIT_SELF_SCORE)  # the unit's representative registers, too
    registrations = [
        (actors[unit["id"]][own], examples.registration_payload(unit["subject_type"]))
        for unit in chunk
    ]
    start = time.perf_counter()
    for unit, (registrant, declared) in zip(chunk, registrations):
        key = f"register-{unit['id']}" if with_keys else None
        t0 = time.perf_counter()
        reply = changes.register_dossier(
            registrant, unit["id"], year, declared, idempotency_key=key
        )
        local.append(time.perf_counter() - t0)
        ids.append((reply.body["id"], unit))
    for did, unit in ids:
        tag = '"1"'
        for event, actor in zip(EVENTS, actors[unit["id"]]):
            key = f"{did}-{event.value}" if with_keys else None
            t0 = time.perf_counter()
            reply = changes.fire_event(
                actor, did, event, payload(event, unit["subject_type"]), tag, idempotency_key=key
            )
            local.append(time.perf_counter() - t0)
            tag = reply.etag
    end = time.perf_counter()
    return start, end, local


def _open_all_year(engine: Engine, year: int) -> None:
    """The benchmark's province keeps registration open all year (as the demo's does), so that
    registrations run at today's time, as the API's do."""
    with write_transaction(engine) as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=PROVINCE,
                    year=year,
                    subject_type=subject,
                    policy=Policy(
                        registration_window=RegistrationWindow(start="01-01", end="12-31")
                    ),
                ),
            )


def _serve(
    url: str,
    year: int,
    chunks: list[list[dict[str, Any]]],
    payload: Callable[[Event, str], dict[str, Any]],
    with_keys: bool,
) -> list[tuple[float, float, list[float]]]:
    """One process of the benchmark, as one server process: one engine and its pool, a worker
    thread per chunk as request threads, the SQLite checkpointer beside them."""
    engine = make_engine(url)
    set_engine(engine)  # api.changes, like the routes, use the process's engine
    spans: list[Any] = [None] * len(chunks)
    failures: list[BaseException] = []

    def work(i: int) -> None:
        try:
            spans[i] = _walk(engine, year, chunks[i], payload, with_keys)
        except BaseException as err:  # re-raised in the process, so the run fails loudly
            failures.append(err)

    with checkpointing(engine):
        if len(chunks) == 1:
            work(0)  # in this thread, so profilers see it
        else:
            threads = [threading.Thread(target=work, args=(i,)) for i in range(len(chunks))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    set_engine(None)
    engine.dispose()
    if failures:
        raise failures[0]
    return spans


def run(
    db: str = "sqlite",
    dossiers: int = 2000,
    connections: int = 1,
    year: int | None = None,
    payload: Callable[[Event, str], dict[str, Any]] = bench_payload,
    processes: int | None = None,
    with_keys: bool = False,
) -> dict[str, Any]:
    """K workers, threads of one process per core (or ``processes``) as a threaded server runs
    its requests over a connection pool: a worker waiting on the database leaves its
    interpreter to another, and no more processes compete for the cores than there are cores
    (eight single-worker processes on two cores ran about 10% slower than two processes of
    four). ``with_keys``: every request carries an Idempotency-Key."""
    engine, path = _database(db)
    migrate.upgrade(engine)
    url = engine.url.render_as_string(hide_password=False)
    year = year or datetime.now(UTC).year
    units = _units(engine, dossiers)
    _open_all_year(engine, year)
    engine.dispose()
    k = max(1, connections)
    chunks = [units[i::k] for i in range(k)]
    # Before the fork, as a pre-forking server would: every worker starts with the Machine and the
    # holiday calendar built (170 ms each otherwise, spent inside the others' timed windows).
    wf.warm_up()
    p = min(k, max(1, processes or os.cpu_count() or 1))
    if p == 1:
        spans = _serve(url, year, chunks, payload, with_keys)  # in this process
    else:
        import multiprocessing

        groups = [chunks[i::p] for i in range(p)]
        with multiprocessing.get_context("fork").Pool(p) as pool:
            spans = [
                span
                for group in pool.starmap(
                    _serve, [(url, year, g, payload, with_keys) for g in groups]
                )
                for span in group
            ]
    seconds = max(s[1] for s in spans) - min(s[0] for s in spans)
    latencies = [x for s in spans for x in s[2]]
    ops = len(latencies)
    q = statistics.quantiles(latencies, n=100) if ops >= 100 else [max(latencies)] * 99
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return {
        "workload": "lifecycle",
        "db": db,
        "dossiers": dossiers,
        "connections": k,
        "processes": p,
        "idempotency_keys": with_keys,
        "operations": ops,
        "seconds": round(seconds, 3),
        "ops_per_s": round(ops / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
        "peak_rss_mb": round(rss / 1024, 1),
    }


def seed_trails(engine: Engine, dossiers: int, *, chunk: int = 2000) -> int:
    """Recognised dossiers with complete, valid five-row trails, inserted in bulk; returns the
    number of audit rows."""
    from states.subjects import SubjectType
    from workflow import audit, rulesets
    from workflow.models import AuditEvent, Dossier

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
            conn.execute(insert(Dossier.__table__), dossier_rows)
            conn.execute(insert(AuditEvent.__table__), trail_rows)
        rows += len(trail_rows)
    with write_transaction(engine) as conn:
        catch_up_sequences(conn, "dossier")
    return rows


def run_verify(db: str = "sqlite", events: int = 1_000_000) -> dict[str, Any]:
    from workflow import audit

    engine, _ = _database(db)
    migrate.upgrade(engine)
    rows = seed_trails(engine, max(1, events // 5))
    t0 = time.perf_counter()
    checked, findings = audit.verify_parallel(engine)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {
        "workload": "verify",
        "db": db,
        "events": rows,
        "dossiers": checked,
        "findings": len(findings),
        "seconds": round(seconds, 3),
        "events_per_s": round(rows / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_floor(db: str = "sqlite", dossiers: int = 2000) -> dict[str, Any]:
    """The raw SQL floor of issue 6 on this machine, no framework: per operation BEGIN, read
    state and version (FOR UPDATE on Postgres), conditional UPDATE, INSERT an audit row, COMMIT.
    The engine's figures are read against it (machines of one kind differ by 2x between hours)."""
    import sqlite3

    payload = '{"event": "x"}'
    if db == "postgres":
        import psycopg

        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgresql"):
            raise SystemExit("--db postgres needs DATABASE_URL=postgresql+psycopg://...")
        conn: Any = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        mark, lock = "%s", " FOR UPDATE"
        begin = commit = None
    else:
        conn = sqlite3.connect(
            os.path.join(tempfile.mkdtemp(prefix="dossier-floor-"), "f.db"), isolation_level=None
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        mark, lock = "?", ""
        begin, commit = "BEGIN IMMEDIATE", "COMMIT"
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS floor_audit")
    cur.execute("DROP TABLE IF EXISTS floor_dossier")
    cur.execute("CREATE TABLE floor_dossier (id INTEGER PRIMARY KEY, state TEXT, version INTEGER)")
    cur.execute(
        "CREATE TABLE floor_audit (id SERIAL PRIMARY KEY, dossier_id INTEGER, event TEXT, "
        "payload TEXT)"
        if db == "postgres"
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
        "db": db,
        "operations": len(latencies),
        "seconds": round(seconds, 3),
        "ops_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
    }
