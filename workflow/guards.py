"""Named checks the lifecycle table attaches to events. Each returns the reasons it refuses
(Vietnamese / English), never a bare boolean, so a reviewer sees exactly what is missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, select

from states.assessment import (
    assessment_reasons,
    disqualifying_reasons,
    papers_reasons,
    stored_disqualifying_reasons,
    stored_unmet_reasons,
    xa_units_reasons,
)
from states.calendar import local_date
from states.lifecycle import STATE_OF, Event, State, Transition
from states.rulesets import RuleSet, evaluation_window
from states.scoring import score_sheet_reasons
from states.subjects import ManagingLevel, SubjectType
from workflow.actors import Actor
from workflow.models import Dossier, Unit, table_of


@dataclass(slots=True)  # built on every fire
class GuardContext:
    conn: Connection
    dossier: dict[str, Any]
    rules: RuleSet
    transition: Transition
    payload: dict[str, Any]
    actor: Actor
    now: datetime

    @property
    def state(self) -> State:
        return STATE_OF[self.dossier["state"]]


def _no_fields(rules: RuleSet) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Guard:
    check: Callable[[GuardContext], list[str]]
    # A guard that reads the payload cannot be judged before the payload exists (allowed actions).
    uses_payload: bool = False
    # The payload fields it needs under a rule set: listed under "requires" in allowed actions.
    fields: Callable[[RuleSet], tuple[str, ...]] = _no_fields


GUARDS: dict[str, Guard] = {}


def guard(
    name: str,
    *,
    uses_payload: bool = False,
    fields: Callable[[RuleSet], tuple[str, ...]] = _no_fields,
):
    def register(fn: Callable[[GuardContext], list[str]]):
        GUARDS[name] = Guard(fn, uses_payload, fields)
        return fn

    return register


def _scores_field(rules: RuleSet) -> tuple[str, ...]:
    return ("scores",) if rules.score_table is not None else ()


REQUIRED_FIELD_REASONS = {
    "reason": "Cần ghi rõ lý do bằng văn bản / a written reason is required",
    "decision_no": "Cần số quyết định / the decision number is required",
    "decision_date": "Cần ngày quyết định (YYYY-MM-DD) / the decision date is required (YYYY-MM-DD)",
}
RETURN_GUIDANCE = (
    "Cần hướng dẫn bằng văn bản những nội dung phải bổ sung / written guidance on "
    "what is missing is required"
)


def missing_fields(transition: Transition, payload: dict[str, Any]) -> list[str]:
    reasons = []
    for name in transition.required:
        value = payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name == "reason" and transition.event is Event.RETURN_FOR_REVISION:
                reasons.append(RETURN_GUIDANCE)
            else:
                reasons.append(REQUIRED_FIELD_REASONS.get(name, f"'{name}' is required"))
        elif name == "decision_date" and parse_date(value) is None:
            reasons.append(_bad_date(value))
    return reasons


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@guard("decision_date", uses_payload=True)
def _decision_date(ctx: GuardContext) -> list[str]:
    """A decision is dated inside the dossier's year and not after today in Vietnam."""
    value = ctx.payload.get("decision_date")
    if value is None or (isinstance(value, str) and not value.strip()):
        return []  # required or not, missing_fields speaks for a missing one
    day = parse_date(value)
    if day is None:
        # recognise: missing_fields already named the bad format; revoke takes it optionally
        return [] if "decision_date" in ctx.transition.required else [_bad_date(value)]
    year = ctx.dossier["year"]
    first, last = date(year, 1, 1), min(date(year, 12, 31), local_date(ctx.now))
    if first <= day <= last:
        return []
    if last < first:
        return [
            f"Ngày quyết định {day:%d/%m/%Y} không hợp lệ: năm {year} chưa bắt đầu (hôm nay "
            f"{local_date(ctx.now):%d/%m/%Y}) / decision date {day.isoformat()} is not "
            f"allowed: the year {year} has not begun (today is {local_date(ctx.now).isoformat()})"
        ]
    return [
        f"Ngày quyết định {day:%d/%m/%Y} phải từ {first:%d/%m/%Y} đến {last:%d/%m/%Y} (trong "
        f"năm {year} của hồ sơ, không sau hôm nay theo giờ Việt Nam) / decision date "
        f"{day.isoformat()} must be from {first.isoformat()} to {last.isoformat()} (in the "
        f"dossier's year {year}, not after today in Vietnam)"
    ]


def _bad_date(value: Any) -> str:
    return (
        f"Ngày quyết định '{value}' không hợp lệ / decision date '{value}' is not a date "
        "(YYYY-MM-DD)"
    )


@guard("return_limit")
def _return_limit(ctx: GuardContext) -> list[str]:
    used = (ctx.dossier.get("returns") or {}).get(ctx.state.value, 0)
    limit = ctx.rules.policy.max_returns_per_step
    if used >= limit:
        return [
            f"Hồ sơ đã được trả lại {used} lần ở bước này (tối đa {limit}); hãy quyết định "
            f"/ the dossier was already returned {used} time(s) at this step (limit {limit}): "
            "approve it, or the People's Committee rejects it"
        ]
    return []


@guard("revocation_enabled")
def _revocation_enabled(ctx: GuardContext) -> list[str]:
    if not ctx.rules.policy.revocation_enabled:
        return [
            "Bộ quy tắc của năm không cho phép thu hồi công nhận / the rule set of this year "
            "does not enable revocation"
        ]
    return []


# ------------------------------------------------------------------------------------------------
# The rules of the dossier's pinned rule set (states.assessment, states.scoring). Guards that read
# the payload cannot be judged in the allowed-actions view; those that read the stored assessment
# or count other dossiers can, and show their reasons there.

CANNOT_PASS = (
    "Hồ sơ không thể chuyển bước: trả lại để bổ sung (return_for_revision) hoặc UBND "
    "quyết định không công nhận (reject) / the dossier cannot move on: return it for "
    "revision, or the People's Committee rejects it"
)


def _subject(ctx: GuardContext) -> str:
    return ctx.dossier["subject_type"]


@guard("self_assessment", uses_payload=True, fields=lambda rules: ("assessment",))
def _self_assessment(ctx: GuardContext) -> list[str]:
    answers = ctx.payload.get("assessment")
    if answers is None:
        ids = ", ".join(c.id for c in ctx.rules.criteria if c.measure is None)
        return [
            f"Cần bản tự đánh giá theo từng tiêu chí ('assessment'): {ids} / the "
            f"self-assessment ('assessment') is required, answering every criterion: {ids}"
        ]
    return assessment_reasons(ctx.rules.criteria, answers)


def _sheet_reasons(ctx: GuardContext, whose_vi: str, whose_en: str) -> list[str]:
    table = ctx.rules.score_table
    sheet = ctx.payload.get("scores")
    if table is None:
        if sheet is None:
            return []
        return [
            f"{_subject(ctx)} không chấm theo bảng 100 điểm, bỏ trường 'scores' / "
            f"{_subject(ctx)} is not scored on the 100-point table: leave 'scores' out"
        ]
    if sheet is None:
        return [
            f"Cần {whose_vi} theo bảng 100 điểm ('scores') / {whose_en} on the 100-point table "
            "('scores') is required"
        ]
    return score_sheet_reasons(table, sheet)


@guard("self_scores", uses_payload=True, fields=_scores_field)
def _self_scores(ctx: GuardContext) -> list[str]:
    return _sheet_reasons(ctx, "bảng tự chấm điểm của đơn vị", "the unit's self-score sheet")


@guard("papers", uses_payload=True, fields=lambda rules: ("papers",))
def _papers(ctx: GuardContext) -> list[str]:
    papers = ctx.payload.get("papers")
    return papers_reasons(ctx.rules.policy.required_papers, {} if papers is None else papers)


@guard("no_disqualifier")
def _no_disqualifier(ctx: GuardContext) -> list[str]:
    answers = ctx.dossier.get("assessment")
    if answers is None:
        return [
            "Hồ sơ chưa có bản tự đánh giá / the dossier has no self-assessment: return it "
            "for revision"
        ]
    # Validated at submit under this same (immutable) rule set: judged, not validated again.
    reasons = stored_disqualifying_reasons(
        ctx.rules.criteria, answers, evaluation_window(ctx.rules, ctx.dossier["year"])
    )
    return reasons + [CANNOT_PASS] if reasons else []


@guard("verified_assessment", uses_payload=True)
def _verified_assessment(ctx: GuardContext) -> list[str]:
    """The police send their own assessment, or none: then the unit's (already reviewed) answers
    are taken as verified. Either way a disqualifying answer stops the dossier here."""
    answers = ctx.payload.get("assessment")
    if answers is None:
        return _no_disqualifier(ctx)
    invalid = assessment_reasons(ctx.rules.criteria, answers)
    if invalid:
        return [f"Kết quả thẩm định / verified assessment: {r}" for r in invalid]
    reasons = disqualifying_reasons(ctx.rules.criteria, answers)
    return reasons + [CANNOT_PASS] if reasons else []


@guard("verified_scores", uses_payload=True, fields=_scores_field)
def _verified_scores(ctx: GuardContext) -> list[str]:
    return _sheet_reasons(
        ctx, "bảng điểm của cấp trên (cơ quan thẩm định)", "the superior's score sheet"
    )


@guard("every_criterion_met")
def _every_criterion_met(ctx: GuardContext) -> list[str]:
    answers = ctx.dossier.get("verified_assessment")
    if answers is None:
        return [
            "Hồ sơ chưa có kết quả thẩm định / the dossier has no verified assessment: the "
            "police verify it first"
        ]
    window = evaluation_window(ctx.rules, ctx.dossier["year"])
    reasons = stored_unmet_reasons(ctx.rules.criteria, answers, window=window)
    if ctx.rules.score_table is not None and ctx.dossier.get("verified_scores") is None:
        reasons.append(
            "Hồ sơ chưa có bảng điểm của cấp trên / the dossier has no superior's score "
            "sheet: the police verify it first"
        )
    return reasons


@guard("commune_units")
def _commune_units(ctx: GuardContext) -> list[str]:
    """XA only: 100% of the units the commune manages registered this year and at least
    ceil(0.7 N) recognised (thresholds from the rule set), counted from their dossiers."""
    if _subject(ctx) != SubjectType.XA.value:
        return []
    managed, registered, recognised = commune_unit_counts(ctx.conn, ctx.dossier)
    if managed == 0:
        return [
            "Xã chưa khai báo đơn vị nào thuộc phạm vi quản lý (khu dân cư, cơ quan, doanh "
            "nghiệp, cơ sở giáo dục) / the commune manages no declared units (residential "
            "areas, agencies, enterprises, schools): none can be counted"
        ]
    return xa_units_reasons(ctx.rules.criteria, managed, registered, recognised)


def commune_unit_counts(conn: Connection, dossier: dict[str, Any]) -> tuple[int, int, int]:
    """(managed, registered, recognised) for the XA dossier's commune and year: the units the
    commune manages (managing level 'commune', the XA unit itself excluded), those with a live
    dossier that year (withdrawn ones do not count), and those recognised."""
    row = conn.execute(
        _COMMUNE_UNITS,
        {
            "province": dossier["province_code"],
            "commune": dossier["commune_code"],
            "year": dossier["year"],
            "xa_unit": dossier["unit_id"],
        },
    ).one()
    return int(row.managed), int(row.registered or 0), int(row.recognised or 0)


_u, _d = table_of(Unit).alias("u"), table_of(Dossier).alias("d")
# One statement, built once. The partial unique index keeps one live dossier per unit and year,
# so the outer join yields at most one row per unit.
_COMMUNE_UNITS = (
    select(
        func.count(_u.c.id).label("managed"),
        func.count(_d.c.id).label("registered"),
        func.sum(case((_d.c.state == State.RECOGNISED.value, 1), else_=0)).label("recognised"),
    )
    .select_from(
        _u.outerjoin(
            _d,
            and_(
                _d.c.unit_id == _u.c.id,
                _d.c.year == bindparam("year"),
                _d.c.state != State.WITHDRAWN.value,
            ),
        )
    )
    .where(
        _u.c.province_code == bindparam("province"),
        _u.c.commune_code == bindparam("commune"),
        _u.c.managing_level == ManagingLevel.COMMUNE.value,
        _u.c.id != bindparam("xa_unit"),
    )
)
