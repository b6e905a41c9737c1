"""Complete, valid payloads for each subject type: one builder shared by the tests, the demo and
the benchmark, so that all three walk dossiers with the same data the guards accept.

Each function returns a fresh object (callers may change it to make a test case). The builders
take a rule set's sections when given one, so a province that adds criteria is served too; without
one they use the national data of the subject type.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from states.assessment import DEFAULT_PAPERS, Paper
from states.criteria import Criterion, CriterionKind, checklist
from states.rulesets import SCORED_SUBJECTS, RuleSet
from states.scoring import MOVEMENT_TABLE, ScoreTable
from states.subjects import SubjectType

# Counts used in the examples: a residential area of 120 households, an agency with 8 sub-units.
HOUSEHOLDS = 120
SUB_UNITS = 8


def answer_met(c: Criterion) -> dict[str, Any]:
    """The answer of a unit where nothing went wrong, for one criterion."""
    if c.kind is CriterionKind.NEG:
        return {"happened": False}
    if c.kind is CriterionKind.PCT:
        n = HOUSEHOLDS if c.threshold_pct == 100 else SUB_UNITS
        return {"numerator": n, "denominator": n}
    return {"met": True}


def assessment(criteria: Iterable[Criterion] | SubjectType | str) -> dict[str, Any]:
    """A complete self-assessment with every criterion met (engine-counted ones left out)."""
    if isinstance(criteria, (SubjectType, str)):
        criteria = checklist(criteria)
    return {"answers": {c.id: answer_met(c) for c in criteria if c.measure is None}}


def score_sheet(
    table: ScoreTable = MOVEMENT_TABLE, *, short: dict[str, int] | None = None
) -> dict[str, Any]:
    """A valid score sheet: full marks on every item (the unit anticipating 8c), less ``short``
    points on the sub-items or sub-item-less items named (parents are re-added)."""
    short = short or {}
    sheet: dict[str, Any] = {}
    for item in table.items:
        if item.sub_items:
            for sub in item.sub_items:
                sheet[sub.id] = sub.max_points - short.get(sub.id, 0)
            sheet[item.id] = sum(sheet[s.id] for s in item.sub_items)
        else:
            sheet[item.id] = item.max_points - short.get(item.id, 0)
    return sheet


def papers(required: Iterable[Paper] = DEFAULT_PAPERS) -> dict[str, Any]:
    """The dossier's papers by name and reference (file upload is not part of the engine)."""
    return {p.id: {"ref": f"Số 01/{p.id.upper()}", "name": p.label_vi} for p in required}


def _sections(subject: SubjectType | str, rules: RuleSet | None):
    subject = SubjectType(subject)
    if rules is not None:
        return rules.criteria, rules.score_table, rules.policy.required_papers
    table = MOVEMENT_TABLE if subject in SCORED_SUBJECTS else None
    return checklist(subject), table, DEFAULT_PAPERS


def submit_payload(subject: SubjectType | str, rules: RuleSet | None = None) -> dict[str, Any]:
    """``submit_self_score``: the self-assessment, the score sheet (CQ, DN, CSGD) and the papers."""
    criteria, table, required = _sections(subject, rules)
    out: dict[str, Any] = {"assessment": assessment(criteria), "papers": papers(required)}
    if table is not None:
        out["scores"] = score_sheet(table)
    return out


def verify_payload(subject: SubjectType | str, rules: RuleSet | None = None) -> dict[str, Any]:
    """``police_verify``: the superior's score sheet (CQ, DN, CSGD); the assessment is left out,
    so the unit's self-assessment is taken as verified."""
    _, table, _ = _sections(subject, rules)
    return {"scores": score_sheet(table)} if table is not None else {}


def registration_payload(subject: SubjectType | str) -> dict[str, Any]:
    """``register``: a residential area declares its households (every one registered)."""
    if SubjectType(subject) is SubjectType.KDC:
        return {"households": {"registered": HOUSEHOLDS, "total": HOUSEHOLDS}}
    return {}


def decision_payload(
    decision_no: str = "15/QĐ-UBND", decision_date: str = "2026-11-12"
) -> dict[str, Any]:
    """``recognise``: the decision's number and date (``decision_day`` gives a valid one)."""
    return {"decision_no": decision_no, "decision_date": decision_date}


def decision_day(year: int, today: date) -> str:
    """A decision date the guard accepts for a dossier of ``year`` decided on ``today`` (the
    date in Vietnam): today in the current year, the national decision date (12/11) of a past
    year, capped at today."""
    if year == today.year:
        return today.isoformat()
    return min(date(year, 11, 12), today).isoformat()
