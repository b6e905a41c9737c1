"""`dossier bench lifecycle`: the standard workload of issue 6, through the real engine.

Register N dossiers (one transaction each, with its audit row), then for every dossier in turn
fire submit_self_score, commune_approve, police_verify and recognise, each through
``write_path`` (the engine's ``fire``, with its version check, seat check, guards and chained
audit row), on a scratch database of its own (``bench.scratch``).
"""

from __future__ import annotations

import os
import resource
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from bench import scratch
from states import examples
from states.lifecycle import Event, Role
from states.territory import communes_of
from workflow import engine as wf
from workflow import migrate
from workflow.actors import Actor
from workflow.checkpointer import checkpointing
from workflow.db import holding, make_engine, write_transaction
from workflow.models import Unit
from workflow.registration import register

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
            payload = examples.decision_payload("15/QĐ-UBND", "2026-11-12")
        else:
            payload = {}
        _PAYLOADS[key] = payload
    return _PAYLOADS[key]


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


def write_path(
    dossier_id: int,
    event: Event,
    actor: Actor,
    payload: dict[str, Any],
    version: int,
    engine: Engine,
) -> dict[str, Any]:
    """The one write the benchmark times: an event on a dossier, as its callers change one.
    Every timed fire of ``_walk`` goes through here, so the path measured is chosen in one place."""
    return wf.fire(dossier_id, event, actor, payload, version, engine=engine)


def _walk(
    url: str,
    year: int,
    chunk: list[dict[str, Any]],
    payload: Callable[[Event, str], dict[str, Any]],
) -> tuple[float, float, list[float]]:
    """One worker, holding one connection as a real worker would: register its units, then
    walk each dossier to recognised, a transaction per operation. Returns (start, end,
    latencies) on the system-wide monotonic clock so that workers' spans can be joined."""
    engine = make_engine(url)
    reg_at = datetime(year, 3, 2, 2, 0, tzinfo=UTC)
    local: list[float] = []
    ids = []
    wf.warm_up()
    # Who acts is the caller's business (the API looks the token up): built before the clock
    # starts, like the payloads, so that the timed loop is the engine's work alone.
    actors = _actors(chunk)
    own = EVENTS.index(Event.SUBMIT_SELF_SCORE)  # the unit's representative registers, too
    registrations = [
        (actors[unit["id"]][own], examples.registration_payload(unit["subject_type"]))
        for unit in chunk
    ]
    start = time.perf_counter()
    with checkpointing(engine), engine.connect() as conn, holding(conn):
        for unit, (registrant, declared) in zip(chunk, registrations):
            t0 = time.perf_counter()
            d = register(unit["id"], year, registrant, declared, now=reg_at, engine=engine)
            local.append(time.perf_counter() - t0)
            ids.append((d["id"], unit))
        for did, unit in ids:
            version = 1
            for event, actor in zip(EVENTS, actors[unit["id"]]):
                t0 = time.perf_counter()
                d = write_path(
                    did, event, actor, payload(event, unit["subject_type"]), version, engine
                )
                local.append(time.perf_counter() - t0)
                version = d["version"]
    end = time.perf_counter()
    engine.dispose()
    return start, end, local


def _threads(
    url: str,
    year: int,
    chunks: list[list[dict[str, Any]]],
    payload: Callable[[Event, str], dict[str, Any]],
) -> list[tuple[float, float, list[float]]]:
    """One process of the benchmark: a worker thread per chunk, each with its own connection."""
    spans: list[Any] = [None] * len(chunks)
    failures: list[BaseException] = []

    def work(i: int) -> None:
        try:
            spans[i] = _walk(url, year, chunks[i], payload)
        except BaseException as err:  # re-raised in the process, so the run fails loudly
            failures.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(chunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
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
    database: str | None = None,
) -> dict[str, Any]:
    """K workers, each a thread with its own connection, spread over one process per core (or
    ``processes``), as a threaded server runs its requests over a connection pool: a worker
    waiting on the database leaves its interpreter to another, and no more processes compete
    for the cores than there are cores (eight single-worker processes on two cores ran about
    10% slower than two processes of four).

    On a scratch database, or on ``database`` when it is empty (``bench.scratch``)."""
    with scratch.database(db, database) as url:
        return _run(url, dossiers, connections, year or 2026, payload, processes)


def _run(
    url: str,
    dossiers: int,
    connections: int,
    year: int,
    payload: Callable[[Event, str], dict[str, Any]],
    processes: int | None,
) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    units = _units(engine, dossiers)
    engine.dispose()
    k = max(1, connections)
    chunks = [units[i::k] for i in range(k)]
    # Before the fork, as a pre-forking server would: every worker starts with the Machine and the
    # holiday calendar built (170 ms each otherwise, spent inside the others' timed windows).
    wf.warm_up()
    p = min(k, max(1, processes or os.cpu_count() or 1))
    if k == 1:
        spans = [_walk(url, year, chunks[0], payload)]  # in this process, so profilers see it
    else:
        import multiprocessing

        groups = [chunks[i::p] for i in range(p)]
        with multiprocessing.get_context("fork").Pool(p) as pool:
            spans = [
                span
                for group in pool.starmap(_threads, [(url, year, g, payload) for g in groups])
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
        "db": scratch.kind(url),
        "dossiers": dossiers,
        "connections": k,
        "processes": p,
        "operations": ops,
        "seconds": round(seconds, 3),
        "ops_per_s": round(ops / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
        "peak_rss_mb": round(rss / 1024, 1),
    }
