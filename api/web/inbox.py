"""The inbox page's question: which dossiers, filtered how, on which page; answered by the same
query the API's ``GET /api/v1/dossiers`` runs, so the page and the API list the same dossiers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Connection

from api.present import summary_out
from api.schemas import MAX_ID
from api.web.forms import FilterForm
from states.calendar import local_date, working_days_between
from states.lifecycle import State
from states.subjects import SubjectType
from workflow import outbox, queries
from workflow.actors import Actor
from workflow.errors import InvalidInput

TABS = ("awaiting", "territory", "archive")
PAGE_SIZE = 25
NOTICES_SHOWN = 5


class InboxForm(FilterForm):
    """The inbox's filters as its form sends them."""

    tab: str = "awaiting"
    state: State | None = None
    subject_type: SubjectType | None = None
    commune: int | None = Field(None, gt=0, le=MAX_ID)
    year: int | None = Field(None, ge=2020, le=2100)
    overdue: bool | None = None
    cursor: str | None = Field(None, max_length=200)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> InboxForm:
        raw = {k: params.get(k) for k in cls.model_fields if k != "errors" and k in params}
        form = cls.lenient(raw)
        if form.tab not in TABS:
            form.tab = "awaiting"
        return form


def _days_left(row: dict[str, Any], now: datetime) -> int | None:
    """Working days to the step's deadline; negative when it has passed."""
    due = row.get("due_at")
    if due is None:
        return None
    if due >= now:
        return working_days_between(local_date(now), local_date(due))
    return -working_days_between(local_date(due), local_date(now))


def inbox_page(conn: Connection, actor: Actor, form: InboxForm, now: datetime) -> dict[str, Any]:
    f = queries.DossierFilter(
        state=form.state.value if form.state else None,
        subject_type=form.subject_type.value if form.subject_type else None,
        commune=form.commune,
        year=form.year,
        overdue=form.overdue,
        awaiting_me=form.tab == "awaiting",
        acted_by=actor.id if form.tab == "archive" else None,
    )
    try:
        rows, next_cursor = queries.list_dossiers(
            conn, actor, f, limit=PAGE_SIZE, cursor=form.cursor, now=now
        )
    except InvalidInput:
        form.errors["cursor"] = "Trang không hợp lệ, hãy lọc lại / that page is not valid"
        rows, next_cursor = queries.list_dossiers(conn, actor, f, limit=PAGE_SIZE, now=now)
    units = queries.units_by_id(conn, {r["unit_id"] for r in rows})
    items = []
    for row in rows:
        item = summary_out(row, units.get(row["unit_id"]), now)
        item["days_left"] = _days_left(row, now)
        items.append(item)
    assert actor.id is not None
    # The clock's unread notices, newest first: what changed for me since I last looked.
    notices = outbox.notices_of(conn, actor.id, unread=True, limit=NOTICES_SHOWN + 1)
    return {
        "items": items,
        "next_cursor": next_cursor,
        "notices": notices[:NOTICES_SHOWN],
        "more_notices": len(notices) > NOTICES_SHOWN,
    }
