"""The national checklists: complete, well-formed, and faithful to domain.md."""

from __future__ import annotations

import pytest

from states.criteria import (
    NATIONAL_CRITERIA,
    Criterion,
    CriterionKind,
    EngineMeasure,
    Exemption,
    checklist,
    criteria_problems,
)
from states.subjects import SubjectType

ALL = list(SubjectType)


@pytest.mark.parametrize("subject", ALL)
def test_every_national_checklist_is_valid(subject):
    assert criteria_problems(checklist(subject)) == []


@pytest.mark.parametrize("subject", ALL)
def test_every_checklist_has_every_kind_the_law_names(subject):
    kinds = {c.kind for c in checklist(subject)}
    assert kinds == set(CriterionKind), f"{subject}: missing {set(CriterionKind) - kinds}"


@pytest.mark.parametrize("subject", ALL)
def test_labels_are_in_both_languages_and_differ(subject):
    for c in checklist(subject):
        assert c.label_vi.strip() and c.label_en.strip() and c.label_vi != c.label_en, c.id


def test_checklist_accepts_the_string_code():
    assert checklist("CQ") is NATIONAL_CRITERIA[SubjectType.CQ]


def test_agencies_and_enterprises_share_a_list_and_schools_add_their_own_neg():
    cq, csgd = checklist("CQ"), checklist("CSGD")
    assert checklist("DN") == cq
    added = {c.id for c in csgd} - {c.id for c in cq}
    assert added and all(c.kind is CriterionKind.NEG for c in csgd if c.id in added)
    assert any("Bạo lực học đường" in c.label_vi for c in csgd)


def _by_label(subject, words):
    return next(c for c in checklist(subject) if words in c.label_vi)


@pytest.mark.parametrize("subject", ALL)
def test_serious_crime_admits_both_exemptions_fire_only_force_majeure(subject):
    crime = _by_label(subject, "Tội phạm nghiêm trọng trở lên")
    fire = _by_label(subject, "Cháy, nổ nghiêm trọng")
    assert set(crime.exemptions) == {Exemption.FORCE_MAJEURE, Exemption.DETECTED_AND_REPORTED}
    assert fire.exemptions == (Exemption.FORCE_MAJEURE,)


@pytest.mark.parametrize("subject", ALL)
def test_only_the_two_statutory_exceptions_exist_in_the_national_data(subject):
    exempted = [c.id for c in checklist(subject) if c.exemptions]
    assert len(exempted) == 2, exempted


def test_kdc_needs_every_household_registered():
    pct = [c for c in checklist("KDC") if c.kind is CriterionKind.PCT]
    assert [(c.threshold_pct, c.measure) for c in pct] == [(100, None)]


def test_commune_counts_its_units_100_registered_70_recognised_by_engine():
    engine = {c.measure: c.threshold_pct for c in checklist("XA") if c.measure is not None}
    assert engine == {EngineMeasure.UNITS_REGISTERED: 100, EngineMeasure.UNITS_RECOGNISED: 70}


def test_commune_answers_the_residential_area_events_for_its_whole_territory():
    kdc_neg = {c.label_vi for c in checklist("KDC") if c.kind is CriterionKind.NEG}
    xa_neg = {c.label_vi for c in checklist("XA") if c.kind is CriterionKind.NEG}
    assert kdc_neg == xa_neg


def test_agency_sub_units_rule_is_70_percent_and_vacuous_without_sub_units():
    pct = next(c for c in checklist("CQ") if c.kind is CriterionKind.PCT)
    assert pct.threshold_pct == 70 and pct.allow_zero


def _crit(**kw) -> Criterion:
    base = dict(id="NEG-1", kind=CriterionKind.NEG, label_vi="nhãn", label_en="label")
    return Criterion(**(base | kw))


@pytest.mark.parametrize(
    "crit, words",
    [
        (_crit(kind=CriterionKind.PCT, id="PCT-1"), "threshold_pct"),
        (_crit(threshold_pct=70), "only PCT"),
        (
            _crit(kind=CriterionKind.POS, id="POS-1", exemptions=(Exemption.FORCE_MAJEURE,)),
            "only NEG",
        ),
        (_crit(exemptions=(Exemption.FORCE_MAJEURE, Exemption.FORCE_MAJEURE)), "listed twice"),
        (_crit(measure=EngineMeasure.UNITS_REGISTERED), "engine"),
        (_crit(id="neg 1"), "must look like"),
    ],
)
def test_a_malformed_criterion_is_named_with_its_problem(crit, words):
    problems = criteria_problems([crit])
    assert len(problems) == 1 and words in problems[0]


def test_duplicate_ids_and_an_empty_list_are_refused():
    assert "'NEG-1' is used 2 times" in criteria_problems([_crit(), _crit()])[0]
    assert "no criteria" in criteria_problems([])[0]
