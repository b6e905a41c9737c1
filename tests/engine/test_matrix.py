"""Every event x every state x every role x own/other territory gives exactly the table's answer.

The expected answer is written from the issue's words (tests/engine/authority_table.py), not
read back from the engine; each event's step is the one the lifecycle table declares (pinned to
the issue's words for today's events below), so a new event needs no line here.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
import time_machine

from states.lifecycle import TRANSITION_BY_EVENT, Event, State
from tests.engine.authority_table import ACTORS, ISSUE_STEP, STEP_NAME, actors_of, expected
from tests.engine.helpers import enable_revocation, payload_for, walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import Forbidden, NotFound, TransitionNotAllowed


def test_the_table_puts_each_event_at_the_step_the_issue_names():
    assert {e: STEP_NAME[TRANSITION_BY_EVENT[e].step] for e in ISSUE_STEP} == ISSUE_STEP


@pytest.mark.parametrize("variant", ["KDC", "CQ_commune", "CQ", "XA"])
# The fresh dossiers take years from 2030 on; a decision is dated in its dossier's year and not
# after today (issue 15), so the test decides them from a later day.
@time_machine.travel(datetime(2100, 12, 1, 3, 0, tzinfo=UTC), tick=True)
def test_every_event_state_role_and_territory(engine, variant):
    world = build_world()
    unit = world.units[variant]
    rep = world.actor("unit", variant)
    actors = actors_of(world, variant)
    years = itertools.count(2030)
    enable_revocation(year=2030)

    def fresh(state: State):
        year = next(years)
        enable_revocation(year=year)
        return walk(world, unit, rep, state, year)

    outcomes = {"ok": 0, "forbidden": 0, "not_allowed": 0, "not_found": 0}
    for state in State:
        shared = fresh(state)
        for event, who in itertools.product(Event, ACTORS):
            want = expected(state, event, who, unit["managing_level"])
            outcomes[want] += 1
            target = fresh(state) if want == "ok" else shared
            try:
                result = wf.fire(
                    target["id"], event, actors[who], payload_for(event, target), target["version"]
                )
                got = "ok"
                assert result["state"] == TRANSITION_BY_EVENT[event].dest.value
            except Forbidden:
                got = "forbidden"
            except NotFound:
                got = "not_found"
            except TransitionNotAllowed as e:
                got = "not_allowed"
                assert set(e.allowed) == {
                    ev.value for ev in Event if state in TRANSITION_BY_EVENT[ev].sources
                }
            assert got == want, f"{variant} {state.value} {event.value} by {who}: {got} != {want}"
        # nothing the refused calls did left a trace on the shared dossier
        after = wf.get(shared["id"])
        assert (after["state"], after["version"], after["audit_seq"]) == (
            shared["state"],
            shared["version"],
            shared["audit_seq"],
        )
    assert all(outcomes.values())
    with read_connection() as conn:
        checked, findings = audit.verify(conn)
    assert checked > 0 and findings == []
