"""Rule sets: the rules of one (province, year, subject type), pinned to a dossier at registration.

A rule set carries everything a dossier is judged by: the criteria checklist, the 100-point table
(CQ, DN, CSGD; none for KDC and XA), the class bands, a policy section, and ``deadlines`` (its
content belongs to the clock: this module only carries it). The engine stores a published rule
set's body as JSON (``to_json``/``from_json``) and a dossier keeps the row it was opened under,
so a rule set is frozen: a change is a new version, never an edit.

Validation lists every problem at once: a province fixing its table should not have to resubmit
five times to learn about five mistakes. Sections a caller leaves out are filled from the national
data of the subject type, so ``RuleSet(year=2025, subject_type="CQ")`` is the national default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from states.assessment import DEFAULT_PAPERS, Paper, paper_ids_problems
from states.criteria import Criterion, checklist, criteria_problems
from states.scoring import (
    DEFAULT_BANDS,
    MOVEMENT_TABLE,
    Band,
    ScoreTable,
    bands_problems,
    score_table_problems,
)
from states.subjects import SubjectType

# Subject types judged on the 100-point movement table (domain.md); KDC and XA are not.
SCORED_SUBJECTS = frozenset({SubjectType.CQ, SubjectType.DN, SubjectType.CSGD})

_MONTH_DAY = re.compile(r"([0-9]{2})-([0-9]{2})")


def _month_day(value: str) -> str:
    match = _MONTH_DAY.fullmatch(value)
    if match:
        try:  # a leap year, so that a window may end on 02-29
            date(2000, int(match[1]), int(match[2]))
            return value
        except ValueError:
            pass
    raise ValueError(f"'{value}' không phải ngày dạng MM-DD / '{value}' is not a month-day (MM-DD)")


MonthDay = Annotated[str, AfterValidator(_month_day)]


@lru_cache(maxsize=1024)  # a handful of (year, day) pairs, asked by every guard and answer
def _on(year: int, month_day: str) -> date:
    month, day = int(month_day[:2]), int(month_day[3:])
    if (month, day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


class RegistrationWindow(BaseModel):
    """When units may register for the year: quarter I by default (TT 124); a province may extend
    it, as Đồng Nai did to 31/8 in 2025."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: MonthDay = "01-01"
    end: MonthDay = "03-31"

    def bounds(self, year: int) -> tuple[date, date]:
        return _on(year, self.start), _on(year, self.end)


class EvaluationWindow(BaseModel):
    """The period a year's results cover (TT 124 Điều 8.2): from ``start`` of the previous year
    (``from_previous_year``) to ``end`` of the dossier's year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: MonthDay
    end: MonthDay
    from_previous_year: bool = True

    def bounds(self, year: int) -> tuple[date, date]:
        return _on(year - 1 if self.from_previous_year else year, self.start), _on(year, self.end)


# The law's windows: KDC from 01/11 of the previous year to 31/10; the others 16/11 to 15/11.
NATIONAL_WINDOWS: dict[SubjectType, EvaluationWindow] = {
    s: EvaluationWindow(start="11-01", end="10-31")
    if s is SubjectType.KDC
    else EvaluationWindow(start="11-16", end="11-15")
    for s in SubjectType
}


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The national text has no revocation; a province may add it.
    revocation_enabled: bool = False
    registration_window: RegistrationWindow = RegistrationWindow()
    # A reviewer may return a dossier once for supplements (domain.md).
    max_returns_per_step: int = Field(default=1, ge=0)
    # The share of units the province aims to see recognised (Quảng Ngãi 80%, Tây Ninh 90%).
    recognition_target_pct: int = Field(default=80, ge=0, le=100)
    required_papers: tuple[Paper, ...] = DEFAULT_PAPERS
    # None: the law's window for the subject type (NATIONAL_WINDOWS); a province may set its own.
    evaluation_window: EvaluationWindow | None = None


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    province_code: int | None = Field(default=None, ge=1)  # None: the national default
    year: int = Field(ge=2000, le=2100)
    subject_type: SubjectType
    version: int = Field(default=1, ge=1)
    criteria: tuple[Criterion, ...] = ()
    score_table: ScoreTable | None = None
    bands: tuple[Band, ...] = DEFAULT_BANDS
    policy: Policy = Policy()
    deadlines: dict = Field(default_factory=dict)  # owned by the clock (issue 4)

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> RuleSet:
        if not isinstance(data, Mapping):
            return handler(data)
        data = _with_national_sections(data)
        try:
            rules = handler(data)
        except ValidationError as exc:
            # Structure is broken somewhere; still judge every section that parses on its own.
            extra = _section_problems(data)
            if not extra:
                raise
            raise _validation_error(extra, structural=exc.errors()) from None
        problems = rule_set_problems(rules)
        if problems:
            raise _validation_error(problems)
        return rules

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> RuleSet:
        return cls.model_validate_json(text)

    @property
    def key(self) -> tuple[int | None, int, SubjectType]:
        return self.province_code, self.year, self.subject_type


def _with_national_sections(data: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(data)
    try:
        subject = SubjectType(data.get("subject_type"))
    except ValueError:
        return data  # the handler reports the bad subject type
    if "criteria" not in data:
        data["criteria"] = [c.model_dump() for c in checklist(subject)]
    if "score_table" not in data and subject in SCORED_SUBJECTS:
        data["score_table"] = MOVEMENT_TABLE.model_dump()
    return data


Problem = tuple[tuple[str, ...], str]  # (location, bilingual message)


def rule_set_problems(rules: RuleSet) -> list[Problem]:
    """Every semantic problem of a structurally valid rule set."""
    problems: list[Problem] = []
    problems += [(("criteria",), p) for p in criteria_problems(rules.criteria)]
    if rules.score_table is not None:
        problems += [(("score_table",), p) for p in score_table_problems(rules.score_table)]
    elif rules.subject_type in SCORED_SUBJECTS:
        problems.append(
            (
                ("score_table",),
                f"{rules.subject_type.value} được chấm theo bảng 100 "
                f"điểm, không thể bỏ bảng điểm / {rules.subject_type.value} is scored on "
                "the 100-point table: the score table cannot be empty",
            )
        )
    total = rules.score_table.total if rules.score_table is not None else 100
    problems += [(("bands",), p) for p in bands_problems(rules.bands, total)]
    problems += _policy_problems(rules.policy)
    return problems


def _policy_problems(policy: Policy) -> list[Problem]:
    window: list[Problem] = [
        (("policy", "registration_window"), p) for p in _window_problems(policy.registration_window)
    ]
    papers: list[Problem] = [
        (("policy", "required_papers"), p) for p in paper_ids_problems(policy.required_papers)
    ]
    evaluation = policy.evaluation_window
    if (
        evaluation is not None
        and not evaluation.from_previous_year
        and evaluation.end < evaluation.start
    ):
        window.append(
            (
                ("policy", "evaluation_window"),
                f"Kỳ đánh giá kết thúc ({evaluation.end}) trước khi bắt đầu ({evaluation.start}) "
                f"/ the evaluation window ends ({evaluation.end}) before it starts "
                f"({evaluation.start})",
            )
        )
    return window + papers


def _window_problems(window: RegistrationWindow) -> list[str]:
    if window.end < window.start:  # "MM-DD" strings order as dates do
        return [
            f"Thời hạn đăng ký kết thúc ({window.end}) trước khi bắt đầu ({window.start}) / "
            f"the registration window ends ({window.end}) before it starts ({window.start})"
        ]
    return []


# (where, how to parse it alone, what to check): the sections ``_section_problems`` can judge
# on their own when a sibling's structure is broken.
_SECTIONS: tuple[tuple[tuple[str, ...], TypeAdapter, Callable[[Any], list[str]]], ...] = (
    (("criteria",), TypeAdapter(tuple[Criterion, ...]), criteria_problems),
    (("score_table",), TypeAdapter(ScoreTable), score_table_problems),
    (("bands",), TypeAdapter(tuple[Band, ...]), bands_problems),
    (("policy", "registration_window"), TypeAdapter(RegistrationWindow), _window_problems),
    (("policy", "required_papers"), TypeAdapter(tuple[Paper, ...]), paper_ids_problems),
)


def _section_problems(data: Mapping[str, Any]) -> list[Problem]:
    """The semantic problems of each section that parses on its own (used when another section's
    structure is broken, so that the author still sees every mistake at once)."""
    problems: list[Problem] = []
    for loc, adapter, check in _SECTIONS:
        value: Any = data
        for key in loc:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None:
            continue
        try:
            parsed = adapter.validate_python(value)
        except ValidationError:
            continue  # already reported by the full validation
        problems += [(loc, p) for p in check(parsed)]
    return problems


def _message(kind: str, text: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": text})


def _validation_error(
    problems: list[Problem], structural: Sequence[ErrorDetails] = ()
) -> ValidationError:
    # Structural errors are re-raised as plain messages: their own types may need context that
    # cannot be rebuilt here, and the reader only needs where and what.
    details = [
        InitErrorDetails(
            type=_message("invalid", e["msg"]), loc=tuple(e["loc"]), input=e.get("input")
        )
        for e in structural
    ]
    details += [
        InitErrorDetails(type=_message("rule_set", msg), loc=loc, input=None)
        for loc, msg in problems
    ]
    return ValidationError.from_exception_data("RuleSet", details)


def check_rule_set(data: Mapping[str, Any] | str | bytes) -> list[str]:
    """Every reason a rule set body (a dict, or its JSON text) is refused; empty when valid.
    Each reason starts with where the problem is, e.g. 'score_table: …'."""
    try:
        if isinstance(data, (str, bytes)):
            RuleSet.model_validate_json(data)
        else:
            RuleSet.model_validate(data)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or 'rule_set'}: {e['msg']}" for e in exc.errors()
        ]
    return []


def national_default(year: int, subject_type: SubjectType | str) -> RuleSet:
    return RuleSet(year=year, subject_type=SubjectType(subject_type))


# ------------------------------------------------------------------------------------------------
# Provincial overrides


class Override(BaseModel):
    """What a province changes on top of a rule set: it may add criteria, replace the bands or the
    score table, and patch the policy (e.g. enable revocation, extend the registration window)
    or the deadlines. It cannot remove a national criterion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    province_code: int = Field(ge=1)
    version: int | None = Field(default=None, ge=1)
    add_criteria: tuple[Criterion, ...] = ()
    bands: tuple[Band, ...] | None = None
    score_table: ScoreTable | None = None
    policy: dict[str, Any] = Field(default_factory=dict)  # merged key by key
    deadlines: dict[str, Any] = Field(default_factory=dict)  # merged key by key, content not read


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_override(base: RuleSet, override: Override | Mapping[str, Any]) -> RuleSet:
    """A new, validated rule set: ``base`` with the province's changes. Raises ValidationError
    listing every problem (e.g. an added criterion reusing an id, bands out of order)."""
    if not isinstance(override, Override):
        override = Override.model_validate(override)
    if base.province_code is not None and base.province_code != override.province_code:
        raise ValueError(
            f"rule set of province {base.province_code} cannot take an override for "
            f"province {override.province_code}"
        )
    body = base.model_dump(mode="json")
    body["province_code"] = override.province_code
    if override.version is not None:
        body["version"] = override.version
    body["criteria"] += [c.model_dump(mode="json") for c in override.add_criteria]
    if override.bands is not None:
        body["bands"] = [b.model_dump(mode="json") for b in override.bands]
    if override.score_table is not None:
        body["score_table"] = override.score_table.model_dump(mode="json")
    body["policy"] = _merge(body["policy"], override.policy)
    body["deadlines"] = _merge(body["deadlines"], override.deadlines)
    return RuleSet.model_validate(body)


def national_floor_problems(rules: RuleSet) -> list[str]:
    """A province may add criteria, never drop or retype a national one: the problems of a
    province's rule set against the national checklist of its subject type (none for national)."""
    if rules.province_code is None:
        return []
    own = {c.id: c for c in rules.criteria}
    problems = []
    for c in checklist(rules.subject_type):
        if c.id not in own:
            problems.append(
                f"criteria: tỉnh không được bỏ tiêu chí quốc gia {c.id} / a province "
                f"cannot drop the national criterion {c.id} ({c.label_en})"
            )
        elif own[c.id].kind is not c.kind or own[c.id].measure is not c.measure:
            problems.append(
                f"criteria: tiêu chí quốc gia {c.id} phải giữ loại {c.kind.value} / the "
                f"national criterion {c.id} must keep its kind {c.kind.value}"
            )
    return problems


def evaluation_window(rules: RuleSet, year: int | None = None) -> tuple[date, date]:
    """The evaluation period (first and last day) of ``year`` (default: the rule set's year)
    under ``rules``: the province's window if it set one, else the law's for the subject type."""
    window = rules.policy.evaluation_window or NATIONAL_WINDOWS[rules.subject_type]
    return window.bounds(rules.year if year is None else year)


def registration_window_reasons(rules: RuleSet, day: date) -> list[str]:
    """Why registering on ``day`` for ``rules.year`` is refused: outside the rule set's window."""
    start, end = rules.policy.registration_window.bounds(rules.year)
    if start <= day <= end:
        return []
    return [
        f"Ngoài thời hạn đăng ký năm {rules.year}: từ {start:%d/%m/%Y} đến {end:%d/%m/%Y} "
        f"(ngày đăng ký {day:%d/%m/%Y}) / outside the {rules.year} registration window "
        f"{start.isoformat()} to {end.isoformat()} (registered on {day.isoformat()})"
    ]
