"""The long forms of a dossier, as page inputs: the unit's self-assessment, its score sheet and
papers (``submit_self_score``), and the police's verified assessment and the superior's score
sheet (``police_verify``). Each builds the very payload the API takes and the engine judges;
a refusal that names a criterion, an item or a paper is shown beside that input.

Field names: ``a.<criterion>`` (met / happened: yes or no), ``a.<criterion>.numerator`` and
``.denominator`` (PCT), ``a.<criterion>.exemption`` and ``.note`` (NEG that happened),
``s.<item>`` (points), ``p.<paper>.ref`` and ``.date``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from states.criteria import Criterion, CriterionKind
from states.lifecycle import Event
from states.rulesets import RuleSet
from states.scoring import ScoreTable

LONG_FORMS = frozenset({Event.SUBMIT_SELF_SCORE, Event.POLICE_VERIFY})
YES, NO = "yes", "no"
NOT_A_NUMBER = "Cần một số / a number is needed"
NEEDS_ANSWER = "Cần trả lời / an answer is needed"
NEEDS_REF = "Cần số, ký hiệu văn bản / the paper's number or reference is needed"
Form = Mapping[str, Any]


def _typed(form: Form, name: str) -> str:
    return str(form.get(name) or "").strip()


def _number(text: str) -> int | float | None:
    """A whole number stays whole (the sheet's fast path); a half point is a float."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _typed_criteria(criteria: tuple[Criterion, ...]) -> list[Criterion]:
    return [c for c in criteria if c.measure is None]  # the engine counts the others


def parse_assessment(form: Form, criteria: tuple[Criterion, ...]) -> tuple[dict, dict]:
    """(``{"answers": …}``, errors by field name) from the inputs of one assessment."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for c in _typed_criteria(criteria):
        key = f"a.{c.id}"
        if c.kind is CriterionKind.PCT:
            counts = {}
            for part in ("numerator", "denominator"):
                text = _typed(form, f"{key}.{part}")
                value = _number(text) if text else None
                if value is None or isinstance(value, float):
                    errors[f"{key}.{part}"] = NOT_A_NUMBER if text else NEEDS_ANSWER
                else:
                    counts[part] = value
            if len(counts) == 2:
                answers[c.id] = counts
            continue
        choice = _typed(form, key)
        if choice not in (YES, NO):
            errors[key] = NEEDS_ANSWER
            continue
        if c.kind is CriterionKind.NEG:
            answer: dict[str, Any] = {"happened": choice == YES}
            exemption = _typed(form, f"{key}.exemption")
            if choice == YES and exemption:
                answer["exemption"] = {"kind": exemption, "note": _typed(form, f"{key}.note")}
            answers[c.id] = answer
        else:
            answers[c.id] = {"met": choice == YES}
    return {"answers": answers}, errors


def parse_scores(form: Form, table: ScoreTable) -> tuple[dict, dict]:
    """The score sheet: each sub-item typed, each item with sub-items their sum."""
    sheet: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in table.items:
        for leaf in item.sub_items or (item,):
            text = _typed(form, f"s.{leaf.id}")
            value = _number(text) if text else None
            if value is None:
                errors[f"s.{leaf.id}"] = NOT_A_NUMBER if text else NEEDS_ANSWER
            else:
                sheet[leaf.id] = value
        if item.sub_items and all(s.id in sheet for s in item.sub_items):
            sheet[item.id] = sum(sheet[s.id] for s in item.sub_items)
    return sheet, errors


def parse_papers(form: Form, rules: RuleSet) -> tuple[dict, dict]:
    papers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for p in rules.policy.required_papers:
        ref = _typed(form, f"p.{p.id}.ref")
        if not ref:
            errors[f"p.{p.id}.ref"] = NEEDS_REF
            continue
        entry = {"ref": ref[:200], "name": p.label_vi}
        day = _typed(form, f"p.{p.id}.date")
        if day:
            entry["date"] = day
        papers[p.id] = entry
    return papers, errors


def long_payload(event: Event, form: Form, rules: RuleSet) -> tuple[dict, dict]:
    """The payload of ``submit_self_score`` or ``police_verify`` from its page form."""
    payload: dict[str, Any] = {}
    errors: dict[str, str] = {}
    answers, e1 = parse_assessment(form, rules.criteria)
    payload["assessment"] = answers
    errors.update(e1)
    if rules.score_table is not None:
        payload["scores"], e2 = parse_scores(form, rules.score_table)
        errors.update(e2)
    if event is Event.SUBMIT_SELF_SCORE:
        payload["papers"], e3 = parse_papers(form, rules)
        errors.update(e3)
    return payload, errors


def prefill(event: Event, row: Mapping[str, Any]) -> dict[str, str]:
    """What the form starts with: the unit's earlier answers (after a return), or, for the
    police, the unit's answers and self-scores to confirm or correct."""
    assessment, scores = row.get("assessment"), row.get("self_scores")
    papers = (assessment or {}).get("papers") if event is Event.SUBMIT_SELF_SCORE else None
    out: dict[str, str] = {}
    for cid, answer in ((assessment or {}).get("answers") or {}).items():
        if not isinstance(answer, Mapping):
            continue
        for flag in ("met", "happened"):
            if isinstance(answer.get(flag), bool):
                out[f"a.{cid}"] = YES if answer[flag] else NO
        for part in ("numerator", "denominator"):
            if part in answer:
                out[f"a.{cid}.{part}"] = str(answer[part])
        exemption = answer.get("exemption")
        if isinstance(exemption, Mapping):
            out[f"a.{cid}.exemption"] = str(exemption.get("kind") or "")
            out[f"a.{cid}.note"] = str(exemption.get("note") or "")
    for item, points in (scores or {}).items():
        out[f"s.{item}"] = str(points)
    for pid, entry in (papers or {}).items():
        if isinstance(entry, Mapping):
            out[f"p.{pid}.ref"] = str(entry.get("ref") or "")
            out[f"p.{pid}.date"] = str(entry.get("date") or "")
    return out


_CRITERION = re.compile(r"criterion ([A-Za-z0-9_-]+) \(")
_ITEM = re.compile(r"item ([A-Za-z0-9_]+) \(")


def field_of_reason(reason: str, rules: RuleSet) -> str | None:
    """The input an engine refusal is about: a criterion, a score item or a paper."""
    english = reason.rsplit(" / ", 1)[-1]
    found = _CRITERION.search(english)
    if found:
        c = next((c for c in rules.criteria if c.id == found.group(1)), None)
        if c is not None and c.kind is CriterionKind.PCT:
            return f"a.{c.id}.numerator"
        return f"a.{found.group(1)}"
    found = _ITEM.search(english)
    if found and rules.score_table is not None:
        item = rules.score_table.item_index.get(found.group(1))
        if item is not None:
            leaf = item.sub_items[0] if item.sub_items else item
            return f"s.{leaf.id}"
    for p in rules.policy.required_papers:
        if f"({p.id})" in reason or english.startswith(f"{p.label_en}:"):
            return f"p.{p.id}.ref"
    return None


def form_sections(rules: RuleSet) -> dict[str, Any]:
    """What the template draws: the criteria to answer, the score items, the papers."""
    table = rules.score_table
    return {
        "criteria": _typed_criteria(rules.criteria),
        "score_items": list(table.items) if table is not None else [],
        "papers": list(rules.policy.required_papers),
    }
