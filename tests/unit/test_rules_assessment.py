"""Self-assessments against a checklist: completeness, exemptions, exact ratios, the XA rule."""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.assessment import (
    DEFAULT_PAPERS,
    InvalidAssessment,
    assessment_reasons,
    disqualifying_reasons,
    evaluate,
    papers_reasons,
    pct_met,
    pct_required,
    unmet_reasons,
    xa_units_reasons,
)
from states.criteria import CriterionKind, checklist

CQ = checklist("CQ")
XA = checklist("XA")
KDC = checklist("KDC")


def all_met(criteria) -> dict:
    """The answers of a unit where nothing went wrong."""
    answers = {}
    for c in criteria:
        if c.measure is not None:
            continue
        if c.kind is CriterionKind.NEG:
            answers[c.id] = {"happened": False}
        elif c.kind is CriterionKind.PCT:
            answers[c.id] = {"numerator": 10, "denominator": 10}
        else:
            answers[c.id] = {"met": True}
    return {"answers": answers}


def with_answer(criteria, cid, answer) -> dict:
    a = all_met(criteria)
    a["answers"][cid] = answer
    return a


def named(reason: str) -> str:
    """The criterion id a reason starts with: 'Tiêu chí NEG-4 (…): …' -> 'NEG-4'."""
    assert reason.startswith("Tiêu chí "), reason
    return reason.removeprefix("Tiêu chí ").split(" (")[0]


def only(reasons: list[str]) -> str:
    assert len(reasons) == 1, reasons
    return reasons[0]


# --- exact ratios -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, needed", [(1, 1), (3, 3), (10, 7), (25, 18), (4, 3), (7, 5), (100, 70)]
)
def test_seventy_percent_needs_ceil_of_0_7_n(n, needed):
    assert pct_required(70, n) == needed
    assert pct_met(needed, n, 70) and not pct_met(needed - 1, n, 70)


@pytest.mark.parametrize("n", [1, 3, 10, 25, 1000])
def test_one_hundred_percent_means_every_one(n):
    assert pct_required(100, n) == n
    assert pct_met(n, n, 100) and not pct_met(n - 1, n, 100)


@pytest.mark.parametrize("pct, n, needed", [(7, 100, 7), (14, 50, 7), (28, 25, 7)])
def test_integers_where_float_arithmetic_asks_one_too_many(pct, n, needed):
    # e.g. 0.14 * 50 is 7.000000000000001 in binary floats: math.ceil would ask for 8.
    assert math.ceil(pct / 100 * n) == needed + 1
    assert pct_required(pct, n) == needed


@settings(max_examples=500)
@given(st.integers(1, 100), st.integers(0, 10**9))
def test_pct_required_is_the_least_count_reaching_the_threshold(pct, n):
    need = pct_required(pct, n)
    assert need == math.ceil(Fraction(pct * n, 100))
    exact = Fraction(pct * n, 100)
    assert need >= exact and (need == 0 or need - 1 < exact)


# --- complete and valid -------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["KDC", "XA", "CQ", "DN", "CSGD"])
def test_a_clean_assessment_is_valid_and_meets_everything(subject):
    criteria = checklist(subject)
    assert assessment_reasons(criteria, all_met(criteria)) == []
    assert unmet_reasons(criteria, all_met(criteria)) == []
    assert all(r.met for r in evaluate(criteria, all_met(criteria)))


def test_every_unanswered_criterion_is_named():
    a = all_met(CQ)
    for cid in ("REG-2", "NEG-5", "PCT-1"):
        del a["answers"][cid]
    reasons = assessment_reasons(CQ, a)
    assert len(reasons) == 3
    assert all("not answered" in r for r in reasons)
    assert [named(r) for r in reasons] == ["REG-2", "NEG-5", "PCT-1"]


@pytest.mark.parametrize(
    "assessment, words",
    [
        (None, "must be an object"),
        ({}, 'no "answers"'),
        ({"answers": []}, 'no "answers"'),
        ({"answers": {}, "extra": 1}, "unknown field 'extra'"),
    ],
)
def test_a_malformed_assessment_is_refused(assessment, words):
    assert any(words in r for r in assessment_reasons(CQ, assessment))


@pytest.mark.parametrize(
    "cid, answer, words",
    [
        ("REG-1", {"met": "yes"}, "'met' must be true or false"),
        ("REG-1", {}, "'met' must be true or false"),
        ("REG-1", True, "must be an object"),
        ("REG-1", {"met": True, "happened": False}, "field 'happened' does not belong"),
        ("REG-1", {"met": True, "note": 5}, "note must be text"),
        ("NEG-1", {"happened": None}, "'happened' must be true or false"),
        (
            "NEG-5",
            {"happened": False, "exemption": {"kind": "force_majeure", "note": "x"}},
            "only for an event that happened",
        ),
        ("PCT-1", {"numerator": 7.0, "denominator": 10}, "whole numbers"),
        ("PCT-1", {"numerator": True, "denominator": 1}, "whole numbers"),
        ("PCT-1", {"numerator": 11, "denominator": 10}, "above the denominator"),
        ("PCT-1", {"numerator": -1, "denominator": 10}, "negative"),
        ("FORCE-1", {"met": 1}, "'met' must be true or false"),
    ],
)
def test_an_invalid_answer_is_refused_naming_the_criterion(cid, answer, words):
    reason = only(assessment_reasons(CQ, with_answer(CQ, cid, answer)))
    assert reason.startswith(f"Tiêu chí {cid} (") and f"criterion {cid} (" in reason
    assert words in reason


def test_an_unknown_criterion_is_refused_by_id():
    assert "unknown criterion 'NEG-99'" in only(
        assessment_reasons(CQ, with_answer(CQ, "NEG-99", {"happened": False}))
    )


def test_evaluate_refuses_an_invalid_assessment():
    with pytest.raises(InvalidAssessment) as exc:
        evaluate(CQ, {"answers": {}})
    assert len(exc.value.reasons) == len(CQ)


# --- NEG criteria and exemptions ----------------------------------------------------------------

SERIOUS_CRIME = "NEG-5"  # CQ: exempt for force majeure or detected and reported
FIRE = "NEG-7"  # CQ: exempt for force majeure only
STRIKE = "NEG-4"  # CQ: no exemption


def test_a_neg_event_that_happened_disqualifies_and_is_named():
    reason = only(disqualifying_reasons(CQ, with_answer(CQ, SERIOUS_CRIME, {"happened": True})))
    assert reason == (
        "Tiêu chí NEG-5 (Tội phạm nghiêm trọng trở lên): đã xảy ra, không có miễn "
        "trừ / criterion NEG-5 (A crime of 'serious' level or above): happened "
        "with no exemption"
    )


@pytest.mark.parametrize("kind", ["force_majeure", "detected_and_reported"])
def test_an_exemption_with_a_note_clears_the_neg_criterion(kind):
    a = with_answer(
        CQ,
        SERIOUS_CRIME,
        {
            "happened": True,
            "exemption": {"kind": kind, "note": "Phát hiện ngày 03/5, báo ngay Công an xã"},
        },
    )
    assert assessment_reasons(CQ, a) == [] and unmet_reasons(CQ, a) == []
    result = next(r for r in evaluate(CQ, a) if r.criterion.id == SERIOUS_CRIME)
    assert result.met and "miễn trừ" in result.detail_vi and "exempted" in result.detail_en


@pytest.mark.parametrize("note", [None, "", "   ", 7])
def test_an_exemption_without_a_note_is_refused(note):
    exemption = {"kind": "force_majeure"} | ({} if note is None else {"note": note})
    a = with_answer(CQ, SERIOUS_CRIME, {"happened": True, "exemption": exemption})
    reason = only(disqualifying_reasons(CQ, a))
    assert "NEG-5" in reason and "needs a note" in reason


def test_an_exemption_the_criterion_does_not_allow_is_refused():
    a = with_answer(
        CQ,
        FIRE,
        {"happened": True, "exemption": {"kind": "detected_and_reported", "note": "báo ngay"}},
    )
    assert "exemption 'detected_and_reported' is not allowed" in only(assessment_reasons(CQ, a))
    a = with_answer(
        CQ, STRIKE, {"happened": True, "exemption": {"kind": "force_majeure", "note": "?"}}
    )
    assert "admits no exemption" in only(assessment_reasons(CQ, a))


@pytest.mark.parametrize(
    "exemption",
    [
        "force_majeure",
        {"kind": "act_of_god", "note": "x"},
        {"kind": "force_majeure", "note": "x", "by": "me"},
    ],
)
def test_a_malformed_exemption_is_refused(exemption):
    a = with_answer(CQ, SERIOUS_CRIME, {"happened": True, "exemption": exemption})
    assert "NEG-5" in only(assessment_reasons(CQ, a))


# --- disqualifying vs. unmet ---------------------------------------------------------------------


def test_disqualifying_covers_neg_pct_force_but_not_reg_pos():
    a = all_met(CQ)
    a["answers"] |= {
        "REG-1": {"met": False},
        "POS-1": {"met": False},
        "FORCE-1": {"met": False},
        "NEG-4": {"happened": True},
        "PCT-1": {"numerator": 6, "denominator": 10},
    }
    disq = disqualifying_reasons(CQ, a)
    assert [named(r) for r in disq] == ["NEG-4", "FORCE-1", "PCT-1"]
    assert len(unmet_reasons(CQ, a)) == 5
    assert [named(r) for r in unmet_reasons(CQ, a, [CriterionKind.REG])] == ["REG-1"]


def test_an_invalid_assessment_is_reported_before_anything_is_judged():
    a = with_answer(CQ, "NEG-4", {"happened": True})
    del a["answers"]["REG-1"]
    assert "not answered" in only(disqualifying_reasons(CQ, a))


@pytest.mark.parametrize(
    "n, rated, ok",
    [
        (10, 7, True),
        (10, 6, False),
        (25, 18, True),
        (25, 17, False),
        (3, 3, True),
        (3, 2, False),
        (1, 1, True),
        (1, 0, False),
        (0, 0, True),
    ],
)
def test_agency_sub_units_at_least_70_percent(n, rated, ok):
    a = with_answer(CQ, "PCT-1", {"numerator": rated, "denominator": n})
    reasons = disqualifying_reasons(CQ, a)
    assert (reasons == []) is ok
    if not ok:
        need = pct_required(70, n)
        assert f"{rated} of {n}" in reasons[0]
        assert f"at least {need} of {n} needed (70%)" in reasons[0]


def test_households_must_all_register_and_cannot_be_zero():
    a = with_answer(KDC, "PCT-1", {"numerator": 119, "denominator": 120})
    reason = only(disqualifying_reasons(KDC, a))
    assert "119/120" in reason and "all 120 needed (100%)" in reason and "1 short" in reason
    a = with_answer(KDC, "PCT-1", {"numerator": 0, "denominator": 0})
    assert "denominator is 0" in only(assessment_reasons(KDC, a))


# --- the commune rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("n, needed", [(1, 1), (3, 3), (10, 7), (25, 18)])
def test_commune_needs_all_registered_and_ceil_70_percent_recognised(n, needed):
    assert xa_units_reasons(XA, n, n, needed) == []
    reason = only(xa_units_reasons(XA, n, n, needed - 1))
    assert f"{needed - 1}/{n}" in reason and f"cần ít nhất {needed}/{n} (70%)" in reason
    assert (
        f"{needed - 1} of {n} units recognised" in reason and f"at least {needed} of {n}" in reason
    )
    assert reason.startswith("Tiêu chí PCT-2 (")


def test_commune_with_a_unit_not_registered_is_refused_with_the_numbers():
    reason = only(xa_units_reasons(XA, 25, 24, 20))
    assert reason.startswith("Tiêu chí PCT-1 (") and "24/25" in reason and "all 25 needed" in reason


def test_commune_failing_both_gets_both_reasons_and_zero_units_is_refused():
    assert len(xa_units_reasons(XA, 25, 20, 10)) == 2
    assert all("denominator is 0" in r for r in xa_units_reasons(XA, 0, 0, 0))


def test_commune_counts_must_be_consistent():
    with pytest.raises(ValueError):
        xa_units_reasons(XA, 10, 11, 5)
    with pytest.raises(ValueError):
        xa_units_reasons(XA, 10, 5, 6)


def test_the_commune_does_not_type_in_what_the_engine_counts():
    a = with_answer(XA, "PCT-2", {"numerator": 18, "denominator": 25})
    assert "counted by the engine" in only(assessment_reasons(XA, a))


@settings(max_examples=300)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_commune_rule_agrees_with_exact_fractions(n_and_recognised):
    n, recognised = n_and_recognised
    ok = Fraction(recognised, n) >= Fraction(7, 10)
    assert (xa_units_reasons(XA, n, n, recognised) == []) is ok


# --- papers -------------------------------------------------------------------------------------


def test_the_three_papers_with_references_pass():
    papers = {
        "to_trinh": {"ref": "12/TTr-UBND", "date": "2025-10-20"},
        "bao_cao": {"ref": "45/BC-UBND"},
        "bien_ban": {"ref": "BB họp ngày 18/10/2025"},
        "khac": {"ref": "Danh sách hộ đăng ký", "name": "Phụ lục"},
    }
    assert papers_reasons(DEFAULT_PAPERS, papers) == []


def test_every_missing_or_unreferenced_paper_is_named():
    reasons = papers_reasons(
        DEFAULT_PAPERS, {"to_trinh": {"ref": " "}, "bao_cao": {"ref": "1/BC", "date": "20/10"}}
    )
    assert len(reasons) == 3
    assert any("missing paper: Meeting minutes (bien_ban)" in r for r in reasons)
    assert any("Submission: a number or reference is needed" in r for r in reasons)
    assert any("date '20/10' is not YYYY-MM-DD" in r for r in reasons)


def test_a_clean_assessment_is_not_modified_by_checking():
    a = all_met(CQ)
    before = copy.deepcopy(a)
    unmet_reasons(CQ, a)
    evaluate(CQ, a)
    assert a == before
