"""Rule sets over HTTP: read the one in force; a province administrator publishes new versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import current_actor
from api.routes.dossiers import COMMON, P
from api.schemas import MAX_ID
from states.subjects import SubjectType
from workflow import rulesets
from workflow.actors import Actor

router = APIRouter(prefix="/api/v1/rule-sets", tags=["Bộ quy tắc / Rule sets"])

EXAMPLE = {
    "province_code": 51,
    "year": 2026,
    "subject_type": "KDC",
    "policy": {
        "registration_window": {"start": "01-01", "end": "08-31"},
        "revocation_enabled": True,
    },
}


@router.get("", responses=COMMON, summary="Bộ quy tắc đang áp dụng / the rule set in force")
def show(
    actor: Actor = Depends(current_actor),
    year: int = Query(ge=2020, le=2100),
    subject_type: SubjectType = Query(description="KDC, XA, CQ, DN or CSGD"),
    province: int | None = Query(
        None,
        gt=0,
        le=MAX_ID,
        description=(
            "mã tỉnh; bỏ trống: bộ quy tắc quốc gia / province code; leave out for the national one"
        ),
    ),
    version: int | None = Query(
        None,
        ge=1,
        le=MAX_ID,
        description=(
            "một phiên bản cụ thể; mặc định: phiên bản hồ sơ mới sẽ được gắn / a given version; "
            "default: the one new registrations are pinned to"
        ),
    ),
) -> dict[str, Any]:
    """Criteria, score table, bands, deadlines and policy of (province, year, subject type)."""
    found = rulesets.find(province, year, subject_type, version)
    found["rules"] = found["rules"].model_dump(mode="json")
    return found


@router.post(
    "",
    status_code=201,
    responses={
        **COMMON,
        422: {
            **P,
            "description": (
                "Bộ quy tắc không hợp lệ: mọi lỗi được liệt kê / invalid: every error listed"
            ),
        },
    },
    summary="Ban hành bộ quy tắc / publish rule sets (province administrator)",
)
def publish(
    actor: Actor = Depends(current_actor),
    body: dict[str, Any] | list[dict[str, Any]] = Body(
        description="Một bộ quy tắc hoặc danh sách (mỗi loại đối tượng một bộ) / a rule "
        "set body or a list of them, published all or none",
        examples=[EXAMPLE],
    ),
) -> JSONResponse:
    """Each body becomes the next version of its (province, year, subject type); open dossiers
    keep the version they registered under. Nothing is stored unless every body is valid."""
    published = rulesets.publish_bodies(body, by=actor)
    return JSONResponse(jsonable_encoder({"published": published}), status_code=201)
