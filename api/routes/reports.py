"""Reports: the summary of a territory, as JSON or as an XLSX workbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentActor
from api.params import Format, ReportQuery
from api.routes.dossiers import COMMON
from workflow import reports
from workflow.report_workbook import workbook

router = APIRouter(prefix="/api/v1/reports", tags=["Báo cáo / Reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
def summary(actor: CurrentActor, q: Annotated[ReportQuery, Query()]) -> Any:
    """Per commune and per subject type: units, dossiers by state, registration rate (registered
    / units), recognition rate (recognised / registered) against the province's targets (100%
    registered, 80% recognised; 90% in Tây Ninh), overdue and escalated steps. Officials see
    their own territory; a commune's officials their commune."""
    report = reports.summary(actor, province=q.province, commune=q.commune, year=q.year)
    if q.format is Format.xlsx:
        scope = report["scope"]["commune_code"] or report["scope"]["province_code"]
        return Response(
            workbook(report),
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="bao-cao-antt-{scope}-{report["year"]}.xlsx"'
            },
        )
    return report
