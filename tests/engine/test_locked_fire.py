"""``fire`` decides under the dossier's row lock, in one transaction: whatever else wants to
write the dossier meanwhile (another fire, the deadline clock's sweep) waits for it or passes
it by, and lands after it on the new version, never beside it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from scheduler.sweep import sweep
from states.lifecycle import State
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import VersionConflict


@pytest.fixture
def while_deciding(monkeypatch):
    """Start ``meddle`` in another thread during the first decision, give it a moment to run
    into the lock, and let the decision go on; returns the thread to join."""
    started: list[threading.Thread] = []

    def install(meddle):
        decide = wf._decide

        def deciding(conn, dossier, move):
            if not started:
                thread = threading.Thread(target=meddle)
                started.append(thread)
                thread.start()
                thread.join(0.3)  # it waits on the lock (or passes the locked row by)
            return decide(conn, dossier, move)

        monkeypatch.setattr(wf, "_decide", deciding)
        return started

    return install


def _events(dossier_id: int) -> list[str]:
    with read_connection() as conn:
        assert audit.verify(conn, dossier_id)[1] == []
        return [r["event"] for r in audit.trail(conn, dossier_id)]


def test_a_sweep_meanwhile_lands_after_the_fire_not_beside_it(engine, while_deciding):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    swept: list[int] = []
    started = while_deciding(
        lambda: swept.append(sweep(now=datetime(2026, 12, 31, tzinfo=UTC)).escalated)
    )
    after = wf.fire(d["id"], "commune_approve", world.actor("commune_reviewer"), {}, d["version"])
    started[0].join(30)
    assert (after["state"], after["version"]) == ("commune_reviewed", d["version"] + 1)
    events = _events(d["id"])
    # Nothing was written between the read and the approval: an escalation, if any, is of the
    # step the approval opened.
    assert "escalate" not in events[: events.index("commune_approve")]
    assert events.count("commune_approve") == 1
    assert wf.get(d["id"])["audit_seq"] == len(events)


def test_a_fire_meanwhile_waits_and_gets_a_version_conflict(engine, while_deciding):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    reviewer = world.actor("commune_reviewer")
    lost: list[BaseException] = []

    def second() -> None:
        try:
            wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"], request_id="second")
        except VersionConflict as err:
            lost.append(err)

    started = while_deciding(second)
    won = wf.fire(d["id"], "commune_approve", reviewer, {}, d["version"], request_id="first")
    started[0].join(30)
    assert won["version"] == d["version"] + 1
    assert len(lost) == 1 and lost[0].current == d["version"] + 1
    assert _events(d["id"]).count("commune_approve") == 1
    with read_connection() as conn:
        assert [r["request_id"] for r in audit.trail(conn, d["id"])][-1] == "first"
