"""The authority table written from the issue's words (which role acts at each step, which level
acts for a commune- or province-managed unit), not read back from the engine: the expected
answer of every (state, event, actor, managing level), for the engine's matrix and the HTTP one.
"""

from __future__ import annotations

from states.lifecycle import TRANSITION_BY_EVENT, Event, State, Step
from tests.factories import World
from workflow.actors import Actor

# The issue's words for the events it named; return_for_revision belongs to the current step.
ISSUE_STEP = {
    Event.SUBMIT_SELF_SCORE: "unit",
    Event.WITHDRAW: "unit",
    Event.COMMUNE_APPROVE: "review",
    Event.POLICE_VERIFY: "verify",
    Event.RECOGNISE: "decide",
    Event.REJECT: "decide",
    Event.REVOKE: "decide",
    Event.RETURN_FOR_REVISION: "current",
}
STEP_NAME = {
    Step.SELF_ASSESS: "unit",
    Step.REVIEW: "review",
    Step.VERIFY: "verify",
    Step.DECIDE: "decide",
    Step.CURRENT: "current",
}
CURRENT_STEP = {
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
    named = STEP_NAME[TRANSITION_BY_EVENT[event].step]
    # Someone who never acts on this event is refused before learning the dossier's state.
    if named == "current":
        ever = any(_holds(who, s, managing) for s in set(CURRENT_STEP.values()))
    else:
        ever = _holds(who, named, managing)
    if not ever:
        return "forbidden"
    if state not in TRANSITION_BY_EVENT[event].sources:
        return "not_allowed"
    step = CURRENT_STEP[state] if named == "current" else named
    return "ok" if _holds(who, step, managing) else "forbidden"


def actors_of(world: World, variant: str) -> dict[tuple[str, str], Actor]:
    """Each of ACTORS in ``world`` for a dossier of the unit ``variant``: the unit's own
    representative, another unit's, and the officials of each place."""
    own = world.actor("unit", variant)
    other = world.actor("unit", "other_KDC")
    return {
        who: own
        if who == ("unit", "own")
        else other
        if who == ("unit", "other")
        else world.actor(*who)
        for who in ACTORS
    }
