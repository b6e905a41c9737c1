"""What goes over the wire: request bodies (strict: an unknown field is a 422 naming it) and
responses, with the users' own terms and examples for /docs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from states.examples import events_carrying, example, registration_payload
from states.lifecycle import EVENT_LABELS, Event
from states.subjects import SubjectType


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("không được chứa ký tự NUL / must not contain the NUL character")
    return value


# Free text as users type it; NUL is refused here (PostgreSQL cannot store it in text).
Text = Annotated[str, AfterValidator(_no_nul)]

# Ids and codes are 32-bit integer columns: a larger number is refused as input, not sent to SQL.
MAX_ID = 2**31 - 1


def _events(events: list[Event]) -> str:
    return ", ".join(e.value for e in events)


# The event path parameter's description, from the lifecycle table (labels in both languages).
EVENT_DESCRIPTION = "Sự kiện / the event: " + "; ".join(
    f"`{e.value}` ({EVENT_LABELS[e][0]} / {EVENT_LABELS[e][1]})" for e in Event
)


def carried_by(name: str, what: str) -> str:
    """A body field's description naming the events that need or accept it (states.examples)."""
    needed, accepted = events_carrying(name)
    out = f"{what}: {_events(needed)}"
    return out + (f"; tùy chọn / optional: {_events(accepted)}" if accepted else "")


class Label(BaseModel):
    vi: str
    en: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``reasons`` lists every unmet condition."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/guard-failed",
                    "title": "Chưa đủ điều kiện / Conditions not met",
                    "status": 422,
                    "detail": "Cần lý do / a written reason is required",
                    "instance": "/api/v1/dossiers/7/events/reject",
                    "reasons": ["Cần lý do / a written reason is required"],
                }
            ]
        },
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    reasons: list[str] | None = None
    current_version: int | None = None
    allowed_events: list[str] | None = None


class Households(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registered: int = Field(
        ge=0, le=MAX_ID, description="Số hộ đã đăng ký / households that registered"
    )
    total: int = Field(gt=0, le=MAX_ID, description="Tổng số hộ / households in the area")


class RegisterDossier(BaseModel):
    """Đăng ký xây dựng mô hình đạt chuẩn ANTT cho một năm / register a unit for a year."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"unit_id": 2, "year": 2026, **registration_payload("KDC")},
                {"unit_id": 5, "year": 2026},
            ]
        },
    )

    unit_id: int = Field(gt=0, le=MAX_ID, description="Đơn vị / the unit")
    year: int = Field(ge=2020, le=2100, description="Năm đánh giá / the assessment year")
    households: Households | None = Field(
        None, description="Khu dân cư: số hộ đăng ký / residential areas (KDC): household counts"
    )


# One body per event that sends one, from the shared builder (states.examples).
EVENT_BODY_EXAMPLES = [body for e in Event if (body := example(e, SubjectType.CQ))]


class EventBody(BaseModel):
    """What an event carries; each event needs its own fields (see /actions, "requires")."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": EVENT_BODY_EXAMPLES},
    )

    reason: Text | None = Field(
        None,
        max_length=4000,
        description=carried_by("reason", "Lý do / hướng dẫn bổ sung"),
    )
    assessment: dict[str, Any] | None = Field(
        None,
        description=carried_by("assessment", "Kết quả tự đánh giá theo bộ tiêu chí"),
    )
    scores: dict[str, Any] | None = Field(
        None,
        description=carried_by("scores", "Bảng chấm điểm 100 điểm (CQ, DN, CSGD)"),
    )
    papers: dict[str, Any] | None = Field(
        None, description=carried_by("papers", "Hồ sơ giấy tờ kèm theo")
    )
    decision_no: Text | None = Field(
        None, max_length=100, description=carried_by("decision_no", "Số quyết định")
    )
    decision_date: date | None = Field(
        None, description=carried_by("decision_date", "Ngày quyết định")
    )


class UnitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"subject_type": "KDC", "commune_code": 21211, "name": "Thôn An Phú"},
                {
                    "subject_type": "DN",
                    "commune_code": 21211,
                    "name": "Công ty TNHH Dung Quất",
                    "managing_level": "province",
                },
            ]
        },
    )

    subject_type: Text = Field(description="KDC, XA, CQ, DN or CSGD")
    commune_code: int = Field(
        gt=0, le=MAX_ID, description="Mã xã/phường (sau sắp xếp 2025) / official commune code"
    )
    name: Text | None = Field(None, max_length=300, description="Tên đơn vị (XA: tên xã)")
    kind: Text | None = Field(
        None, max_length=40, description="Loại hình (trường THCS, doanh nghiệp vừa...)"
    )
    managing_level: Text | None = Field(None, description="commune or province")


class UnitPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Thôn An Phú Đông"}, {"kind": "truong_thpt"}]},
    )

    name: Text | None = Field(None, min_length=1, max_length=300, description="Tên đơn vị")
    kind: Text | None = Field(None, min_length=1, max_length=40, description="Loại hình")


class UnitOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "name": "Thôn 1",
                    "subject_type": "KDC",
                    "kind": "thon",
                    "province_code": 51,
                    "commune_code": 21211,
                    "commune_name": "Phường Trương Quang Trọng",
                    "managing_level": "commune",
                    "created_at": "2026-01-05T02:00:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    subject_type: str
    kind: str
    province_code: int
    commune_code: int
    commune_name: str | None = None
    managing_level: str
    created_at: datetime | None = None


class StepOut(BaseModel):
    """The step the dossier waits in: who must act, by when."""

    name: str
    role: str
    level: str
    label: Label
    opened_at: datetime | None
    due_at: datetime | None
    overdue: bool
    overdue_working_days: int | None = Field(
        None,
        description=(
            "Quá hạn bao nhiêu ngày làm việc / how many working days past due (0: due today)"
        ),
    )
    escalation_level: int
    next_escalation_at: datetime | None


class EvaluationWindowOut(BaseModel):
    """Kỳ đánh giá / the evaluation window the year's results cover (TT 124 Điều 8.2)."""

    # "from" is a Python keyword: the field is from_, written and read as "from".
    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    from_: date = Field(alias="from")
    to: date


class RuleSetRef(BaseModel):
    id: int
    province_code: int | None = None
    year: int | None = None
    subject_type: str | None = None
    version: int | None = None


class DossierOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "year": 2026,
                    "state": "self_scored",
                    "state_label": {"vi": "Đã tự chấm điểm", "en": "Self-scored"},
                    "version": 2,
                    "closed": False,
                    "unit": {
                        "id": 2,
                        "name": "Thôn 1",
                        "subject_type": "KDC",
                        "kind": "kdc",
                        "province_code": 51,
                        "commune_code": 21211,
                        "commune_name": "Phường Trương Quang Trọng",
                        "managing_level": "commune",
                    },
                    "rule_set": {
                        "id": 1,
                        "province_code": 51,
                        "year": 2026,
                        "subject_type": "KDC",
                        "version": 1,
                    },
                    "step": {
                        "name": "review",
                        "role": "commune_reviewer",
                        "level": "commune",
                        "label": {"vi": "Ban Chỉ đạo xã", "en": "Commune reviewer"},
                        "opened_at": "2026-11-20T02:00:00Z",
                        "due_at": "2026-11-27T16:59:59Z",
                        "overdue": False,
                        "escalation_level": 0,
                        "next_escalation_at": "2026-11-27T17:00:00Z",
                    },
                }
            ]
        }
    )

    id: int
    year: int
    state: str
    state_label: Label
    version: int
    closed: bool
    unit: UnitOut | None = None
    rule_set: RuleSetRef
    step: StepOut | None = None
    assessment: dict[str, Any] | None = None
    verified_assessment: dict[str, Any] | None = None
    self_scores: dict[str, Any] | None = None
    verified_scores: dict[str, Any] | None = None
    total_score: float | None = None
    classification: str | None = None
    decision_no: str | None = None
    decision_date: date | None = None
    last_reason: str | None = None
    withdrawn_at: datetime | None = Field(
        None, description="Thời điểm rút hồ sơ / when it was withdrawn"
    )
    returns: dict[str, int] = Field(default_factory=dict)
    evaluation_window: EvaluationWindowOut | None = Field(
        None,
        description=(
            "Kỳ đánh giá của năm (TT 124 Điều 8.2: KDC 01/11 năm trước đến 31/10; XA, CQ, DN, "
            "CSGD 16/11 năm trước đến 15/11) / the year's evaluation window"
        ),
    )
    created_at: datetime
    updated_at: datetime


class DossierSummary(BaseModel):
    """A row of a list: enough to pick a dossier, without its assessment."""

    id: int
    year: int
    state: str
    state_label: Label
    version: int
    unit_id: int
    unit_name: str | None = None
    subject_type: str
    province_code: int
    commune_code: int
    due_at: datetime | None
    overdue: bool
    escalation_level: int
    classification: str | None = None
    updated_at: datetime


class DossierPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": 7,
                            "year": 2026,
                            "state": "self_scored",
                            "state_label": {"vi": "Đã tự chấm điểm", "en": "Self-scored"},
                            "version": 2,
                            "unit_id": 2,
                            "unit_name": "Thôn 1",
                            "subject_type": "KDC",
                            "province_code": 51,
                            "commune_code": 21211,
                            "due_at": "2026-11-09T16:59:59Z",
                            "overdue": True,
                            "escalation_level": 2,
                            "classification": None,
                            "updated_at": "2026-11-02T02:00:00Z",
                        }
                    ],
                    "next_cursor": "WzVd",
                }
            ]
        }
    )

    items: list[DossierSummary]
    next_cursor: str | None = Field(
        None,
        description="Gửi lại ở tham số cursor để lấy trang sau / "
        "pass as cursor to get the next page; null on the last page",
    )


class UnitPage(BaseModel):
    items: list[UnitOut]
    next_cursor: str | None = None


class Action(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": "commune_approve",
                    "label_vi": "Xã duyệt hồ sơ",
                    "label_en": "Commune approves",
                    "allowed": True,
                    "reasons": [],
                    "requires": [],
                },
                {
                    "event": "recognise",
                    "label_vi": "UBND ra quyết định công nhận",
                    "label_en": "People's Committee recognises",
                    "allowed": False,
                    "reasons": [
                        "Không áp dụng ở trạng thái 'self_scored' / not allowed in state 'self_scored'"
                    ],
                    "requires": ["decision_no", "decision_date"],
                },
            ]
        }
    )

    event: str
    label_vi: str
    label_en: str
    allowed: bool
    reasons: list[str]
    requires: list[str]


class AuditEventOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 3,
                    "event": "commune_approve",
                    "from_state": "self_scored",
                    "to_state": "commune_reviewed",
                    "version": 3,
                    "actor_id": 7,
                    "actor_name": "Ban Chỉ đạo phường",
                    "role": "commune_reviewer",
                    "payload": {},
                    "reason": None,
                    "at": "2026-11-20T03:15:00Z",
                    "request_id": "3f1c…",
                    "rule_set_id": 1,
                    "prev_hash": "9abf4bd48df6…",
                    "hash": "f8b47e6622dc…",
                }
            ]
        }
    )

    seq: int
    event: str
    from_state: str | None
    to_state: str | None
    version: int
    actor_id: int | None
    actor_name: str
    role: str
    payload: Any
    reason: str | None
    at: datetime
    request_id: str | None
    rule_set_id: int
    prev_hash: str
    hash: str


class Finding(BaseModel):
    dossier_id: int
    seq: int | None
    problem: str
    column: str | None = Field(
        None,
        description="Cột của hồ sơ khác với nhật ký / the dossier's column replay found different",
    )


class VerifyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ok": True, "dossier_id": 19, "events": 5, "findings": []},
                {
                    "ok": False,
                    "dossier_id": 20,
                    "events": 4,
                    "findings": [
                        {
                            "dossier_id": 20,
                            "seq": 3,
                            "problem": "the row's content does not match its hash: it was edited",
                        }
                    ],
                },
            ]
        }
    )

    ok: bool
    dossier_id: int
    events: int
    findings: list[Finding]


class StateInfo(BaseModel):
    name: str
    label: Label
    terminal: bool
    step: str | None
    role: str | None


class EventInfo(BaseModel):
    name: str
    label: Label
    sources: list[str]
    dest: str
    who: str
    required: list[str]
    guards: list[str]


class RoleInfo(BaseModel):
    name: str
    label: Label


class WorkflowOut(BaseModel):
    states: list[StateInfo]
    events: list[EventInfo]
    roles: list[RoleInfo]
    initial: str
    mermaid_url: str = "/api/v1/workflow.mmd"


class Health(BaseModel):
    status: str
    database: str
