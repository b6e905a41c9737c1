"""Reports: the summary of a territory, as JSON or as an XLSX workbook."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import current_actor
from api.routes.dossiers import COMMON
from api.schemas import MAX_ID
from workflow import reports
from workflow.actors import Actor
from workflow.report_workbook import workbook

router = APIRouter(prefix="/api/v1/reports", tags=["Báo cáo / Reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(str, Enum):
    json = "json"
    xlsx = "xlsx"


@router.get(
    "/summary",
    responses={
        **COMMON,
        200: {
            "description": "Báo cáo tổng hợp / the summary",
            "content": {
                "application/json": {},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        },
    },
    summary="Báo cáo tổng hợp / summary per commune and subject type against the targets",
)
def summary(
    actor: Actor = Depends(current_actor),
    province: int | None = Query(None, gt=0, le=MAX_ID, description="Mã tỉnh (mặc định: của bạn)"),
    commune: int | None = Query(None, gt=0, le=MAX_ID, description="Mã xã"),
    year: int | None = Query(None, ge=2020, le=2100, description="Năm (mặc định: năm nay)"),
    format: Format = Query(Format.json, description="json hoặc xlsx (Excel)"),
) -> Any:
    """Per commune and per subject type: units, dossiers by state, registration rate (registered
    / units), recognition rate (recognised / registered) against the province's targets (100%
    registered, 80% recognised; 90% in Tây Ninh), overdue and escalated steps. Officials see
    their own territory; a commune's officials their commune."""
    report = reports.summary(actor, province=province, commune=commune, year=year)
    if format is Format.xlsx:
        scope = report["scope"]["commune_code"] or report["scope"]["province_code"]
        return Response(
            workbook(report),
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="bao-cao-antt-{scope}-{report["year"]}.xlsx"'
            },
        )
    return report
