"""Dossiers: register, read, list, fire events, allowed actions, the audit trail.

Routes parse, authenticate, call ``workflow`` and serialise; every decision is the engine's.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api import changes
from api.deps import CurrentActor, ReadConnection, current_actor, no_query
from api.idempotency import Reply
from api.params import DossierQuery
from api.present import etag, render, summary_out
from api.schemas import (
    EVENT_DESCRIPTION,
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
from states.lifecycle import Event
from workflow import audit, queries, rulesets
from workflow import engine as wf
from workflow.actors import Actor
from workflow.assessment_view import side_by_side
from workflow.guards import commune_unit_counts

router = APIRouter(prefix="/api/v1/dossiers", tags=["Hồ sơ / Dossiers"])

P = {"model": Problem}
COMMON = {
    401: {**P, "description": "Thiếu hoặc sai mã truy cập / missing or bad token"},
    403: {**P, "description": "Sai vai trò / your role or seat does not hold this step"},
    404: {
        **P,
        "description": "Không có hồ sơ, hoặc hồ sơ ngoài địa bàn của bạn / no such dossier, "
        "or none in your territory (the two answers are the same)",
    },
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


def respond(reply: Reply) -> JSONResponse:
    headers = {}
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.location:
        headers["Location"] = reply.location
    if reply.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(reply.body, status_code=reply.status, headers=headers)


@router.post(
    "",
    dependencies=[Depends(no_query)],
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
    return respond(
        changes.register_dossier(
            actor,
            body.unit_id,
            body.year,
            payload,
            idempotency_key=idempotency_key,
            request_id=request_id(request),
        )
    )


@router.get(
    "",
    response_model=DossierPage,
    responses=COMMON,
    summary="Danh sách hồ sơ / list dossiers (filters, inbox, cursor pages)",
)
def list_dossiers(
    actor: CurrentActor, conn: ReadConnection, q: Annotated[DossierQuery, Query()]
) -> dict[str, Any]:
    """The dossiers of the caller's territory (a unit's representative: its own)."""
    f = queries.DossierFilter(
        state=q.state.value if q.state else None,
        subject_type=q.subject_type.value if q.subject_type else None,
        province=q.province,
        commune=q.commune,
        year=q.year,
        overdue=q.overdue,
        awaiting_me=q.awaiting_me,
        acted_by=actor.id if q.acted_by_me else None,
    )
    now = datetime.now(UTC)
    rows, next_cursor = queries.list_dossiers(
        conn, actor, f, limit=q.limit, cursor=q.cursor, now=now
    )
    units = queries.units_by_id(conn, {r["unit_id"] for r in rows})
    return {
        "items": [summary_out(r, units.get(r["unit_id"]), now) for r in rows],
        "next_cursor": next_cursor,
    }


@router.get(
    "/{dossier_id}",
    dependencies=[Depends(no_query)],
    response_model=DossierOut,
    responses={**COMMON, 304: {"description": "Không đổi kể từ ETag bạn có / not modified"}},
    summary="Một hồ sơ / one dossier (ETag = version)",
)
def get_dossier(
    response: Response,
    actor: CurrentActor,
    conn: ReadConnection,
    dossier_id: int = DossierId,
    if_none_match: str | None = Header(None, alias="If-None-Match"),
) -> Any:
    row = queries.readable_dossier(conn, actor, dossier_id)
    tag = etag(row["version"])
    if if_none_match and tag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    body = render(conn, row)
    response.headers["ETag"] = tag
    return body


@router.post(
    "/{dossier_id}/events/{event}",
    dependencies=[Depends(no_query)],
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
    event: Event = Path(description=EVENT_DESCRIPTION),
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
    payload = body.model_dump(mode="json", exclude_none=True) if body else {}
    return respond(
        changes.fire_event(
            actor,
            dossier_id,
            event,
            payload,
            if_match,
            idempotency_key=idempotency_key,
            request_id=request_id(request),
        )
    )


@router.get(
    "/{dossier_id}/actions",
    dependencies=[Depends(no_query)],
    response_model=list[Action],
    responses=COMMON,
    summary="Các bước bạn làm được / every event: allowed, or why not",
)
def actions(
    actor: CurrentActor, conn: ReadConnection, dossier_id: int = DossierId
) -> list[dict[str, Any]]:
    row = queries.readable_dossier(conn, actor, dossier_id)
    rules = rulesets.load(conn, row["rule_set_id"])
    return wf.actions_for(conn, row, actor, rules, datetime.now(UTC))


@router.get(
    "/{dossier_id}/assessment",
    dependencies=[Depends(no_query)],
    responses=COMMON,
    summary="Tự đánh giá và thẩm định, đối chiếu / self-assessment beside the verified one",
)
def assessment(
    actor: CurrentActor, conn: ReadConnection, dossier_id: int = DossierId
) -> dict[str, Any]:
    row = queries.readable_dossier(conn, actor, dossier_id)
    rules = rulesets.load(conn, row["rule_set_id"])
    counts = commune_unit_counts(conn, row) if row["subject_type"] == "XA" else None
    return side_by_side(row, rules, counts)


@router.get(
    "/{dossier_id}/audit",
    dependencies=[Depends(no_query)],
    response_model=list[AuditEventOut],
    responses=COMMON,
    summary="Nhật ký hồ sơ / the audit trail, in order",
)
def audit_trail(
    actor: CurrentActor, conn: ReadConnection, dossier_id: int = DossierId
) -> list[dict[str, Any]]:
    queries.readable_dossier(conn, actor, dossier_id)
    rows = audit.trail(conn, dossier_id)
    return [{**r, "payload": json.loads(r["payload"])} for r in rows]


@router.get(
    "/{dossier_id}/audit/verify",
    dependencies=[Depends(no_query)],
    response_model=VerifyOut,
    responses=COMMON,
    summary="Kiểm tra chuỗi nhật ký / verify the trail's hash chain",
)
def audit_verify(
    actor: CurrentActor, conn: ReadConnection, dossier_id: int = DossierId
) -> dict[str, Any]:
    row = queries.readable_dossier(conn, actor, dossier_id)
    _, findings = audit.verify(conn, dossier_id)
    return {
        "ok": not findings,
        "dossier_id": dossier_id,
        "events": row["audit_seq"],
        "findings": [f.as_dict() for f in findings],
    }
