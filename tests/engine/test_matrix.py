"""Every event x every state x every role x own/other territory gives exactly the table's answer.

The expected answer is written here from the issue's words (which step each event belongs to,
which level acts for a commune- or province-managed unit), not read back from the engine.
"""

from __future__ import annotations

import itertools

import pytest

from states.lifecycle import TRANSITION_BY_EVENT, Event, State
from tests.engine.helpers import enable_revocation, payload_for, walk
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import Forbidden, NotFound, TransitionNotAllowed

EVENT_STEP = {
    Event.SUBMIT_SELF_SCORE: "unit",
    Event.WITHDRAW: "unit",
    Event.COMMUNE_APPROVE: "review",
    Event.POLICE_VERIFY: "verify",
    Event.RECOGNISE: "decide",
    Event.REJECT: "decide",
    Event.REVOKE: "decide",
}
RETURN_STEP = {
    State.SELF_SCORED: "review",
    State.COMMUNE_REVIEWED: "verify",
    State.POLICE_VERIFIED: "decide",
}
STEP_ROLE = {"unit": "unit", "review": "commune_reviewer", "verify": "police", "decide": "ubnd"}
LEVEL = {
    "commune": {"review": "commune", "verify": "commune", "decide": "commune"},
    "province": {"review": "commune", "verify": "province", "decide": "province"},
}
ACTORS = [
    ("unit", "own"),
    ("unit", "other"),
    ("commune_reviewer", "own"),
    ("commune_reviewer", "other"),
    ("commune_reviewer", "other_province"),
    ("police", "own"),
    ("police", "other"),
    ("police", "province"),
    ("police", "other_province"),
    ("ubnd", "own"),
    ("ubnd", "other"),
    ("ubnd", "province"),
    ("ubnd", "other_province"),
    ("province_admin", "province"),
    ("auditor", "own"),
    ("auditor", "province"),
]


def _holds(who: tuple[str, str], step: str, managing: str) -> bool:
    role, where = who
    if role != STEP_ROLE[step]:
        return False
    if step == "unit":
        return where == "own"
    return where == ("own" if LEVEL[managing][step] == "commune" else "province")


def expected(state: State, event: Event, who: tuple[str, str], managing: str) -> str:
    # Outside the territory (another unit, commune or province): as if the dossier did not exist.
    if who[1] in ("other", "other_province"):
        return "not_found"
    # Someone who never acts on this event is refused before learning the dossier's state.
    if event is Event.RETURN_FOR_REVISION:
        ever = any(_holds(who, s, managing) for s in set(RETURN_STEP.values()))
    else:
        ever = _holds(who, EVENT_STEP[event], managing)
    if not ever:
        return "forbidden"
    if state not in TRANSITION_BY_EVENT[event].sources:
        return "not_allowed"
    step = RETURN_STEP[state] if event is Event.RETURN_FOR_REVISION else EVENT_STEP[event]
    return "ok" if _holds(who, step, managing) else "forbidden"


@pytest.mark.parametrize("variant", ["KDC", "CQ_commune", "CQ", "XA"])
def test_every_event_state_role_and_territory(engine, variant):
    world = build_world()
    unit = world.units[variant]
    rep = world.actor("unit", variant)
    actors = {
        who: (
            rep
            if who == ("unit", "own")
            else world.actor("unit", "other_KDC")
            if who == ("unit", "other")
            else world.actor(*who)
        )
        for who in ACTORS
    }
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
