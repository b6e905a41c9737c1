"""Rule sets over HTTP: read the one in force; a province administrator publishes new versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, no_query
from api.params import RuleSetQuery
from api.routes.dossiers import COMMON, P
from workflow import rulesets

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
def show(actor: CurrentActor, q: Annotated[RuleSetQuery, Query()]) -> dict[str, Any]:
    """Criteria, score table, bands, deadlines and policy of (province, year, subject type)."""
    found = rulesets.find(q.province, q.year, q.subject_type, q.version)
    found["rules"] = found["rules"].model_dump(mode="json")
    return found


@router.post(
    "",
    dependencies=[Depends(no_query)],
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
    actor: CurrentActor,
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
