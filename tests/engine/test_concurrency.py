"""Sixteen threads fire the same event at one dossier: exactly one wins, the rest get typed
conflicts, and the trail holds one row for it."""

from __future__ import annotations

import threading

from states.lifecycle import State
from tests.engine.helpers import payload_for, walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import TransitionNotAllowed, VersionConflict

THREADS = 16


def race(fn):
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - the test inspects every outcome
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_same_event_same_version_one_winner(engine):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    reviewer = world.actor("commune_reviewer")
    results = race(
        lambda i: wf.fire(
            d["id"], "commune_approve", reviewer, {}, d["version"], request_id=f"thread-{i}"
        )
    )
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if not isinstance(r, dict)]
    assert len(wins) == 1, results
    assert all(isinstance(r, VersionConflict) and r.current == d["version"] + 1 for r in losses), (
        losses
    )
    after = wf.get(d["id"])
    assert (after["state"], after["version"]) == ("commune_reviewed", d["version"] + 1)
    with read_connection() as conn:
        rows = audit.trail(conn, d["id"])
        assert [r["event"] for r in rows].count("commune_approve") == 1
        assert audit.verify(conn, d["id"])[1] == []


def test_different_events_racing_still_one_history(engine):
    """Reject and return race from the UBND's and the police's desks without a version check
    advantage: each reads the current version first, then fires."""
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.POLICE_VERIFIED)
    ubnd = world.actor("ubnd")
    events = ("recognise", "reject", "return_for_revision", "withdraw")
    payloads = {event: payload_for(event, d) for event in events}  # built before the race

    def act(i):
        event = events[i % 4]
        actor = world.actor("unit", "KDC") if event == "withdraw" else ubnd
        return wf.fire(d["id"], event, actor, payloads[event], d["version"])

    results = race(act)
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1
    assert all(
        isinstance(r, (VersionConflict, TransitionNotAllowed))
        for r in results
        if not isinstance(r, dict)
    )
    with read_connection() as conn:
        assert audit.verify(conn, d["id"])[1] == []
        assert len(audit.trail(conn, d["id"])) == d["audit_seq"] + 1
