"""The background checkpointer copies the log back while writers go on, and does nothing where
there is nothing to do."""

from __future__ import annotations

import time

from sqlalchemy import event

from states.lifecycle import State
from tests.conftest import ON_POSTGRES
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow import checkpointer, db


def _wait_for(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_writes_are_copied_back_by_the_checkpointer_not_the_writer(engine, tmp_path):
    if ON_POSTGRES:
        with checkpointer.checkpointing(engine) as running:
            assert running is None  # Postgres checkpoints on its own
        return
    # A writer that never checkpoints itself: whatever is copied back, the thread copied.
    quiet = db.make_engine(str(engine.url))

    @event.listens_for(quiet, "connect")
    def _no_auto_checkpoint(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    db.set_engine(quiet)
    with checkpointer.checkpointing(quiet, interval=0.01) as running:
        assert running is not None
        world = build_world()
        walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.RECOGNISED)
        # (busy, frames in the log, frames copied): every frame written is copied back.
        assert _wait_for(
            lambda: (
                running.last is not None
                and running.last[1] > 0
                and running.last[2] == running.last[1]
            )
        )
        # The writers go on while it runs.
        walk(world, world.units["DN"], world.actor("unit", "DN"), State.SELF_SCORED)
    assert not running._thread.is_alive()
    quiet.dispose()


def test_an_in_memory_database_has_nothing_to_checkpoint():
    memory = db.make_engine("sqlite://")
    with checkpointer.checkpointing(memory) as running:
        assert running is None
    memory.dispose()


def test_a_failing_checkpoint_is_logged_once_and_retried(tmp_path, caplog):
    target = tmp_path / "gone" / "x.db"  # a directory that does not exist: cannot be opened
    running = checkpointer.Checkpointer(str(target), interval=0.01)
    running.start()
    time.sleep(0.1)
    running.stop()
    assert running.runs == 0 and not target.exists()  # nothing created in its place
    warnings = [r for r in caplog.records if "background checkpoint" in r.getMessage()]
    assert len(warnings) == 1 and "unable to open" in warnings[0].getMessage()
