"""The answer to a change is made JSON-ready by hand (api/present.py::render, on the hot path);
it must be exactly what validating ``DossierOut`` would give, in every state and for every kind
of unit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.present import render, render_checked
from states.lifecycle import Event, State
from tests.engine.helpers import authorised_actor, payload_for, walk
from tests.factories import build_world
from workflow import engine as wf
from workflow.db import read_connection

WALKED = [
    State.REGISTERED,
    State.SELF_SCORED,
    State.COMMUNE_REVIEWED,
    State.POLICE_VERIFIED,
    State.RECOGNISED,
]


@pytest.mark.parametrize("kind", ["KDC", "CQ", "DN"])
def test_render_equals_the_validated_schema_in_every_state(engine, kind):
    world = build_world()
    unit, rep = world.units[kind], world.actor("unit", kind)
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    for state in WALKED:
        d = walk(world, unit, rep, state) if state is State.REGISTERED else d
        if state is not State.REGISTERED:
            event = {
                State.SELF_SCORED: Event.SUBMIT_SELF_SCORE,
                State.COMMUNE_REVIEWED: Event.COMMUNE_APPROVE,
                State.POLICE_VERIFIED: Event.POLICE_VERIFY,
                State.RECOGNISED: Event.RECOGNISE,
            }[state]
            d = wf.fire(
                d["id"],
                event,
                authorised_actor(world, d, event, rep),
                payload_for(event, d),
                d["version"],
            )
        with read_connection() as conn:
            assert render(conn, d, now) == render_checked(conn, d, now), state


def test_render_equals_the_validated_schema_when_withdrawn(engine):
    world = build_world()
    rep = world.actor("unit", "KDC")
    d = walk(world, world.units["KDC"], rep, State.SELF_SCORED)
    d = wf.fire(d["id"], Event.WITHDRAW, rep, {}, d["version"])
    with read_connection() as conn:
        assert render(conn, d) == render_checked(conn, d)
        assert render(conn, d)["withdrawn_at"].endswith("Z")
