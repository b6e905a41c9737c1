"""Rule sets: national defaults, every-error validation, provincial overrides, JSON round trip."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from states.criteria import CriterionKind, checklist
from states.rulesets import (
    Override,
    Policy,
    RegistrationWindow,
    RuleSet,
    apply_override,
    check_rule_set,
    national_default,
    registration_window_reasons,
)
from states.scoring import DEFAULT_BANDS, MOVEMENT_TABLE, MovementClass
from states.subjects import SubjectType

DONG_NAI, QUANG_NGAI = 75, 51


@pytest.mark.parametrize("subject", list(SubjectType))
def test_national_default_carries_the_national_data(subject):
    rules = national_default(2025, subject)
    assert rules.key == (None, 2025, subject) and rules.version == 1
    assert rules.criteria == checklist(subject)
    assert rules.bands == DEFAULT_BANDS
    scored = subject in (SubjectType.CQ, SubjectType.DN, SubjectType.CSGD)
    assert (rules.score_table == MOVEMENT_TABLE) if scored else rules.score_table is None
    assert rules.policy == Policy() and rules.deadlines == {}


def test_policy_defaults_are_the_national_ones():
    p = Policy()
    assert p.revocation_enabled is False and p.max_returns_per_step == 1
    assert p.recognition_target_pct == 80
    assert (p.registration_window.start, p.registration_window.end) == ("01-01", "03-31")
    assert [x.id for x in p.required_papers] == ["to_trinh", "bao_cao", "bien_ban"]


@pytest.mark.parametrize("subject", list(SubjectType))
def test_json_round_trip_is_exact(subject):
    rules = national_default(2026, subject)
    text = rules.to_json()
    assert RuleSet.from_json(text) == rules
    assert RuleSet.from_json(text).to_json() == text


def test_a_rule_set_built_like_the_core_tests_do_gets_the_national_sections():
    rules = RuleSet(
        province_code=QUANG_NGAI,
        year=2025,
        subject_type=SubjectType.CQ,
        policy=Policy(revocation_enabled=True),
    )
    assert rules.criteria == checklist("CQ") and rules.score_table == MOVEMENT_TABLE


def test_a_rule_set_is_frozen():
    rules = national_default(2025, "CQ")
    with pytest.raises(ValidationError):
        rules.year = 2026


# --- every error at once ------------------------------------------------------------------------


def _body(subject="CQ") -> dict:
    return national_default(2025, subject).model_dump(mode="json")


def _broken_body() -> dict:
    body = _body()
    body["score_table"]["items"][6]["max_points"] = 12  # item 7: 10 -> 12
    body["criteria"].append(dict(body["criteria"][0], label_vi="trùng"))  # REG-1 twice
    body["bands"][1]["min_points"] = 95  # Khá above Xuất sắc
    return body


def test_bad_maxima_duplicate_ids_and_unordered_bands_are_all_listed():
    with pytest.raises(ValidationError) as exc:
        RuleSet.model_validate(_broken_body())
    errors = {(e["loc"][0], e["msg"]) for e in exc.value.errors()}
    assert len(errors) == 3
    msgs = " | ".join(m for _, m in errors)
    assert "item maxima add up to 102, not 100" in msgs
    assert "criterion id 'REG-1' is used 2 times" in msgs
    assert "bands out of order: kha starts at 95, above xuat_sac at 90" in msgs
    assert {loc for loc, _ in errors} == {"score_table", "criteria", "bands"}


def test_structural_and_semantic_errors_are_listed_together():
    body = _broken_body()
    body["policy"]["max_returns_per_step"] = -1
    body["year"] = "soon"
    reasons = check_rule_set(body)
    assert len(reasons) == 5, reasons
    assert any(r.startswith("year:") for r in reasons)
    assert any(r.startswith("policy.max_returns_per_step:") for r in reasons)
    assert any(r.startswith("score_table:") for r in reasons)


def test_check_rule_set_takes_json_text_and_says_nothing_when_valid():
    assert check_rule_set(national_default(2025, "DN").to_json()) == []
    assert len(check_rule_set(json.dumps(_broken_body()))) == 3


def test_duplicate_score_items_and_sub_item_sums_are_listed():
    body = _body()
    body["score_table"]["items"][3]["sub_items"][1]["id"] = "4a"  # 4a twice
    body["score_table"]["items"][5]["sub_items"][0]["max_points"] = 1  # 6a 2 -> 1
    reasons = check_rule_set(body)
    assert any("'4a' is used 2 times" in r for r in reasons)
    assert any("item 6: sub-item maxima add up to 3, not 4" in r for r in reasons)


@pytest.mark.parametrize(
    "window, words",
    [
        ({"start": "04-01", "end": "03-31"}, "ends (03-31) before it starts (04-01)"),
        ({"end": "02-30"}, "not a month-day"),
        ({"end": "8-31"}, "not a month-day"),
        ({"end": "08-31\n"}, "not a month-day"),
        ({"start": "13-01"}, "not a month-day"),
    ],
)
def test_a_bad_registration_window_is_refused(window, words):
    body = _body()
    body["policy"]["registration_window"] = window
    assert any(words in r for r in check_rule_set(body))


def test_bad_papers_and_unknown_fields_are_refused():
    body = _body()
    body["policy"]["required_papers"].append(body["policy"]["required_papers"][0])
    body["policy"]["auto_approve"] = True
    body["colour"] = "red"
    reasons = check_rule_set(body)
    assert any("paper id 'to_trinh'" in r for r in reasons)
    assert any(r.startswith("policy.auto_approve") for r in reasons)
    assert any(r.startswith("colour") for r in reasons)


def test_a_scored_subject_cannot_drop_its_table_and_kdc_has_none():
    assert any(
        "cannot be empty" in r for r in check_rule_set(_body("CSGD") | {"score_table": None})
    )
    assert check_rule_set(_body("KDC")) == [] and _body("KDC")["score_table"] is None


@pytest.mark.parametrize(
    "field, value",
    [("year", 1999), ("province_code", 0), ("version", 0), ("subject_type", "HOSPITAL")],
)
def test_keys_are_checked(field, value):
    assert any(r.startswith(field) for r in check_rule_set(_body() | {field: value}))


# --- provincial overrides -----------------------------------------------------------------------


def test_dong_nai_extends_the_2025_window_to_31_august():
    base = national_default(2025, "KDC")
    dong_nai = apply_override(
        base, {"province_code": DONG_NAI, "policy": {"registration_window": {"end": "08-31"}}}
    )
    assert dong_nai.policy.registration_window == RegistrationWindow(start="01-01", end="08-31")
    assert dong_nai.key == (DONG_NAI, 2025, SubjectType.KDC)
    assert registration_window_reasons(dong_nai, date(2025, 8, 31)) == []
    reason = registration_window_reasons(dong_nai, date(2025, 9, 1))[0]
    assert "01/01/2025 đến 31/08/2025" in reason and "2025-01-01 to 2025-08-31" in reason
    assert registration_window_reasons(base, date(2025, 8, 31))  # the national one is untouched
    assert base.province_code is None


@pytest.mark.parametrize(
    "day, ok",
    [
        (date(2025, 1, 1), True),
        (date(2025, 3, 31), True),
        (date(2025, 4, 1), False),
        (date(2024, 12, 31), False),
        (date(2026, 2, 1), False),
    ],
)
def test_the_default_window_is_quarter_one_of_the_rule_sets_year(day, ok):
    assert (registration_window_reasons(national_default(2025, "CQ"), day) == []) is ok


def test_a_window_ending_on_29_february_ends_on_the_28th_in_other_years():
    window = RegistrationWindow(end="02-29")
    assert window.bounds(2024)[1] == date(2024, 2, 29)
    assert window.bounds(2025)[1] == date(2025, 2, 28)


def test_a_province_adds_criteria_changes_bands_and_enables_revocation():
    base = national_default(2025, "CQ")
    extra = {
        "id": "NEG-P1",
        "kind": "NEG",
        "label_vi": "Vi phạm trật tự an toàn giao thông nghiêm trọng",
        "label_en": "A serious traffic-safety violation",
    }
    bands = [
        {"movement_class": c, "min_points": m}
        for c, m in (("xuat_sac", 85), ("kha", 65), ("trung_binh", 50), ("yeu", 0))
    ]
    rules = apply_override(
        base,
        {
            "province_code": QUANG_NGAI,
            "add_criteria": [extra],
            "bands": bands,
            "policy": {"revocation_enabled": True, "recognition_target_pct": 90},
        },
    )
    assert rules.criteria[:-1] == base.criteria and rules.criteria[-1].id == "NEG-P1"
    assert rules.criteria[-1].kind is CriterionKind.NEG
    assert (
        rules.bands[0].min_points == 85 and rules.bands[0].movement_class is MovementClass.XUAT_SAC
    )
    assert rules.policy.revocation_enabled and rules.policy.recognition_target_pct == 90
    assert rules.policy.max_returns_per_step == 1  # what was not patched stays
    assert RuleSet.from_json(rules.to_json()) == rules


def test_an_override_that_breaks_the_rules_is_refused_with_every_error():
    base = national_default(2025, "CQ")
    dup = base.criteria[0].model_dump(mode="json")
    bands = [
        {"movement_class": "xuat_sac", "min_points": 90},
        {"movement_class": "kha", "min_points": 90},
        {"movement_class": "trung_binh", "min_points": 50},
        {"movement_class": "yeu", "min_points": 0},
    ]
    with pytest.raises(ValidationError) as exc:
        apply_override(base, {"province_code": QUANG_NGAI, "add_criteria": [dup], "bands": bands})
    msgs = [e["msg"] for e in exc.value.errors()]
    assert len(msgs) == 2
    assert any("'REG-1' is used 2 times" in m for m in msgs)
    assert any("bands overlap" in m for m in msgs)


def test_an_override_cannot_remove_or_rename_things_or_move_provinces():
    base = national_default(2025, "CQ")
    with pytest.raises(ValidationError):
        apply_override(base, {"province_code": QUANG_NGAI, "remove_criteria": ["NEG-1"]})
    with pytest.raises(ValidationError):
        apply_override(base, {"province_code": QUANG_NGAI, "policy": {"auto_approve": True}})
    quang_ngai = apply_override(base, Override(province_code=QUANG_NGAI))
    with pytest.raises(ValueError, match="province 51"):
        apply_override(quang_ngai, {"province_code": DONG_NAI})


def test_deadlines_pass_through_untouched():
    base = national_default(2025, "XA").model_copy(update={"deadlines": {"review": {"days": 5}}})
    rules = apply_override(base, {"province_code": DONG_NAI, "deadlines": {"verify": {"days": 7}}})
    assert rules.deadlines == {"review": {"days": 5}, "verify": {"days": 7}}
    assert RuleSet.from_json(rules.to_json()).deadlines == rules.deadlines


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.lists(st.integers(0, 120), min_size=4, max_size=4))
def test_bands_are_accepted_exactly_when_strictly_falling_from_at_most_100_to_0(mins):
    body = _body()
    body["bands"] = [
        {"movement_class": c.value, "min_points": m} for c, m in zip(MovementClass, mins)
    ]
    ok = mins[0] <= 100 and mins[3] == 0 and mins[0] > mins[1] > mins[2] > mins[3]
    assert (check_rule_set(body) == []) is ok


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(list(SubjectType)),
    st.lists(st.integers(1, 99), min_size=0, max_size=5, unique=True),
)
def test_any_override_adding_fresh_criteria_validates_and_round_trips(subject, numbers):
    base = national_default(2025, subject)
    added = [
        {
            "id": f"POS-P{n}",
            "kind": "POS",
            "label_vi": f"Tiêu chí tỉnh {n}",
            "label_en": f"Provincial criterion {n}",
        }
        for n in numbers
    ]
    rules = apply_override(base, {"province_code": QUANG_NGAI, "add_criteria": added})
    assert len(rules.criteria) == len(base.criteria) + len(numbers)
    assert RuleSet.from_json(rules.to_json()) == rules
