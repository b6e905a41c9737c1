"""The engine judges each dossier by its pinned rule set: a disqualifying answer is refused at the
right step with the criterion named, a valid exemption passes, the class is fixed at the
decision, and registration keeps to the rule set's window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from states import examples
from states.lifecycle import Event, State
from states.rulesets import Policy, RegistrationWindow, RuleSet
from tests.engine.helpers import YEAR, authorised_actor, payload_for, registration_time, walk
from tests.factories import PROVINCE, build_world
from workflow import engine as wf
from workflow import rulesets
from workflow.db import write_transaction
from workflow.errors import GuardFailed
from workflow.registration import register


@pytest.fixture
def world(engine):
    return build_world()


def step(world, d, event, rep, payload=None):
    """Fire ``event`` as the authority the map names, with ``payload`` or the valid default."""
    event = Event(event)
    actor = authorised_actor(world, d, event, rep)
    return wf.fire(
        d["id"], event, actor, payload_for(event, d) if payload is None else payload, d["version"]
    )


def refused(world, d, event, rep, payload=None) -> list[str]:
    with pytest.raises(GuardFailed) as e:
        step(world, d, event, rep, payload)
    after = wf.get(d["id"])
    assert (after["state"], after["version"]) == (d["state"], d["version"])  # nothing written
    return e.value.reasons


def actions(d, actor) -> dict[str, dict]:
    return {a["event"]: a for a in wf.allowed_actions(d["id"], actor)}


def submitted(world, key, change) -> tuple[dict, object]:
    """A dossier of ``world.units[key]`` submitted with the valid self-assessment changed by
    ``change(answers)``."""
    unit, rep = world.units[key], world.actor("unit", key)
    d = walk(world, unit, rep, State.REGISTERED)
    payload = payload_for(Event.SUBMIT_SELF_SCORE, d)
    change(payload["assessment"]["answers"])
    return step(world, d, Event.SUBMIT_SELF_SCORE, rep, payload), rep


# --- a disqualifying event, refused at the right step --------------------------------------------


def test_an_unexempted_neg_is_refused_at_commune_review_with_the_criterion_named(world):
    d, rep = submitted(world, "KDC", lambda a: a.update({"NEG-9": {"happened": True}}))
    reasons = refused(world, d, Event.COMMUNE_APPROVE, rep)
    assert reasons[0].startswith("Tiêu chí NEG-9 (")
    assert "happened with no exemption" in reasons[0]
    assert "return it for revision" in reasons[-1]
    # the reviewer sees why before trying; returning and rejecting stay open
    view = actions(d, world.actor("commune_reviewer"))
    assert not view["commune_approve"]["allowed"]
    assert "NEG-9" in view["commune_approve"]["reasons"][0]
    assert view["return_for_revision"]["allowed"]
    assert actions(d, world.actor("ubnd"))["reject"]["allowed"]
    d = step(world, d, Event.REJECT, rep)
    assert d["state"] == "rejected" and d["classification"] is None


def test_a_valid_exemption_passes_to_recognition(world):
    exempted = {
        "happened": True,
        "exemption": {
            "kind": "detected_and_reported",
            "note": "Phát hiện ngày 3/5, báo Công an xã ngay",
        },
    }
    d, rep = submitted(world, "KDC", lambda a: a.update({"NEG-9": exempted}))
    for event in (Event.COMMUNE_APPROVE, Event.POLICE_VERIFY, Event.RECOGNISE):
        d = step(world, d, event, rep)
    assert d["state"] == "recognised"
    assert d["verified_assessment"]["answers"]["NEG-9"] == exempted


@pytest.mark.parametrize(
    "answer,fragment",
    [
        (
            {"happened": True, "exemption": {"kind": "force_majeure", "note": "Bão số 5"}},
            "admits no exemption",
        ),
        ({"happened": True, "exemption": {"kind": "force_majeure"}}, "needs a note"),
    ],
)
def test_an_exemption_the_criterion_does_not_allow_is_refused_at_submission(
    world, answer, fragment
):
    unit, rep = world.units["KDC"], world.actor("unit", "KDC")
    d = walk(world, unit, rep, State.REGISTERED)
    payload = payload_for(Event.SUBMIT_SELF_SCORE, d)
    cid = "NEG-1" if fragment == "admits no exemption" else "NEG-11"
    payload["assessment"]["answers"][cid] = answer
    reasons = refused(world, d, Event.SUBMIT_SELF_SCORE, rep, payload)
    (reason,) = reasons
    assert reason.startswith(f"Tiêu chí {cid} (") and fragment in reason


def test_a_failed_ratio_is_refused_at_commune_review_with_its_numbers(world):
    d, rep = submitted(
        world, "KDC", lambda a: a.update({"PCT-1": {"numerator": 119, "denominator": 120}})
    )
    (reason, _) = refused(world, d, Event.COMMUNE_APPROVE, rep)
    assert reason.startswith("Tiêu chí PCT-1 (") and "119/120" in reason and "1 short" in reason


def test_the_police_verification_refuses_a_disqualifying_verified_answer(world):
    key = "CQ_commune"
    unit, rep = world.units[key], world.actor("unit", key)
    d = walk(world, unit, rep, State.COMMUNE_REVIEWED)
    payload = payload_for(Event.POLICE_VERIFY, d)
    payload["assessment"] = examples.assessment("CQ")
    payload["assessment"]["answers"]["FORCE-1"] = {"met": False, "note": "1 bảo vệ bị kỷ luật"}
    reasons = refused(world, d, Event.POLICE_VERIFY, rep, payload)
    assert reasons[0].startswith("Tiêu chí FORCE-1 (") and "not met" in reasons[0]
    # an incomplete verified assessment is named as the police's
    del payload["assessment"]["answers"]["NEG-4"]
    payload["assessment"]["answers"]["FORCE-1"] = {"met": True}
    (reason,) = refused(world, d, Event.POLICE_VERIFY, rep, payload)
    assert reason.startswith("Kết quả thẩm định / verified assessment: Tiêu chí NEG-4")
    # the superior's score sheet is required for an agency
    payload = payload_for(Event.POLICE_VERIFY, d)
    del payload["scores"]
    (reason,) = refused(world, d, Event.POLICE_VERIFY, rep, payload)
    assert "superior's score sheet" in reason


def test_an_unmet_registration_criterion_is_refused_at_the_decision(world):
    d, rep = submitted(world, "DN", lambda a: a.update({"REG-2": {"met": False}}))
    d = step(world, d, Event.COMMUNE_APPROVE, rep)  # REG and POS are judged at the decision
    d = step(world, d, Event.POLICE_VERIFY, rep)
    ubnd = world.actor("ubnd", "province")
    view = actions(d, ubnd)
    assert not view["recognise"]["allowed"]
    assert view["recognise"]["reasons"][0].startswith("Tiêu chí REG-2 (")
    assert view["recognise"]["requires"] == ["decision_no", "decision_date"]
    (reason,) = refused(world, d, Event.RECOGNISE, rep)
    assert reason.startswith("Tiêu chí REG-2 (")
    # the People's Committee rejects it: the class comes from the superior's sheet with 8c = 0
    d = step(world, d, Event.REJECT, rep)
    assert d["state"] == "rejected"
    assert (d["total_score"], d["classification"]) == (50.0, "trung_binh")
    assert d["verified_scores"]["8c"] == 0 and d["verified_scores"]["8"] == 3


# --- what the unit must submit -------------------------------------------------------------------


def test_submission_needs_assessment_score_sheet_and_papers(world):
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    d = walk(world, unit, rep, State.REGISTERED)
    reasons = refused(world, d, Event.SUBMIT_SELF_SCORE, rep, {})
    assert "('assessment') is required" in reasons[0] and "REG-1" in reasons[0]
    assert "self-score sheet on the 100-point table ('scores') is required" in reasons[1]
    assert [r.split("(")[-1] for r in reasons[2:]] == ["to_trinh)", "bao_cao)", "bien_ban)"]
    view = actions(d, rep)
    assert view["submit_self_score"]["allowed"]  # payload guards wait for the payload
    assert view["submit_self_score"]["requires"] == ["assessment", "scores", "papers"]


def test_submission_names_every_bad_score_item(world):
    unit, rep = world.units["CSGD"], world.actor("unit", "CSGD")
    d = walk(world, unit, rep, State.REGISTERED)
    payload = payload_for(Event.SUBMIT_SELF_SCORE, d)
    payload["scores"].update({"9": 4, "4a": 0, "5dd": "hai"})
    payload["papers"]["bien_ban"] = {"name": "Biên bản"}
    reasons = refused(world, d, Event.SUBMIT_SELF_SCORE, rep, payload)
    assert any(r.startswith("Mục 9 (") and "above the maximum of 3" in r for r in reasons)
    assert any(r.startswith("Mục 5đ (") and "not a number" in r for r in reasons)
    assert any(r.startswith("Mục 4 (") and "sub-items add up to 4, not 5" in r for r in reasons)
    assert any("Meeting minutes: a number or reference is needed" in r for r in reasons)
    assert len(reasons) == 4


def test_a_residential_area_sends_no_score_sheet(world):
    unit, rep = world.units["KDC"], world.actor("unit", "KDC")
    d = walk(world, unit, rep, State.REGISTERED)
    payload = payload_for(Event.SUBMIT_SELF_SCORE, d)
    payload["scores"] = examples.score_sheet()
    (reason,) = refused(world, d, Event.SUBMIT_SELF_SCORE, rep, payload)
    assert "KDC is not scored on the 100-point table" in reason
    assert actions(d, rep)["submit_self_score"]["requires"] == ["assessment", "papers"]


# --- the class is fixed at the decision --------------------------------------------------------

LEAVES = [
    "1",
    "2",
    "3",
    "4a",
    "4b",
    "4c",
    "4d",
    "5a",
    "5b",
    "5c",
    "5d",
    "5dd",
    "5e",
    "5g",
    "6a",
    "6b",
    "7",
    "8a",
    "8b",
    "9",
]  # everything but 8c: 50 points


def sheet_totalling(total: float, item_8c: int = 50) -> dict:
    """The superior's sheet with ``total`` points, 8c as given (its parent re-added)."""
    from states.scoring import MOVEMENT_TABLE

    maxima = {i.id: i.max_points for i in MOVEMENT_TABLE.printed_order}
    left, short = 100 - total, {}
    for leaf in LEAVES:
        take = min(maxima[leaf], left)
        if take:
            short[leaf] = take
        left -= take
    short["8c"] = 50 - item_8c
    return examples.score_sheet(short=short)


def verified_dn(world, scores: dict) -> tuple[dict, object]:
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    d = walk(world, unit, rep, State.COMMUNE_REVIEWED)
    return step(world, d, Event.POLICE_VERIFY, rep, {"scores": scores}), rep


@pytest.mark.parametrize(
    "total,cls",
    [
        (100, "xuat_sac"),
        (90, "xuat_sac"),
        (89.5, "kha"),
        (70, "kha"),
        (69.5, "trung_binh"),
        (50, "trung_binh"),
    ],
)
def test_recognition_fixes_the_class_from_the_superiors_sheet(world, total, cls):
    d, rep = verified_dn(world, sheet_totalling(total))
    d = step(world, d, Event.RECOGNISE, rep)
    assert (d["total_score"], d["classification"]) == (total, cls)
    assert wf.get(d["id"])["classification"] == cls


def test_recognition_grants_8c_whatever_the_superior_anticipated(world):
    d, rep = verified_dn(world, sheet_totalling(80, item_8c=0))  # 30 points on the sheet
    assert d["verified_scores"]["8c"] == 0
    d = step(world, d, Event.RECOGNISE, rep)
    assert d["verified_scores"]["8c"] == 50 and d["verified_scores"]["8"] == 53
    assert (d["total_score"], d["classification"]) == (80, "kha")


@pytest.mark.parametrize("total,cls", [(100, "trung_binh"), (99, "yeu"), (60, "yeu")])
def test_rejection_after_verification_classes_without_8c(world, total, cls):
    d, rep = verified_dn(world, sheet_totalling(total))
    d = step(world, d, Event.REJECT, rep)
    assert (d["total_score"], d["classification"]) == (total - 50, cls)


def test_a_return_discards_the_verification(world):
    d, rep = verified_dn(world, sheet_totalling(95))
    d = step(world, d, Event.RETURN_FOR_REVISION, rep)
    assert d["verified_assessment"] is None and d["verified_scores"] is None
    assert d["assessment"] is not None and d["self_scores"] is not None
    d = step(world, d, Event.SUBMIT_SELF_SCORE, rep)
    d = step(world, d, Event.REJECT, rep)  # before any new verification: no class
    assert d["classification"] is None and d["total_score"] is None


# --- registration keeps to the window, a residential area to its households -----------------------


def at(y, m, d, hh=2, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment,ok",
    [
        (at(YEAR, 1, 1, 0, 0), True),  # 07:00 on 1 January in Vietnam
        (at(YEAR - 1, 12, 31, 17, 0), True),  # already 1 January in Vietnam
        (at(YEAR, 3, 31, 16, 59), True),  # 23:59 on 31 March in Vietnam
        (at(YEAR, 3, 31, 17, 0), False),  # midnight: 1 April in Vietnam
        (at(YEAR, 11, 22), False),
    ],
)
def test_registration_is_refused_outside_the_window_with_the_window_named(world, moment, ok):
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    if ok:
        assert register(unit["id"], YEAR, rep, now=moment)["state"] == "registered"
        return
    with pytest.raises(GuardFailed) as e:
        register(unit["id"], YEAR, rep, now=moment)
    (reason,) = e.value.reasons
    assert f"01/01/{YEAR} đến 31/03/{YEAR}" in reason and f"{YEAR}-01-01 to {YEAR}-03-31" in reason


def test_a_province_may_extend_the_window(world):
    with write_transaction() as conn:  # as Đồng Nai extended it to 31/8 in 2025
        rulesets.publish(
            conn,
            RuleSet(
                province_code=PROVINCE,
                year=YEAR,
                subject_type="DN",
                policy=Policy(registration_window=RegistrationWindow(end="08-31")),
            ),
        )
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    assert register(unit["id"], YEAR, rep, now=at(YEAR, 8, 31, 16, 0))["state"] == "registered"
    with pytest.raises(GuardFailed) as e:
        register(world.units["CQ"]["id"], YEAR, world.actor("unit", "CQ"), now=at(YEAR, 8, 31))
    assert "31/03" in e.value.reasons[0]  # an agency's rule set was not extended


@pytest.mark.parametrize(
    "payload,fragment",
    [
        ({}, '{"households": {"registered": n, "total": m}}'),
        ({"households": {"registered": 119, "total": 120}}, "119 of 120"),
        ({"households": {"registered": 5, "total": 0}}, "not valid"),
        ({"households": {"registered": True, "total": 1}}, '"households"'),
    ],
)
def test_a_residential_area_registers_with_every_household(world, payload, fragment):
    unit, rep = world.units["KDC"], world.actor("unit", "KDC")
    with pytest.raises(GuardFailed) as e:
        register(unit["id"], YEAR, rep, payload, now=registration_time(YEAR))
    (reason,) = e.value.reasons
    assert fragment in reason
    d = register(
        unit["id"], YEAR, rep, examples.registration_payload("KDC"), now=registration_time(YEAR)
    )
    assert d["state"] == "registered"


# --- a rule set published mid-year ---------------------------------------------------------------


def test_a_rule_set_published_mid_year_leaves_open_dossiers_pinned(world):
    first, first_rep = world.units["KDC"], world.actor("unit", "KDC")
    open_dossier = walk(world, first, first_rep, State.REGISTERED)
    pinned = open_dossier["rule_set_id"]
    national = rulesets.find(None, YEAR, "KDC")["rules"]
    body = national.model_dump(mode="json") | {"province_code": PROVINCE}
    body["criteria"].append(
        {
            "id": "NEG-12",
            "kind": "NEG",
            "label_vi": "Đốt pháo trái phép",
            "label_en": "Illegal fireworks",
        }
    )
    body["policy"]["registration_window"]["end"] = "08-31"
    (published,) = rulesets.publish_bodies(body, by=world.actor("province_admin", "province"))
    assert published["version"] == 1 and published["id"] != pinned

    # the open dossier goes on under the rules it registered with: no NEG-12 asked of it
    national_payload = examples.submit_payload("KDC")
    d = step(world, open_dossier, Event.SUBMIT_SELF_SCORE, first_rep, national_payload)
    for event in (Event.COMMUNE_APPROVE, Event.POLICE_VERIFY, Event.RECOGNISE):
        d = step(world, d, event, first_rep)
    assert d["state"] == "recognised" and d["rule_set_id"] == pinned

    # a dossier registered now is pinned to the new version and answers NEG-12
    second = world.units["other_KDC"]
    second_rep = world.actor("unit", "other_KDC")
    fresh = register(
        second["id"], YEAR, second_rep, examples.registration_payload("KDC"), now=at(YEAR, 6, 15)
    )  # inside the extended window
    assert fresh["rule_set_id"] == published["id"]
    (reason,) = refused(world, fresh, Event.SUBMIT_SELF_SCORE, second_rep, national_payload)
    assert reason.startswith("Tiêu chí NEG-12 (Đốt pháo trái phép): chưa trả lời")
    # a second publication does not move it either
    (again,) = rulesets.publish_bodies(body)
    assert again["version"] == 2
    d = step(world, fresh, Event.SUBMIT_SELF_SCORE, second_rep)  # payload from its pinned rules
    assert d["rule_set_id"] == published["id"] and "NEG-12" in d["assessment"]["answers"]


def test_a_province_cannot_drop_a_national_criterion(world):
    body = rulesets.find(None, YEAR, "KDC")["rules"].model_dump(mode="json")
    body |= {
        "province_code": PROVINCE,
        "criteria": [c for c in body["criteria"] if c["id"] != "NEG-3"],
    }
    with pytest.raises(GuardFailed) as e:
        rulesets.publish_bodies(body)
    assert e.value.reasons == [e.value.reasons[0]] and "NEG-3" in e.value.reasons[0]


def test_the_self_assessment_is_stored_as_sent(world):
    unit, rep = world.units["CQ"], world.actor("unit", "CQ")
    d = walk(world, unit, rep, State.SELF_SCORED)
    assert wf.get(d["id"])["assessment"] == examples.assessment("CQ")
    assert wf.get(d["id"])["self_scores"] == examples.score_sheet()


def test_every_guard_the_table_names_exists_and_payload_guards_are_marked():
    from states.lifecycle import TRANSITIONS
    from workflow.guards import GUARDS

    named = {g for t in TRANSITIONS for g in t.guards}
    assert named <= set(GUARDS)
    assert {g for g in named if GUARDS[g].uses_payload} == {
        "self_assessment",
        "self_scores",
        "papers",
        "verified_assessment",
        "verified_scores",
        "decision_date",  # issue 15: the decision's date is in the year, not after today
    }
