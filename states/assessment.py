"""A unit's self-assessment against its checklist, and the reasons a step must refuse it.

The self-assessment is plain JSON, as the unit (or the police, for the verified copy) sends it::

    {"answers": {
        "REG-1": {"met": true},                                   # REG, POS, FORCE
        "NEG-5": {"happened": true,                               # NEG
                  "exemption": {"kind": "detected_and_reported",
                                "note": "Phát hiện ngày 3/5, báo Công an xã ngay"}},
        "PCT-1": {"numerator": 9, "denominator": 12}}}            # PCT: the counts, not a ratio

Every answer may also carry a free-text ``note``. Criteria the engine counts itself (a commune's
units registered / recognised) are not answered here: ``xa_units_reasons`` judges them.

Every function returns reasons, Vietnamese first and English after, each naming the criterion,
so that a guard can show a reviewer exactly what is wrong; an empty list means "nothing to say".
Ratios are judged with integers only: "at least p%" of N means at least ceil(p·N/100), computed
as ``-(-p * N // 100)``, so 70% of 25 is 18 and no float rounding can let 17 through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from states.criteria import EXEMPTION_LABELS, Criterion, CriterionKind, EngineMeasure, Exemption

_BOOLEAN_KINDS = (CriterionKind.REG, CriterionKind.POS, CriterionKind.FORCE)
ANSWER_KEYS: dict[CriterionKind, frozenset[str]] = {
    **{k: frozenset({"met", "note"}) for k in _BOOLEAN_KINDS},
    CriterionKind.NEG: frozenset({"happened", "exemption", "note"}),
    CriterionKind.PCT: frozenset({"numerator", "denominator", "note"}),
}
ASSESSMENT_KEYS = frozenset({"answers"})
EXEMPTION_KEYS = frozenset({"kind", "note"})
# The kinds a commune reviewer or the police must refuse outright; REG and POS are judged at the
# decision, where every criterion must be met.
DISQUALIFYING_KINDS = frozenset({CriterionKind.NEG, CriterionKind.PCT, CriterionKind.FORCE})


def pct_required(threshold_pct: int, denominator: int) -> int:
    """The least count that reaches ``threshold_pct`` percent of ``denominator``: ceil(p·N/100)
    in integers (100% of N is N; 70% of 25 is 18; 70% of 10 is 7; 70% of 3 is 3; 70% of 1 is 1)."""
    if denominator < 0 or not 0 <= threshold_pct <= 100:
        raise ValueError(f"bad ratio: {threshold_pct}% of {denominator}")
    return -(-threshold_pct * denominator // 100)


def pct_met(numerator: int, denominator: int, threshold_pct: int) -> bool:
    return numerator >= pct_required(threshold_pct, denominator)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _say(criterion: Criterion, vi: str, en: str) -> str:
    name_vi, name_en = criterion.name()
    return f"{name_vi}: {vi} / {name_en}: {en}"


# ------------------------------------------------------------------------------------------------
# Is the assessment complete and well-formed?


def assessment_reasons(criteria: Iterable[Criterion], assessment: Any) -> list[str]:
    """Why the assessment is incomplete or invalid for this checklist (empty list: valid)."""
    criteria = list(criteria)
    if not isinstance(assessment, Mapping):
        return [
            'Bản tự đánh giá phải là một đối tượng {"answers": {...}} / the self-assessment '
            'must be an object {"answers": {...}}'
        ]
    reasons = [
        f"Trường '{k}' không được hỗ trợ trong bản tự đánh giá / unknown field '{k}' in the "
        "self-assessment"
        for k in assessment
        if k not in ASSESSMENT_KEYS
    ]
    answers = assessment.get("answers")
    if not isinstance(answers, Mapping):
        return reasons + [
            'Bản tự đánh giá thiếu phần trả lời "answers" / the self-assessment has '
            'no "answers" object'
        ]
    by_id = {c.id: c for c in criteria}
    for key in answers:
        if key not in by_id:
            reasons.append(f"Tiêu chí '{key}' không có trong danh sách / unknown criterion '{key}'")
    for c in criteria:
        if c.measure is not None:
            if c.id in answers:
                reasons.append(
                    _say(
                        c,
                        "do hệ thống tự đếm, đơn vị không khai",
                        "counted by the engine, not answered by the unit",
                    )
                )
        elif c.id not in answers:
            reasons.append(_say(c, "chưa trả lời", "not answered"))
        else:
            reasons.extend(_answer_reasons(c, answers[c.id]))
    return reasons


def _answer_reasons(c: Criterion, answer: Any) -> list[str]:
    if not isinstance(answer, Mapping):
        return [_say(c, "câu trả lời phải là một đối tượng", "the answer must be an object")]
    out = [
        _say(
            c,
            f"trường '{k}' không hợp lệ với loại {c.kind.value}",
            f"field '{k}' does not belong to a {c.kind.value} answer",
        )
        for k in answer
        if k not in ANSWER_KEYS[c.kind]
    ]
    if "note" in answer and not isinstance(answer["note"], str):
        out.append(_say(c, "ghi chú phải là văn bản", "the note must be text"))
    if c.kind in _BOOLEAN_KINDS:
        if not isinstance(answer.get("met"), bool):
            out.append(
                _say(
                    c,
                    "cần trả lời đạt (true) hoặc chưa đạt (false) ở trường 'met'",
                    "'met' must be true or false",
                )
            )
    elif c.kind is CriterionKind.NEG:
        out.extend(_neg_reasons(c, answer))
    elif c.kind is CriterionKind.PCT:
        out.extend(_count_reasons(c, answer.get("numerator"), answer.get("denominator")))
    return out


def _neg_reasons(c: Criterion, answer: Mapping[str, Any]) -> list[str]:
    happened = answer.get("happened")
    if not isinstance(happened, bool):
        return [
            _say(
                c,
                "cần trả lời có xảy ra (true) hay không (false) ở trường 'happened'",
                "'happened' must be true or false",
            )
        ]
    exemption = answer.get("exemption")
    if exemption is None:
        return []
    if not happened:
        return [
            _say(
                c,
                "không xảy ra thì không cần miễn trừ",
                "an exemption is only for an event that happened",
            )
        ]
    if not isinstance(exemption, Mapping):
        return [
            _say(
                c,
                'miễn trừ phải có dạng {"kind": ..., "note": ...}',
                'the exemption must be an object {"kind": ..., "note": ...}',
            )
        ]
    out = [
        _say(
            c, f"trường '{k}' không hợp lệ trong miễn trừ", f"unknown field '{k}' in the exemption"
        )
        for k in exemption
        if k not in EXEMPTION_KEYS
    ]
    allowed = [e.value for e in c.exemptions]
    kind = exemption.get("kind")
    if not c.exemptions:
        out.append(
            _say(
                c, "tiêu chí này không có trường hợp miễn trừ", "this criterion admits no exemption"
            )
        )
    elif kind not in allowed:
        out.append(
            _say(
                c,
                f"loại miễn trừ '{kind}' không hợp lệ, chỉ được: {', '.join(allowed)}",
                f"exemption '{kind}' is not allowed here; use one of: {', '.join(allowed)}",
            )
        )
    if not _text(exemption.get("note")):
        out.append(
            _say(
                c,
                "miễn trừ phải kèm ghi chú giải trình",
                "an exemption needs a note that explains it",
            )
        )
    return out


def _count_reasons(c: Criterion, numerator: Any, denominator: Any) -> list[str]:
    if not _is_int(numerator) or not _is_int(denominator):
        return [
            _say(
                c,
                "cần số nguyên ở 'numerator' và 'denominator'",
                "'numerator' and 'denominator' must be whole numbers",
            )
        ]
    if denominator < 0 or numerator < 0:
        return [
            _say(
                c,
                f"số đếm âm ({numerator}/{denominator})",
                f"counts cannot be negative ({numerator}/{denominator})",
            )
        ]
    if numerator > denominator:
        return [
            _say(
                c,
                f"tử số {numerator} lớn hơn mẫu số {denominator}",
                f"numerator {numerator} is above the denominator {denominator}",
            )
        ]
    if denominator == 0 and not c.allow_zero:
        return [
            _say(
                c,
                f"mẫu số bằng 0 ({c.counts_vi or 'không có gì để đếm'})",
                f"the denominator is 0 ({c.counts_en or 'nothing to count'})",
            )
        ]
    return []


# ------------------------------------------------------------------------------------------------
# Is each criterion met?


@dataclass(frozen=True)
class CriterionResult:
    """One line of the side-by-side view: the criterion, whether it holds, and why in words."""

    criterion: Criterion
    met: bool
    detail_vi: str
    detail_en: str

    def reason(self) -> str:
        return _say(self.criterion, self.detail_vi, self.detail_en)


class InvalidAssessment(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def evaluate(criteria: Iterable[Criterion], assessment: Mapping[str, Any]) -> list[CriterionResult]:
    """Judge every criterion the unit answers. Raises ``InvalidAssessment`` on an invalid one."""
    criteria = list(criteria)
    reasons = assessment_reasons(criteria, assessment)
    if reasons:
        raise InvalidAssessment(reasons)
    answers = assessment["answers"]
    return [judge(c, answers[c.id]) for c in criteria if c.measure is None]


Window = tuple[date, date]  # the evaluation period (first, last day) a NEG criterion covers


def _in_window(window: Window | None) -> tuple[str, str]:
    if window is None:
        return "", ""
    first, last = window
    return (
        f" trong kỳ đánh giá {first:%d/%m/%Y}–{last:%d/%m/%Y}",
        f" in the evaluation window {first.isoformat()} to {last.isoformat()}",
    )


def judge(c: Criterion, answer: Mapping[str, Any], window: Window | None = None) -> CriterionResult:
    """One unit-answered criterion judged on its (valid) answer; a NEG criterion's words name
    the evaluation ``window`` it covers when given (TT 124 Điều 8.2)."""
    if c.kind in _BOOLEAN_KINDS:
        if answer["met"]:
            return CriterionResult(c, True, "đạt", "met")
        return CriterionResult(c, False, "chưa đạt", "not met")
    if c.kind is CriterionKind.NEG:
        in_vi, in_en = _in_window(window)
        if not answer["happened"]:
            return CriterionResult(c, True, f"không xảy ra{in_vi}", f"did not happen{in_en}")
        exemption = answer.get("exemption")
        if exemption is None:
            return CriterionResult(
                c,
                False,
                f"đã xảy ra{in_vi}, không có miễn trừ",
                f"happened with no exemption{in_en}",
            )
        vi, en = EXEMPTION_LABELS[Exemption(exemption["kind"])]
        return CriterionResult(
            c,
            True,
            f"đã xảy ra, được miễn trừ: {vi} ({exemption['note']})",
            f"happened, exempted: {en} ({exemption['note']})",
        )
    return pct_result(c, answer["numerator"], answer["denominator"])


def pct_result(c: Criterion, numerator: int, denominator: int) -> CriterionResult:
    """A PCT criterion judged on its counts; the detail names the numbers either way."""
    pct = c.threshold_pct or 0
    need = pct_required(pct, denominator)
    counts_vi = f" {c.counts_vi}" if c.counts_vi else ""
    counts_en = f" {c.counts_en}" if c.counts_en else ""
    if pct == 100:
        rule_vi, rule_en = f"cần đủ {need}/{denominator} (100%)", f"all {denominator} needed (100%)"
    else:
        rule_vi = f"cần ít nhất {need}/{denominator} ({pct}%)"
        rule_en = f"at least {need} of {denominator} needed ({pct}%)"
    met = numerator >= need
    return CriterionResult(
        c,
        met,
        f"{numerator}/{denominator}{counts_vi}, {rule_vi}"
        + ("" if met else f", còn thiếu {need - numerator}"),
        f"{numerator} of {denominator}{counts_en}, {rule_en}"
        + ("" if met else f", {need - numerator} short"),
    )


def unmet_reasons(
    criteria: Iterable[Criterion], assessment: Any, kinds: Iterable[CriterionKind] | None = None
) -> list[str]:
    """Why the assessment does not meet the checklist: its validity problems if it has any,
    else one reason per unmet criterion (of ``kinds``, default all). The recognition guard."""
    criteria = list(criteria)
    reasons = assessment_reasons(criteria, assessment)
    if reasons:
        return reasons
    wanted = set(kinds) if kinds is not None else set(CriterionKind)
    return [
        r.reason()
        for r in evaluate(criteria, assessment)
        if not r.met and r.criterion.kind in wanted
    ]


def disqualifying_reasons(criteria: Iterable[Criterion], assessment: Any) -> list[str]:
    """Unexempted NEG, failed PCT, failed FORCE: what commune review and police verification
    refuse (the reviewer returns the dossier or the UBND rejects it)."""
    return unmet_reasons(criteria, assessment, DISQUALIFYING_KINDS)


def is_met(c: Criterion, answer: Mapping[str, Any]) -> bool:
    """Whether a (valid) answer meets its criterion, without building the words: the hot path."""
    if c.kind is CriterionKind.NEG:
        return not answer["happened"] or answer.get("exemption") is not None
    if c.kind is CriterionKind.PCT:
        return pct_met(answer["numerator"], answer["denominator"], c.threshold_pct or 0)
    return answer["met"] is True


def stored_unmet_reasons(
    criteria: Iterable[Criterion],
    assessment: Any,
    kinds: Iterable[CriterionKind] | None = None,
    window: Window | None = None,
) -> list[str]:
    """``unmet_reasons`` for an assessment the engine stored after validating it under the same
    rule set (rule sets never change): judged without validating it again. Anything that does not
    have the validated shape falls back to the full check, which names the problem."""
    wanted = frozenset(kinds) if kinds is not None else None
    try:
        answers = assessment["answers"]
        return [
            judge(c, answers[c.id], window).reason()
            for c in criteria
            if c.measure is None
            and (wanted is None or c.kind in wanted)
            and not is_met(c, answers[c.id])
        ]
    except (KeyError, TypeError):
        return unmet_reasons(criteria, assessment, kinds)


def stored_disqualifying_reasons(
    criteria: Iterable[Criterion], assessment: Any, window: Window | None = None
) -> list[str]:
    """``disqualifying_reasons`` for a stored, already validated assessment."""
    return stored_unmet_reasons(criteria, assessment, DISQUALIFYING_KINDS, window)


# ------------------------------------------------------------------------------------------------
# Criteria the engine counts: a commune's units


def engine_count_reasons(
    criteria: Iterable[Criterion], counts: Mapping[EngineMeasure, tuple[int, int]]
) -> list[str]:
    """Judge every engine-counted PCT criterion on ``counts[measure] = (numerator, denominator)``."""
    reasons: list[str] = []
    for c in criteria:
        if c.measure is None:
            continue
        if c.measure not in counts:
            raise KeyError(f"no count given for {c.measure.value} ({c.id})")
        numerator, denominator = counts[c.measure]
        problems = _count_reasons(c, numerator, denominator)
        if problems:
            reasons.extend(problems)
        else:
            result = pct_result(c, numerator, denominator)
            if not result.met:
                reasons.append(result.reason())
    return reasons


def xa_units_reasons(
    criteria: Iterable[Criterion], managed: int, registered: int, recognised: int
) -> list[str]:
    """The commune rule: of the N units it manages (KDC, CQ, DN, CSGD), 100% registered this year
    and at least ceil(0.7 N) recognised (thresholds from the rule set's criteria). Each reason
    names the numbers, e.g. 17 of 25 recognised, at least 18 needed."""
    if not 0 <= recognised <= registered <= managed:
        raise ValueError(
            f"inconsistent counts: managed {managed}, registered {registered}, "
            f"recognised {recognised}"
        )
    return engine_count_reasons(
        criteria,
        {
            EngineMeasure.UNITS_REGISTERED: (registered, managed),
            EngineMeasure.UNITS_RECOGNISED: (recognised, managed),
        },
    )


# ------------------------------------------------------------------------------------------------
# The dossier's papers: names and references are enough (no file upload)


class Paper(BaseModel):
    """A paper the dossier must list (tờ trình, báo cáo, biên bản)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_vi: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


DEFAULT_PAPERS: tuple[Paper, ...] = (
    Paper(id="to_trinh", label_vi="Tờ trình đề nghị công nhận", label_en="Submission"),
    Paper(id="bao_cao", label_vi="Báo cáo kết quả", label_en="Results report"),
    Paper(id="bien_ban", label_vi="Biên bản cuộc họp tự đánh giá", label_en="Meeting minutes"),
)
PAPER_KEYS = frozenset({"ref", "name", "date"})


def papers_reasons(required: Sequence[Paper], papers: Any) -> list[str]:
    """Why the listed papers fall short. ``papers`` maps a paper id to ``{"ref": "Số 12/TTr-…",
    "name": optional title, "date": optional "YYYY-MM-DD"}``; other papers may be listed too."""
    if not isinstance(papers, Mapping):
        return [
            'Danh mục hồ sơ phải là đối tượng {mã giấy tờ: {"ref": ...}} / the papers must be '
            'an object {paper id: {"ref": ...}}'
        ]
    reasons: list[str] = []
    for p in required:
        if p.id not in papers:
            reasons.append(f"Thiếu {p.label_vi} ({p.id}) / missing paper: {p.label_en} ({p.id})")
    labels = {p.id: (p.label_vi, p.label_en) for p in required}
    for pid, entry in papers.items():
        vi, en = labels.get(pid, (pid, pid))
        if not isinstance(entry, Mapping) or not _text(entry.get("ref")):
            reasons.append(
                f"{vi}: cần số, ký hiệu hoặc tham chiếu ở 'ref' / {en}: a number or "
                "reference is needed in 'ref'"
            )
        else:
            reasons.extend(
                f"{vi}: trường '{k}' không hợp lệ / {en}: unknown field '{k}'"
                for k in entry
                if k not in PAPER_KEYS
            )
            if "date" in entry and not _iso_date(entry["date"]):
                reasons.append(
                    f"{vi}: ngày '{entry['date']}' không hợp lệ (YYYY-MM-DD) / {en}: "
                    f"date '{entry['date']}' is not YYYY-MM-DD"
                )
    return reasons


def _iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def paper_ids_problems(papers: Iterable[Paper]) -> list[str]:
    return [
        f"Mã giấy tờ '{pid}' bị trùng / paper id '{pid}' is listed {n} times"
        for pid, n in Counter(p.id for p in papers).items()
        if n > 1
    ]
