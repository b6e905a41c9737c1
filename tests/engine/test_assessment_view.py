"""The dossier's answers, points and class side by side, as the API will show them."""

from __future__ import annotations

from states import examples
from states.lifecycle import Event, State
from tests.engine.helpers import authorised_actor, payload_for, walk
from tests.factories import build_world
from workflow import assessment_view
from workflow import engine as wf


def step(world, d, event, rep, payload=None):
    actor = authorised_actor(world, d, event, rep)
    return wf.fire(
        d["id"], event, actor, payload_for(event, d) if payload is None else payload, d["version"]
    )


def test_self_and_verified_answers_and_points_side_by_side(engine):
    world = build_world()
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    d = walk(world, unit, rep, State.REGISTERED)
    empty = assessment_view.view(d["id"])
    assert all(c["self"] is None and c["met"] is None for c in empty["criteria"])
    assert empty["self_total"] is None and empty["classification"] is None

    exempted = {
        "happened": True,
        "exemption": {"kind": "detected_and_reported", "note": "Báo Công an ngay trong ngày"},
    }
    own = payload_for(Event.SUBMIT_SELF_SCORE, d)
    own["assessment"]["answers"]["NEG-5"] = exempted
    d = step(world, d, Event.SUBMIT_SELF_SCORE, rep, own)
    d = step(world, d, Event.COMMUNE_APPROVE, rep)
    police = {
        "assessment": examples.assessment("DN"),
        "scores": examples.score_sheet(short={"7": 2, "5a": 1}),
    }
    police["assessment"]["answers"]["NEG-5"] = exempted
    police["assessment"]["answers"]["PCT-1"] = {"numerator": 6, "denominator": 8}
    d = step(world, d, Event.POLICE_VERIFY, rep, police)
    d = step(world, d, Event.RECOGNISE, rep)

    view = assessment_view.view(d["id"])
    rows = {c["id"]: c for c in view["criteria"]}
    assert [c["id"] for c in view["criteria"]][:2] == ["REG-1", "REG-2"]
    assert view["criteria_total"] == len(rows) == view["criteria_met"]
    neg5 = rows["NEG-5"]
    assert (neg5["kind"], neg5["self"], neg5["verified"], neg5["met"], neg5["judged_on"]) == (
        "NEG",
        exempted,
        exempted,
        True,
        "verified",
    )
    assert "exempted" in neg5["detail_en"] and neg5["label_vi"].startswith("Tội phạm nghiêm trọng")
    pct = rows["PCT-1"]
    assert pct["self"] == {"numerator": 8, "denominator": 8}
    assert pct["verified"] == {"numerator": 6, "denominator": 8} and pct["met"] is True
    assert "6/8" in pct["detail_vi"] and "at least 6 of 8 needed (70%)" in pct["detail_en"]

    items = {s["id"]: s for s in view["scores"]}
    assert (items["7"]["self"], items["7"]["verified"], items["7"]["max"]) == (10, 8, 10)
    assert (items["5a"]["verified"], items["5"]["verified"], items["5a"]["parent"]) == (1, 13, "5")
    assert items["8c"]["granted_on_recognition"] and items["8c"]["verified"] == 50
    assert (view["self_total"], view["verified_total"], view["max_total"]) == (100, 97, 100)
    assert view["total_score"] == 97.0
    assert view["classification"] == {
        "id": "xuat_sac",
        "label_vi": "Xuất sắc",
        "label_en": "Excellent",
    }


def test_a_residential_area_has_no_score_table(engine):
    world = build_world()
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.COMMUNE_REVIEWED)
    view = assessment_view.view(d["id"])
    assert view["scores"] is None and view["total_score"] is None
    assert all(c["judged_on"] == "self" and c["met"] for c in view["criteria"])
