from workflow import engine as wf
from workflow.registration import register
from tests.factories import build_world


def test_walk_a_kdc_to_recognised(engine):
    w = build_world()
    d = register(w.units["KDC"]["id"], 2026, w.actor("unit", "KDC"))
    assert d["state"] == "registered" and d["version"] == 1
    d = wf.fire(d["id"], "submit_self_score", w.actor("unit", "KDC"), {}, 1)
    d = wf.fire(d["id"], "commune_approve", w.actor("commune_reviewer"), {}, 2)
    d = wf.fire(d["id"], "police_verify", w.actor("police"), {}, 3)
    d = wf.fire(d["id"], "recognise", w.actor("ubnd"), {"decision_no": "12/QĐ-UBND",
                                                         "decision_date": "2026-11-10"}, 4)
    assert d["state"] == "recognised" and d["version"] == 5
