"""The shared example payloads are valid under the national rules of every subject type."""

from __future__ import annotations

import pytest

from states import examples
from states.assessment import (
    assessment_reasons,
    papers_reasons,
    stored_unmet_reasons,
    unmet_reasons,
)
from states.criteria import checklist
from states.rulesets import RuleSet, national_default, national_floor_problems
from states.scoring import MOVEMENT_TABLE, score_sheet_reasons, sheet_total
from states.subjects import SubjectType


@pytest.mark.parametrize("subject", list(SubjectType))
def test_the_examples_pass_every_check(subject):
    rules = national_default(2026, subject)
    payload = examples.submit_payload(subject)
    assert payload == examples.submit_payload(subject, rules)
    assert assessment_reasons(rules.criteria, payload["assessment"]) == []
    assert unmet_reasons(rules.criteria, payload["assessment"]) == []
    assert papers_reasons(rules.policy.required_papers, payload["papers"]) == []
    if rules.score_table is None:
        assert "scores" not in payload and examples.verify_payload(subject) == {}
    else:
        assert score_sheet_reasons(rules.score_table, payload["scores"]) == []
        assert sheet_total(rules.score_table, payload["scores"]) == 100
    assert bool(examples.registration_payload(subject)) == (subject is SubjectType.KDC)


def test_a_short_sheet_stays_valid():
    sheet = examples.score_sheet(short={"5a": 2, "7": 0.5})
    assert score_sheet_reasons(MOVEMENT_TABLE, sheet) == []
    assert sheet["5"] == 12 and sheet_total(MOVEMENT_TABLE, sheet) == 97.5


@pytest.mark.parametrize(
    "change",
    [
        {"NEG-9": {"happened": True}},
        {"PCT-1": {"numerator": 5, "denominator": 8}},
        {"FORCE-1": {"met": False}},
        {"REG-3": {"met": False}},
        {"NEG-5": {"happened": True, "exemption": {"kind": "force_majeure", "note": "Lũ"}}},
    ],
)
def test_judging_a_stored_assessment_agrees_with_the_full_check(change):
    criteria = checklist("CSGD")
    a = examples.assessment(criteria)
    a["answers"].update(change)
    assert stored_unmet_reasons(criteria, a) == unmet_reasons(criteria, a)
    broken = {"answers": {}}  # not the stored shape: the full check names the problem
    assert stored_unmet_reasons(criteria, broken) == unmet_reasons(criteria, broken)


def test_a_province_keeps_every_national_criterion():
    base = national_default(2026, "KDC").model_dump(mode="json")
    kept = RuleSet.model_validate(base | {"province_code": 51})
    assert national_floor_problems(kept) == []
    dropped = RuleSet.model_validate(
        base
        | {"province_code": 51, "criteria": [c for c in base["criteria"] if c["id"] != "FORCE-1"]}
    )
    (problem,) = national_floor_problems(dropped)
    assert "FORCE-1" in problem
    assert (
        national_floor_problems(RuleSet.model_validate(base | {"criteria": base["criteria"][:3]}))
        == []
    )  # a national rule set is not held to it
