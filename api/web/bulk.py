"""One decision for several dossiers (a UBND officer recognises a commune's units with one
decision number and date): the actions valid for every selected dossier, then each dossier
fired on its own through ``api.changes`` and its result reported, done or refused with reasons.

Each dossier is its own transaction: one refusal must not undo the others' recognitions, and
each keeps its own trail row. Frappe's bulk approval taught the rest: offer only what applies to
all, and say per item what happened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api import changes
from api.problems import ApiProblem
from states.lifecycle import EVENT_OF, Event
from workflow import engine as wf
from workflow import queries, rulesets
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.errors import NotFound, VersionConflict, WorkflowError

MAX_SELECTED = 200
ONE_COMMUNE = (
    "Chỉ chọn hồ sơ của cùng một xã cho một quyết định / select dossiers of one commune "
    "for one decision"
)


def selection(actor: Actor, ids: list[int]) -> dict[str, Any]:
    """The selected dossiers the actor may read and the events allowed on every one of them."""
    rows, common = [], None
    with read_connection() as conn:
        now = datetime.now(UTC)
        for dossier_id in ids[:MAX_SELECTED]:
            try:
                row = queries.readable_dossier(conn, actor, dossier_id)
            except NotFound:
                continue  # not theirs or gone: it is simply not in the selection
            rules = rulesets.load(conn, row["rule_set_id"])
            allowed = {
                a["event"] for a in wf.actions_for(conn, row, actor, rules, now) if a["allowed"]
            }
            common = allowed if common is None else common & allowed
            rows.append(row)
    communes = {r["commune_code"] for r in rows}
    units = {}
    with read_connection() as conn:
        units = queries.units_by_id(conn, {r["unit_id"] for r in rows})
    return {
        "rows": [{**r, "unit_name": units.get(r["unit_id"], {}).get("name")} for r in rows],
        # Recognition and rejection are the decisions a bulk page is for; a unit's own steps
        # (withdraw) are not decided in bulk.
        "events": sorted(e for e in (common or set()) if e in {"recognise", "reject"}),
        "problem": ONE_COMMUNE if len(communes) > 1 else None,
    }


def fire_each(
    actor: Actor,
    event: Event,
    versions: dict[int, int],
    payload: dict[str, Any],
    batch_key: str,
    request_id: str | None,
) -> list[dict[str, Any]]:
    """Fire ``event`` on each dossier at the version its page showed; one result per dossier."""
    results = []
    for dossier_id, version in versions.items():
        result: dict[str, Any] = {"id": dossier_id, "done": False, "reasons": []}
        try:
            changes.fire_event(
                actor,
                dossier_id,
                event,
                payload,
                f'"{version}"',
                idempotency_key=f"{batch_key}-{dossier_id}",
                request_id=request_id,
            )
            result["done"] = True
        except VersionConflict as err:
            result["reasons"] = [err.detail]
        except WorkflowError as err:
            result["reasons"] = list(err.extra.get("reasons") or [err.detail])
        except ApiProblem as err:
            result["reasons"] = [err.detail]
        results.append(result)
    return results


def parse_event(value: str) -> Event | None:
    ev = EVENT_OF.get(value)
    return ev if ev in (Event.RECOGNISE, Event.REJECT) else None
