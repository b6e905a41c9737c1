"""Units: the bodies that are judged, listed by territory and registered by officials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, ReadConnection, no_query
from api.params import UnitQuery
from api.present import unit_out
from api.routes.dossiers import COMMON, P
from api.schemas import MAX_ID, UnitIn, UnitOut, UnitPage, UnitPatch
from workflow import queries
from workflow.units import create_unit, update_unit

router = APIRouter(prefix="/api/v1/units", tags=["Đơn vị / Units"])


@router.get(
    "",
    response_model=UnitPage,
    responses=COMMON,
    summary="Đơn vị trong địa bàn / units of your territory",
)
def list_units(
    actor: CurrentActor, conn: ReadConnection, q: Annotated[UnitQuery, Query()]
) -> dict[str, Any]:
    rows, next_cursor = queries.list_units(
        conn,
        actor,
        province=q.province,
        commune=q.commune,
        subject_type=q.subject_type.value if q.subject_type else None,
        limit=q.limit,
        cursor=q.cursor,
    )
    return {"items": [unit_out(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/{unit_id}",
    dependencies=[Depends(no_query)],
    response_model=UnitOut,
    responses=COMMON,
    summary="Một đơn vị / one unit",
)
def get_unit(
    actor: CurrentActor, conn: ReadConnection, unit_id: int = Path(gt=0, le=MAX_ID)
) -> dict[str, Any]:
    unit = queries.readable_unit(conn, actor, unit_id)
    return unit_out(unit)


@router.post(
    "",
    dependencies=[Depends(no_query)],
    status_code=201,
    response_model=UnitOut,
    responses={**COMMON, 409: {**P, "description": "Xã đã có đơn vị cấp xã"}},
    summary="Đăng ký đơn vị / register a unit",
)
def add_unit(body: UnitIn, actor: CurrentActor) -> JSONResponse:
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


@router.patch(
    "/{unit_id}",
    dependencies=[Depends(no_query)],
    response_model=UnitOut,
    responses=COMMON,
    summary="Sửa tên, loại hình đơn vị / rename a unit or change its kind",
)
def patch_unit(
    body: UnitPatch, actor: CurrentActor, unit_id: int = Path(gt=0, le=MAX_ID)
) -> dict[str, Any]:
    """Whoever may register such a unit may correct its name or kind; only the fields sent
    change. A kind the subject type does not admit is refused with the reason."""
    return unit_out(update_unit(unit_id, name=body.name, kind=body.kind, actor=actor))
