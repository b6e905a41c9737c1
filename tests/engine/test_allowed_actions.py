import pytest

from states.lifecycle import Event, State
from tests.engine.helpers import payload_for, walk
from tests.factories import build_world
from workflow import engine as wf
from workflow.errors import NotFound


def test_each_event_is_allowed_or_says_why(engine):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    view = {a["event"]: a for a in wf.allowed_actions(d["id"], world.actor("commune_reviewer"))}
    assert set(view) == {e.value for e in Event}
    assert view["commune_approve"]["allowed"] and view["return_for_revision"]["allowed"]
    assert view["return_for_revision"]["requires"] == ["reason"]
    assert not view["reject"]["allowed"] and "ubnd" in view["reject"]["reasons"][0]
    assert not view["recognise"]["allowed"] and "self_scored" in view["recognise"]["reasons"][0]
    # outside the territory the dossier is not found: no actions, no reasons
    with pytest.raises(NotFound):
        wf.allowed_actions(d["id"], world.actor("commune_reviewer", "other"))
    # the unit may withdraw; after one return the reviewer may not return again
    unit_view = {a["event"]: a for a in wf.allowed_actions(d["id"], world.actor("unit", "KDC"))}
    assert unit_view["withdraw"]["allowed"]
    d = wf.fire(
        d["id"], "return_for_revision", world.actor("commune_reviewer"), {"reason": "bổ sung"}, 2
    )
    d = wf.fire(
        d["id"],
        "submit_self_score",
        world.actor("unit", "KDC"),
        payload_for("submit_self_score", d),
        3,
    )
    again = {a["event"]: a for a in wf.allowed_actions(d["id"], world.actor("commune_reviewer"))}
    assert not again["return_for_revision"]["allowed"]
    assert "already returned" in again["return_for_revision"]["reasons"][0]
