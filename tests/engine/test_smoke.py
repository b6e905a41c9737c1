from states import examples
from tests.engine.helpers import registration_time
from tests.factories import build_world
from workflow import engine as wf
from workflow.registration import register


def test_walk_a_kdc_to_recognised(engine):
    w = build_world()
    d = register(
        w.units["KDC"]["id"],
        2026,
        w.actor("unit", "KDC"),
        examples.registration_payload("KDC"),
        now=registration_time(2026),
    )
    assert d["state"] == "registered" and d["version"] == 1
    d = wf.fire(
        d["id"],
        "submit_self_score",
        w.actor("unit", "KDC"),
        examples.example("submit_self_score", "KDC"),
        1,
    )
    d = wf.fire(
        d["id"],
        "commune_approve",
        w.actor("commune_reviewer"),
        examples.example("commune_approve", "KDC"),
        2,
    )
    d = wf.fire(
        d["id"], "police_verify", w.actor("police"), examples.example("police_verify", "KDC"), 3
    )
    d = wf.fire(
        d["id"],
        "recognise",
        w.actor("ubnd"),
        examples.example("recognise", "KDC"),
        4,
    )
    assert d["state"] == "recognised" and d["version"] == 5
    assert d["verified_assessment"] == d["assessment"]  # the police took the unit's answers
    assert d["classification"] is None  # a KDC has no 100-point table
