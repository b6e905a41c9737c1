"""`dossier bench verify`: valid five-row trails seeded in bulk, then `audit verify` timed over
all of them (the chain and the full replay), on a scratch database of its own
(``bench.scratch``). The trails are copies of dossiers walked through the engine, so that replay
works on real payloads: self-assessments, score sheets and a decision."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from bench import scratch
from bench.lifecycle import EVENTS, _actors, _open_all_year, _units, bench_payload
from states import examples
from states.lifecycle import Event
from workflow import audit, jsontext, migrate, registration, replay
from workflow import engine as wf
from workflow.db import catch_up_sequences, make_engine, read_connection, write_transaction
from workflow.models import AuditEvent, Dossier, table_of

YEAR = 2026
# When each template's events happen: inside the year's registration window, then its steps, and
# the decision on a day the decision-date guard accepts.
_AT = {
    audit.REGISTER: datetime(YEAR, 3, 2, 2, 0, tzinfo=UTC),
    Event.SUBMIT_SELF_SCORE: datetime(YEAR, 3, 10, 2, 0, tzinfo=UTC),
    Event.COMMUNE_APPROVE: datetime(YEAR, 3, 20, 2, 0, tzinfo=UTC),
    Event.POLICE_VERIFY: datetime(YEAR, 4, 1, 2, 0, tzinfo=UTC),
    Event.RECOGNISE: datetime(YEAR, 11, 12, 2, 0, tzinfo=UTC),
}


def _payload(event: Event, subject_type: str) -> dict[str, Any]:
    if event is Event.RECOGNISE:
        return examples.decision_payload("15/QĐ-UBND", _AT[event].date().isoformat())
    return bench_payload(event, subject_type)


def _templates(engine: Engine, units: list[dict[str, Any]]) -> dict[str, tuple[dict, list[dict]]]:
    """One dossier per subject type among ``units``, walked to recognised through the engine
    (registration and ``fire``, with the workload's payloads): its row and its trail, which
    every other dossier of that type copies."""
    found: dict[str, tuple[dict, list[dict]]] = {}
    actors = _actors(units)
    for unit in units:
        kind = unit["subject_type"]
        if kind in found:
            continue
        seats = actors[unit["id"]]
        d = registration.register(
            unit["id"],
            YEAR,
            seats[EVENTS.index(Event.SUBMIT_SELF_SCORE)],
            examples.registration_payload(kind),
            now=_AT[audit.REGISTER],
            engine=engine,
        )
        for event, actor in zip(EVENTS, seats):
            d = wf.fire(
                d["id"],
                event,
                actor,
                _payload(event, kind),
                d["version"],
                now=_AT[event],
                engine=engine,
            )
        with read_connection(engine) as conn:
            found[kind] = (wf.load(conn, d["id"]), audit.trail(conn, d["id"]))
    return found


def _copy(template: tuple[dict, list[dict]], dossier_id: int, unit: dict[str, Any]):
    """The template's row and trail for another unit's dossier: the same events and payloads,
    with what registration records of the unit, and the chain's hashes made anew."""
    row, trail = template
    rows, prev = [], audit.GENESIS
    for r in trail:
        record = {k: v for k, v in r.items() if k != "id"}
        record["dossier_id"] = dossier_id
        if r["seq"] == 1:
            payload = {**jsontext.loads(r["payload"]), replay.RECORDED: replay.recorded(unit, YEAR)}
            record["payload"] = audit.canonical_json(payload)
        record["prev_hash"] = prev
        record["hash"] = prev = audit.row_hash(prev, record)
        rows.append(record)
    place = {c: unit[c] for c in replay.RECORDED_COLUMNS[2:]}
    return {**row, **place, "id": dossier_id, "unit_id": unit["id"], "audit_head": prev}, rows


def seed_trails(engine: Engine, dossiers: int, *, chunk: int = 2000) -> int:
    """Recognised dossiers with complete, valid five-row trails that replay (each a copy of one
    walked through the engine, workflow/replay.py), inserted in bulk; returns the number of audit
    rows."""
    units = _units(engine, dossiers)
    _open_all_year(engine, YEAR)
    templates = _templates(engine, units[:2])
    rest = units[len(templates) :]
    with read_connection(engine) as conn:
        start = conn.execute(select(func.max(table_of(Dossier).c.id))).scalar_one()
    rows = sum(len(trail) for _, trail in templates.values())
    for offset in range(0, len(rest), chunk):
        dossier_rows, trail_rows = [], []
        for i, unit in enumerate(rest[offset : offset + chunk], start=start + offset + 1):
            row, trail = _copy(templates[unit["subject_type"]], i, unit)
            dossier_rows.append(row)
            trail_rows.extend(trail)
        with write_transaction(engine) as conn:
            conn.execute(insert(table_of(Dossier)), dossier_rows)
            conn.execute(insert(table_of(AuditEvent)), trail_rows)
        rows += len(trail_rows)
    with write_transaction(engine) as conn:
        catch_up_sequences(conn, "dossier")
    return rows


def _floor(engine: Engine) -> float:
    with read_connection(engine) as conn:
        t0 = time.perf_counter()
        for table in (AuditEvent, Dossier):
            for _ in conn.execute(select(table_of(table))):
                pass
        return time.perf_counter() - t0


def run(db: str = "sqlite", events: int = 1_000_000, database: str | None = None) -> dict[str, Any]:
    with scratch.database(db, database) as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            rows = seed_trails(engine, max(1, events // 5))
            floor = _floor(engine)
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
        # One process reading every audit row and every dossier once, no check: what verify
        # (chain and replay, over every core) costs beyond reading.
        "floor_events_per_s": round(rows / floor, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
