"""The province dashboard: the report the API answers (``workflow.reports.summary``) as charts
and a table, its XLSX download, and the lifecycle diagram; for every official a report is open
to (a province administrator or auditor sees the province, a commune's officials their commune)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from api.schemas import MAX_ID
from api.web.charts import rate_chart, state_bar
from api.web.diagram import lifecycle_layout
from api.web.forms import FilterForm
from api.web.frame import page, page_actor
from states.calendar import local_date
from states.lifecycle import TRANSITIONS, State
from workflow import reports
from workflow.errors import Forbidden, InvalidInput

router = APIRouter(include_in_schema=False)


class DashboardForm(FilterForm):
    """The dashboard's filters as its form sends them; an empty field means the default."""

    year: int | None = Field(None, ge=2020, le=2100)
    commune: int | None = Field(None, gt=0, le=MAX_ID)
    # A province has hundreds of communes; by default only those with units are drawn.
    hide_empty: bool = True

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> DashboardForm:
        raw: dict[str, Any] = {k: params.get(k) for k in ("year", "commune") if k in params}
        if "filtered" in params:  # the form was sent: an unticked box sends nothing
            raw["hide_empty"] = params.get("hide_empty") == "1"
        return cls.lenient(raw)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    form = DashboardForm.from_query(request.query_params)
    now = datetime.now(UTC)
    year = form.year or local_date(now).year
    try:
        report = reports.summary(actor, commune=form.commune, year=year, now=now)
    except Forbidden as err:
        return page(request, "not_found.html", 403, actor=actor, detail=err.detail)
    except InvalidInput as err:
        form.errors["commune"] = "; ".join(err.reasons)
        report = reports.summary(actor, year=year, now=now)
    communes = report["communes"]
    if form.hide_empty:
        communes = [c for c in communes if c["total"]["units"] or c["total"]["registered"]]
    xlsx_query = {"format": "xlsx", "year": year}
    if report["scope"]["commune_code"]:
        xlsx_query["commune"] = report["scope"]["commune_code"]
    return page(
        request,
        "dashboard.html",
        actor=actor,
        form=form,
        year=year,
        report=report,
        communes=communes,
        hidden=len(report["communes"]) - len(communes),
        rates=rate_chart(communes, report["targets"]),
        states_bar=state_bar(report["total"]["by_state"]),
        diagram=lifecycle_layout(),
        transitions=TRANSITIONS,
        open_states=[s.value for s in State],
        xlsx_url=f"/api/v1/reports/summary?{urlencode(xlsx_query)}",
    )
