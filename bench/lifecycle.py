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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from api import changes
from bench import floor, scratch
from states import examples
from states.calendar import local_date
from states.lifecycle import Event, Role
from states.rulesets import Policy, RegistrationWindow, RuleSet
from states.subjects import SubjectType
from states.territory import communes_of
from workflow import engine as wf
from workflow import migrate, rulesets
from workflow.actors import Actor
from workflow.checkpointer import checkpointing
from workflow.db import make_engine, set_engine, write_transaction
from workflow.models import AppUser, Unit, table_of
from workflow.settings import get_settings

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
            today = local_date(datetime.now(UTC))  # the guard judges the date in Vietnam
            payload = examples.decision_payload("15/QĐ-UBND", today.isoformat())
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
    t = table_of(Unit)
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
    actor: Actor,
    dossier_id: int,
    event: Event,
    payload: dict[str, Any],
    if_match: str | None,
    idempotency_key: str | None,
) -> changes.Reply:
    """The one write the benchmark times, chosen in one place: the function the API's event
    route calls (``api.changes.fire_event``: the request's transaction, the Idempotency-Key
    record when one is sent, the engine's ``fire``, the rendered answer)."""
    return changes.fire_event(
        actor, dossier_id, event, payload, if_match, idempotency_key=idempotency_key
    )


def _stored(engine: Engine, actors: dict[int, list[Actor]]) -> dict[int, list[Actor]]:
    """The workload's actors as stored users, as the API's are (an Idempotency-Key is kept per
    user): one row per distinct seat, inserted before the clock starts."""
    t = table_of(AppUser)
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
            reply = write_path(actor, did, event, payload(event, unit["subject_type"]), tag, key)
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
        except BaseException as err:  # noqa: BLE001 - re-raised in the process, so it fails loudly
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
    database: str | None = None,
    with_keys: bool = False,
    with_floor: bool = False,
) -> dict[str, Any]:
    """K workers, threads of one process per core (or ``processes``) as a threaded server runs
    its requests over a connection pool: a worker waiting on the database leaves its
    interpreter to another, and no more processes compete for the cores than there are cores
    (eight single-worker processes on two cores ran about 10% slower than two processes of
    four). ``with_keys``: every request carries an Idempotency-Key.

    On a scratch database, or on ``database`` when it is empty (``bench.scratch``).
    ``with_floor``: first ``bench floor`` on a scratch database of its own, with as many
    dossiers, printed beside the figure: machines of one kind differ by 2x between hours, so
    the figure is read against a floor of the same minutes."""
    with scratch.database(db, database) as url:
        # Inside: a database that is refused is refused before anything is measured.
        floor_figures = floor.run(db, dossiers) if with_floor else None
        result = _run(
            url,
            dossiers,
            connections,
            year or local_date(datetime.now(UTC)).year,
            payload,
            processes,
            with_keys,
        )
    if floor_figures is not None:
        result["floor_ops_per_s"] = floor_figures["ops_per_s"]
        result["floor_p50_ms"] = floor_figures["p50_ms"]
        result["vs_floor"] = round(result["ops_per_s"] / floor_figures["ops_per_s"], 3)
    return result


def _run(
    url: str,
    dossiers: int,
    connections: int,
    year: int,
    payload: Callable[[Event, str], dict[str, Any]],
    processes: int | None,
    with_keys: bool,
) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
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
        "db": scratch.kind(url),
        # What a commit waits for on SQLite (docs/RELIABILITY.md, "Durability").
        "sqlite_synchronous": (
            get_settings().sqlite_synchronous if scratch.kind(url) == "sqlite" else None
        ),
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
