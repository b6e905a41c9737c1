"""The dossier's assessment, scores and class side by side: what the unit said, what the police
verified, whether each criterion is met, and the points of each item. For the API and the CLI.

``side_by_side`` is pure (dossier row + its pinned rule set); ``view`` loads both and, for a
commune (XA), counts the units it manages so that the engine-counted criteria show their numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from states.assessment import CriterionResult, assessment_reasons, judge, pct_result
from states.criteria import KIND_LABELS, Criterion, EngineMeasure
from states.rulesets import RuleSet
from states.scoring import CLASS_LABELS, MovementClass, ScoreTable, score_sheet_reasons, sheet_total
from states.subjects import SubjectType
from workflow import engine as wf
from workflow import rulesets
from workflow.db import read_connection
from workflow.guards import commune_unit_counts

UnitCounts = tuple[int, int, int]  # managed, registered, recognised


def _answers(assessment: Any, criteria: tuple[Criterion, ...]) -> Mapping[str, Any] | None:
    """The answers of a stored assessment, or None when there is none or it does not fit the
    checklist (it was validated by the same rules on the way in, so that would be old data)."""
    if assessment is None or assessment_reasons(criteria, assessment):
        return None
    return assessment["answers"]


def _result(c: Criterion, answer: Any) -> CriterionResult | None:
    return None if answer is None else judge(c, answer)


def _counted(c: Criterion, counts: UnitCounts | None) -> CriterionResult | None:
    if counts is None:
        return None
    managed, registered, recognised = counts
    numerator = registered if c.measure is EngineMeasure.UNITS_REGISTERED else recognised
    if managed == 0:
        return CriterionResult(
            c,
            False,
            "xã chưa khai báo đơn vị nào thuộc phạm vi quản lý",
            "the commune manages no declared units",
        )
    return pct_result(c, numerator, managed)


def side_by_side(
    dossier: Mapping[str, Any], rules: RuleSet, unit_counts: UnitCounts | None = None
) -> dict[str, Any]:
    """Per criterion: id, labels, kind, the unit's answer, the verified answer, whether it is met
    (judged on the verified answer once there is one, else on the unit's) and why; per score item:
    the unit's points, the superior's points, the maximum; the totals and the class."""
    own = _answers(dossier.get("assessment"), rules.criteria)
    verified = _answers(dossier.get("verified_assessment"), rules.criteria)
    criteria = []
    for c in rules.criteria:
        self_answer = own.get(c.id) if own is not None else None
        verified_answer = verified.get(c.id) if verified is not None else None
        if c.measure is not None:
            result, judged_on = _counted(c, unit_counts), "engine"
        elif verified_answer is not None:
            result, judged_on = _result(c, verified_answer), "verified"
        else:
            result, judged_on = _result(c, self_answer), "self"
        kind_vi, kind_en = KIND_LABELS[c.kind]
        criteria.append(
            {
                "id": c.id,
                "kind": c.kind.value,
                "kind_label_vi": kind_vi,
                "kind_label_en": kind_en,
                "label_vi": c.label_vi,
                "label_en": c.label_en,
                "counted_by_engine": c.measure is not None,
                "self": self_answer,
                "verified": verified_answer,
                "met": None if result is None else result.met,
                "judged_on": None if result is None else judged_on,
                "detail_vi": None if result is None else result.detail_vi,
                "detail_en": None if result is None else result.detail_en,
            }
        )
    out: dict[str, Any] = {
        "dossier_id": dossier.get("id"),
        "subject_type": dossier.get("subject_type"),
        "state": dossier.get("state"),
        "rule_set_version": rules.version,
        "criteria": criteria,
        "criteria_met": sum(1 for c in criteria if c["met"] is True),
        "criteria_total": len(criteria),
        "scores": None,
        "self_total": None,
        "verified_total": None,
        "total_score": dossier.get("total_score"),
        "classification": _class(dossier.get("classification")),
    }
    if rules.score_table is not None:
        out.update(
            _scores(rules.score_table, dossier.get("self_scores"), dossier.get("verified_scores"))
        )
    return out


def _class(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    vi, en = CLASS_LABELS[MovementClass(value)]
    return {"id": value, "label_vi": vi, "label_en": en}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


def _scores(table: ScoreTable, own: Any, verified: Any) -> dict[str, Any]:
    def valid(sheet: Any) -> Any:
        return sheet if sheet is not None and not score_sheet_reasons(table, sheet) else None

    own, verified = valid(own), valid(verified)
    rows = []
    for item in table.items:
        for it, parent in ((item, None), *((s, item.id) for s in item.sub_items)):
            rows.append(
                {
                    "id": it.id,
                    "code": it.code,
                    "parent": parent,
                    "label_vi": it.label_vi,
                    "label_en": it.label_en,
                    "max": it.max_points,
                    "granted_on_recognition": it.granted_on_recognition,
                    "self": own.get(it.id) if own is not None else None,
                    "verified": verified.get(it.id) if verified is not None else None,
                }
            )
    return {
        "scores": rows,
        "max_total": table.total,
        "self_total": None if own is None else _number(sheet_total(table, own)),
        "verified_total": None if verified is None else _number(sheet_total(table, verified)),
    }


def view(dossier_id: int, engine: Engine | None = None) -> dict[str, Any]:
    """``side_by_side`` for a stored dossier (raises NotFound)."""
    with read_connection(engine) as conn:
        dossier = wf.load(conn, dossier_id)
        rules = rulesets.load(conn, dossier["rule_set_id"])
        counts = (
            commune_unit_counts(conn, dossier)
            if dossier["subject_type"] == SubjectType.XA.value
            else None
        )
    return side_by_side(dossier, rules, counts)
