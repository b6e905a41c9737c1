"""The lifecycle as data, and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import text

from api.deps import no_query
from api.schemas import Health, WorkflowOut
from states.lifecycle import (
    EVENT_LABELS,
    INITIAL,
    ROLE_LABELS,
    STATE_LABELS,
    STEP_OF_STATE,
    STEP_ROLE,
    TERMINAL,
    TRANSITIONS,
    Role,
    State,
    Step,
    mermaid,
)
from workflow.db import get_engine

# None of these routes takes a query parameter.
router = APIRouter(tags=["Quy trình / Workflow"], dependencies=[Depends(no_query)])


def _label(pair: tuple[str, str]) -> dict[str, str]:
    return {"vi": pair[0], "en": pair[1]}


@router.get(
    "/api/v1/workflow",
    response_model=WorkflowOut,
    summary="Quy trình: trạng thái, sự kiện, vai trò / states, events and roles",
)
def workflow() -> dict[str, Any]:
    """Built from the same table as the state machine the engine runs."""
    states = []
    for s in State:
        step = STEP_OF_STATE.get(s)
        states.append(
            {
                "name": s.value,
                "label": _label(STATE_LABELS[s]),
                "terminal": s in TERMINAL,
                "step": step.value if step else None,
                "role": STEP_ROLE[step].value if step else None,
            }
        )
    events = [
        {
            "name": t.event.value,
            "label": _label(EVENT_LABELS[t.event]),
            "sources": [s.value for s in t.sources],
            "dest": t.dest.value,
            "who": "current_step" if t.step is Step.CURRENT else STEP_ROLE[t.step].value,
            "required": list(t.required),
            "guards": list(t.guards),
        }
        for t in TRANSITIONS
    ]
    roles = [{"name": r.value, "label": _label(ROLE_LABELS[r])} for r in Role]
    return {"states": states, "events": events, "roles": roles, "initial": INITIAL.value}


@router.get(
    "/api/v1/workflow.mmd",
    response_class=PlainTextResponse,
    summary="Sơ đồ Mermaid / the lifecycle as a Mermaid diagram",
)
def workflow_mermaid() -> str:
    return mermaid()


@router.get(
    "/healthz",
    response_model=Health,
    tags=["Vận hành / Operations"],
    responses={503: {"model": Health, "description": "database unreachable"}},
)
def healthz(response: Response) -> dict[str, str]:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready; the body says which part
        response.status_code = 503
        response.headers["Retry-After"] = "2"  # as every other 503: ask again shortly
        return {"status": "unavailable", "database": "unreachable"}
    return {"status": "ok", "database": "ok"}
