"""Units: the bodies that are judged, listed by territory and registered by officials."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from api.deps import current_actor
from api.present import unit_out
from api.routes.dossiers import COMMON, P
from api.schemas import MAX_ID, UnitIn, UnitOut, UnitPage
from states.lifecycle import Role
from states.subjects import SubjectType
from workflow import queries
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.errors import Forbidden, NotFound
from workflow.units import create_unit

router = APIRouter(prefix="/api/v1/units", tags=["Đơn vị / Units"])


@router.get(
    "",
    response_model=UnitPage,
    responses=COMMON,
    summary="Đơn vị trong địa bàn / units of your territory",
)
def list_units(
    actor: Actor = Depends(current_actor),
    province: int | None = Query(None, gt=0, le=MAX_ID),
    commune: int | None = Query(None, gt=0, le=MAX_ID),
    subject_type: SubjectType | None = Query(None),
    limit: int = Query(50, ge=1, le=queries.MAX_LIMIT),
    cursor: str | None = Query(None, max_length=200),
) -> dict[str, Any]:
    with read_connection() as conn:
        rows, next_cursor = queries.list_units(
            conn,
            actor,
            province=province,
            commune=commune,
            subject_type=subject_type.value if subject_type else None,
            limit=limit,
            cursor=cursor,
        )
    return {"items": [unit_out(r) for r in rows], "next_cursor": next_cursor}


@router.get("/{unit_id}", response_model=UnitOut, responses=COMMON, summary="Một đơn vị / one unit")
def get_unit(
    unit_id: int = Path(gt=0, le=MAX_ID), actor: Actor = Depends(current_actor)
) -> dict[str, Any]:
    with read_connection() as conn:
        unit = queries.unit_by_id(conn, unit_id)
    if unit is None:
        raise NotFound(f"Không có đơn vị số {unit_id} / there is no unit {unit_id}")
    if not (
        actor.unit_id == unit_id
        if actor.role is Role.UNIT
        else actor.covers(unit["province_code"], unit["commune_code"])
    ):
        raise Forbidden("Đơn vị ngoài địa bàn của bạn / the unit is outside your territory")
    return unit_out(unit)


@router.post(
    "",
    status_code=201,
    response_model=UnitOut,
    responses={**COMMON, 409: {**P, "description": "Xã đã có đơn vị cấp xã"}},
    summary="Đăng ký đơn vị / register a unit",
)
def add_unit(body: UnitIn, actor: Actor = Depends(current_actor)) -> JSONResponse:
    """A province administrator registers any unit of the province; a commune reviewer the
    units its commune manages. Excluded kinds (armed forces, small enterprises, primary schools,
    kindergartens) are refused with the reason."""
    unit = create_unit(
        subject_type=body.subject_type,
        commune_code=body.commune_code,
        name=body.name,
        kind=body.kind,
        managing_level=body.managing_level,
        actor=actor,
    )
    out = UnitOut.model_validate(unit_out(unit)).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": f"/api/v1/units/{unit['id']}"})
