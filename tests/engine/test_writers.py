"""Writers of one process take turns on SQLite through a Python lock (woken the moment it frees,
never left sleeping in SQLite's busy handler); on Postgres they do not wait for each other."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from states.lifecycle import State
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow import db
from workflow import engine as wf


def _hold_a_write(engine, started: threading.Event, release: threading.Event) -> threading.Thread:
    def run():
        with db.write_transaction(engine):
            started.set()
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    return thread


def test_a_second_writer_waits_for_the_first_on_sqlite_only(engine):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    started, release = threading.Event(), threading.Event()
    holder = _hold_a_write(engine, started, release)
    done = threading.Event()
    outcome: list[object] = []

    def fire():
        try:
            outcome.append(
                wf.fire(
                    d["id"], "commune_approve", world.actor("commune_reviewer"), {}, d["version"]
                )
            )
        finally:
            done.set()

    writer = threading.Thread(target=fire)
    writer.start()
    finished_while_held = done.wait(0.5)
    release.set()
    holder.join(10)
    writer.join(10)
    assert finished_while_held is (not db.is_sqlite(engine))
    assert outcome and outcome[0]["state"] == "commune_reviewed"


def test_a_turn_not_given_in_time_is_a_database_is_locked_error(engine, monkeypatch):
    monkeypatch.setattr(db, "WRITER_WAIT_S", 0.2)
    started, release = threading.Event(), threading.Event()
    holder = _hold_a_write(engine, started, release)
    t0 = time.perf_counter()
    try:
        if db.is_sqlite(engine):
            with (
                pytest.raises(OperationalError, match="database is locked"),
                db.write_transaction(engine),
            ):
                pass
            assert time.perf_counter() - t0 < 5
        else:
            with db.write_transaction(engine) as conn:  # Postgres: no turn to wait for
                assert conn.in_transaction()
    finally:
        release.set()
        holder.join(10)


def test_a_write_transaction_that_fails_writes_nothing_and_gives_up_its_turn(engine):
    """The writes of a transaction land together or not at all, on both databases, and a failed
    one does not keep the next writer waiting."""
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    with pytest.raises(RuntimeError, match="midway"), db.write_transaction(engine) as conn:
        conn.exec_driver_sql(f"UPDATE dossier SET last_reason = 'half' WHERE id = {d['id']:d}")
        raise RuntimeError("midway")
    assert wf.get(d["id"])["last_reason"] is None
    other = threading.Thread(target=lambda: _write_once(engine, d["id"]))
    other.start()
    other.join(5)
    assert not other.is_alive()  # the turn was given back at once
    assert wf.get(d["id"])["last_reason"] == "whole"


def _write_once(engine, dossier_id: int) -> None:
    with db.write_transaction(engine) as conn:
        conn.exec_driver_sql(f"UPDATE dossier SET last_reason = 'whole' WHERE id = {dossier_id:d}")
