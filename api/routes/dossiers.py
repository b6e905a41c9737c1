"""Dossiers: register, read, list, fire events, allowed actions, the audit trail.

Routes parse, authenticate, call ``workflow`` and serialise; every decision is the engine's.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api import metrics
from api.deps import current_actor
from api.preconditions import fingerprint, once, version_from_if_match
from api.present import dossier_out, etag, summary_out
from api.schemas import (
    MAX_ID,
    Action,
    AuditEventOut,
    DossierOut,
    DossierPage,
    EventBody,
    Problem,
    RegisterDossier,
    VerifyOut,
)
from states.lifecycle import Event, State
from states.subjects import SubjectType
from workflow import audit, queries, rulesets
from workflow import engine as wf
from workflow.actors import Actor
from workflow.assessment_view import side_by_side
from workflow.db import joined_connection, read_connection
from workflow.errors import Forbidden
from workflow.guards import commune_unit_counts
from workflow.registration import register

router = APIRouter(prefix="/api/v1/dossiers", tags=["Hồ sơ / Dossiers"])

P = {"model": Problem}
COMMON = {
    401: {**P, "description": "Thiếu hoặc sai mã truy cập / missing or bad token"},
    403: {**P, "description": "Sai vai trò hoặc địa bàn / role or territory does not fit"},
    404: {**P, "description": "Không có hồ sơ / no such dossier"},
    422: {**P, "description": "Dữ liệu không hợp lệ / invalid input, with field paths"},
}
IDEMPOTENCY = Header(
    None,
    alias="Idempotency-Key",
    max_length=255,
    description=(
        "Gửi lại cùng khóa và cùng nội dung thì nhận lại phản hồi đầu tiên, không thực hiện lần hai / "
        "a retry with the same key and body returns the first response and changes nothing"
    ),
)
DossierId = Path(gt=0, le=MAX_ID, description="Số hồ sơ / dossier id")


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or str(uuid.uuid4())


def render(conn, row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    unit = queries.unit_by_id(conn, row["unit_id"])
    rule_set = rulesets.describe(conn, row["rule_set_id"])
    out = dossier_out(row, unit, rule_set, now)
    return DossierOut.model_validate(out).model_dump(mode="json")


def render_in_transaction(row: dict[str, Any]) -> dict[str, Any]:
    """Render with the transaction that made the change (``once`` holds it): no second
    connection, and the answer is exactly what was committed."""
    conn = joined_connection()
    if conn is None:  # pragma: no cover - change() always runs inside once()'s transaction
        with read_connection() as conn:
            return render(conn, row)
    return render(conn, row)


def _readable(conn, actor: Actor, dossier_id: int) -> dict[str, Any]:
    row = wf.load(conn, dossier_id)
    problem = queries.visibility_problem(actor, row)
    if problem:
        raise Forbidden(problem)
    return row


@router.post(
    "",
    status_code=201,
    response_model=DossierOut,
    responses={**COMMON, 409: {**P, "description": "Đơn vị đã có hồ sơ năm này"}},
    summary="Đăng ký hồ sơ / register a unit's dossier for a year",
)
def register_dossier(
    body: RegisterDossier,
    request: Request,
    actor: Actor = Depends(current_actor),
    idempotency_key: str | None = IDEMPOTENCY,
) -> JSONResponse:
    """A unit's representative registers its own unit; a commune reviewer or province admin
    registers a unit of its territory. Registration is open in the rule set's window (quarter
    I by default); a residential area (KDC) declares its households."""
    payload = body.model_dump(mode="json", exclude_none=True, exclude={"unit_id", "year"})
    rid = request_id(request)

    def change():
        row = register(body.unit_id, body.year, actor, payload, request_id=rid)
        metrics.EVENTS.labels(event="register").inc()
        return (
            201,
            render_in_transaction(row),
            etag(row["version"]),
            f"/api/v1/dossiers/{row['id']}",
        )

    return once(
        actor,
        idempotency_key,
        fingerprint("POST", request.url.path, None, body.model_dump(mode="json")),
        change,
    )


@router.get(
    "",
    response_model=DossierPage,
    responses=COMMON,
    summary="Danh sách hồ sơ / list dossiers (filters, inbox, cursor pages)",
)
def list_dossiers(
    actor: Actor = Depends(current_actor),
    state: State | None = Query(None, description="Trạng thái / state"),
    subject_type: SubjectType | None = Query(None, description="KDC, XA, CQ, DN, CSGD"),
    commune: int | None = Query(None, gt=0, le=MAX_ID, description="Mã xã"),
    province: int | None = Query(None, gt=0, le=MAX_ID, description="Mã tỉnh"),
    year: int | None = Query(None, ge=2020, le=2100),
    overdue: bool | None = Query(None, description="Quá hạn / past the step's deadline"),
    awaiting_me: bool = Query(
        False,
        description=(
            "Hộp việc: hồ sơ đang chờ bạn xử lý, hạn sớm nhất trước / the caller's "
            "inbox: dossiers waiting in a step the caller owns, soonest due first"
        ),
    ),
    limit: int = Query(50, ge=1, le=queries.MAX_LIMIT),
    cursor: str | None = Query(None, max_length=200, description="next_cursor của trang trước"),
) -> dict[str, Any]:
    """The dossiers of the caller's territory (a unit's representative: its own)."""
    f = queries.DossierFilter(
        state=state.value if state else None,
        subject_type=subject_type.value if subject_type else None,
        province=province,
        commune=commune,
        year=year,
        overdue=overdue,
        awaiting_me=awaiting_me,
    )
    now = datetime.now(UTC)
    with read_connection() as conn:
        rows, next_cursor = queries.list_dossiers(
            conn, actor, f, limit=limit, cursor=cursor, now=now
        )
        units = queries.units_by_id(conn, {r["unit_id"] for r in rows})
    return {
        "items": [summary_out(r, units.get(r["unit_id"]), now) for r in rows],
        "next_cursor": next_cursor,
    }


@router.get(
    "/{dossier_id}",
    response_model=DossierOut,
    responses={**COMMON, 304: {"description": "Không đổi kể từ ETag bạn có / not modified"}},
    summary="Một hồ sơ / one dossier (ETag = version)",
)
def get_dossier(
    response: Response,
    dossier_id: int = DossierId,
    actor: Actor = Depends(current_actor),
    if_none_match: str | None = Header(None, alias="If-None-Match"),
) -> Any:
    with read_connection() as conn:
        row = _readable(conn, actor, dossier_id)
        tag = etag(row["version"])
        if if_none_match and tag in [
            t.strip().removeprefix("W/") for t in if_none_match.split(",")
        ]:
            return Response(status_code=304, headers={"ETag": tag})
        body = render(conn, row)
    response.headers["ETag"] = tag
    return body


@router.post(
    "/{dossier_id}/events/{event}",
    response_model=DossierOut,
    responses={
        **COMMON,
        400: {**P, "description": "If-Match hoặc Idempotency-Key sai dạng"},
        409: {
            **P,
            "description": "Sự kiện không được phép ở trạng thái này "
            "(allowed_events lists what is)",
        },
        412: {
            **P,
            "description": "Phiên bản đã đổi / the version moved on "
            "(current_version, and the ETag header)",
        },
        422: {**P, "description": "Chưa đủ điều kiện (reasons) hoặc dữ liệu sai"},
        428: {**P, "description": "Thiếu If-Match / If-Match is required"},
    },
    summary="Thực hiện một bước / fire an event on a dossier",
)
def fire_event(
    request: Request,
    dossier_id: int = DossierId,
    event: Event = Path(
        description="submit_self_score, commune_approve, police_verify, "
        "recognise, reject, return_for_revision, withdraw, revoke"
    ),
    body: EventBody | None = None,
    if_match: str | None = Header(
        None,
        alias="If-Match",
        description=('Phiên bản bạn đã đọc (ETag), ví dụ "3" / the version you read, e.g. "3"'),
    ),
    idempotency_key: str | None = IDEMPOTENCY,
    actor: Actor = Depends(current_actor),
) -> JSONResponse:
    """Every move is checked against the caller's role and territory, the dossier's state and
    version, and the year's rules; each refusal says why. What each event needs is listed by
    `GET /api/v1/dossiers/{id}/actions` under `requires`."""
    version = version_from_if_match(if_match)
    payload = body.model_dump(mode="json", exclude_none=True) if body else {}
    rid = request_id(request)

    def change():
        try:
            row = wf.fire(dossier_id, event, actor, payload, version, request_id=rid)
        except Exception as err:
            metrics.REFUSALS.labels(event=event.value, reason=type(err).__name__).inc()
            raise
        metrics.EVENTS.labels(event=event.value).inc()
        return 200, render_in_transaction(row), etag(row["version"]), None

    return once(
        actor, idempotency_key, fingerprint("POST", request.url.path, if_match, payload), change
    )


@router.get(
    "/{dossier_id}/actions",
    response_model=list[Action],
    responses=COMMON,
    summary="Các bước bạn làm được / every event: allowed, or why not",
)
def actions(
    dossier_id: int = DossierId, actor: Actor = Depends(current_actor)
) -> list[dict[str, Any]]:
    with read_connection() as conn:
        row = _readable(conn, actor, dossier_id)
        rules = rulesets.load(conn, row["rule_set_id"])
        return wf.actions_for(conn, row, actor, rules, datetime.now(UTC))


@router.get(
    "/{dossier_id}/assessment",
    responses=COMMON,
    summary="Tự đánh giá và thẩm định, đối chiếu / self-assessment beside the verified one",
)
def assessment(
    dossier_id: int = DossierId, actor: Actor = Depends(current_actor)
) -> dict[str, Any]:
    with read_connection() as conn:
        row = _readable(conn, actor, dossier_id)
        rules = rulesets.load(conn, row["rule_set_id"])
        counts = commune_unit_counts(conn, row) if row["subject_type"] == "XA" else None
    return side_by_side(row, rules, counts)


@router.get(
    "/{dossier_id}/audit",
    response_model=list[AuditEventOut],
    responses=COMMON,
    summary="Nhật ký hồ sơ / the audit trail, in order",
)
def audit_trail(
    dossier_id: int = DossierId, actor: Actor = Depends(current_actor)
) -> list[dict[str, Any]]:
    with read_connection() as conn:
        _readable(conn, actor, dossier_id)
        rows = audit.trail(conn, dossier_id)
    return [{**r, "payload": json.loads(r["payload"])} for r in rows]


@router.get(
    "/{dossier_id}/audit/verify",
    response_model=VerifyOut,
    responses=COMMON,
    summary="Kiểm tra chuỗi nhật ký / verify the trail's hash chain",
)
def audit_verify(
    dossier_id: int = DossierId, actor: Actor = Depends(current_actor)
) -> dict[str, Any]:
    with read_connection() as conn:
        row = _readable(conn, actor, dossier_id)
        _, findings = audit.verify(conn, dossier_id)
    return {
        "ok": not findings,
        "dossier_id": dossier_id,
        "events": row["audit_seq"],
        "findings": [f.as_dict() for f in findings],
    }
