"""What an accepted event writes on the dossier besides state and version.

The assessment and the score sheets: the unit's at ``submit_self_score``, the police's at
``police_verify`` (their own assessment, or the unit's taken as verified when they send none).
The class is fixed at the decision: at ``recognise`` item 8c is granted, at ``reject`` it is 0;
the total of the superior's sheet gives the class by the rule set's bands, and both are stored.
A dossier rejected before the police scored it, and every KDC or XA dossier, has no class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from states.lifecycle import Event, State
from states.scoring import classify, grant_recognition, sheet_total
from workflow.guards import GuardContext, parse_date

# The dossier columns an event's effect may set (the engine writes them, replay rebuilds them).
EFFECT_COLUMNS = (
    "returns",
    "assessment",
    "verified_assessment",
    "self_scores",
    "verified_scores",
    "total_score",
    "classification",
    "decision_no",
    "decision_date",
    "last_reason",
    "withdrawn_at",
)


EFFECTS: dict[Event, Callable[[GuardContext], dict[str, Any]]] = {}


def effect(event: Event):
    def register(fn):
        EFFECTS[event] = fn
        return fn

    return register


def _reason(ctx: GuardContext) -> str | None:
    reason = ctx.payload.get("reason")
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


def _decided(ctx: GuardContext, recognised: bool) -> dict[str, Any]:
    """The superior's sheet as the decision fixes it (8c full or 0), its total and class."""
    table, sheet = ctx.rules.score_table, ctx.dossier.get("verified_scores")
    if table is None or sheet is None:
        return {}
    final = grant_recognition(table, sheet, recognised)
    total = sheet_total(table, final)
    return {
        "verified_scores": final,
        "total_score": float(total),
        "classification": classify(total, ctx.rules.bands).value,
    }


@effect(Event.SUBMIT_SELF_SCORE)
def _submitted(ctx: GuardContext) -> dict[str, Any]:
    changes = {"assessment": ctx.payload["assessment"]}
    if ctx.rules.score_table is not None:
        changes["self_scores"] = ctx.payload["scores"]
    return changes


@effect(Event.POLICE_VERIFY)
def _verified(ctx: GuardContext) -> dict[str, Any]:
    assessment = ctx.payload.get("assessment")
    changes = {
        "verified_assessment": ctx.dossier["assessment"] if assessment is None else assessment
    }
    if ctx.rules.score_table is not None:
        changes["verified_scores"] = ctx.payload["scores"]
    return changes


@effect(Event.RETURN_FOR_REVISION)
def _returned(ctx: GuardContext) -> dict[str, Any]:
    returns = dict(ctx.dossier.get("returns") or {})
    returns[ctx.state.value] = returns.get(ctx.state.value, 0) + 1
    changes = {"returns": returns, "last_reason": _reason(ctx)}
    # The verification judged a submission the unit is about to replace.
    if ctx.dossier.get("verified_assessment") is not None:
        changes["verified_assessment"] = None
    if ctx.dossier.get("verified_scores") is not None:
        changes["verified_scores"] = None
    return changes


@effect(Event.REJECT)
def _rejected(ctx: GuardContext) -> dict[str, Any]:
    return {"last_reason": _reason(ctx), **_decided(ctx, recognised=False)}


@effect(Event.WITHDRAW)
def _withdrawn(ctx: GuardContext) -> dict[str, Any]:
    return {"last_reason": _reason(ctx), "withdrawn_at": ctx.now}


@effect(Event.RECOGNISE)
def _recognised(ctx: GuardContext) -> dict[str, Any]:
    return {
        "decision_no": str(ctx.payload["decision_no"]).strip(),
        "decision_date": parse_date(ctx.payload["decision_date"]),
        "last_reason": None,
        **_decided(ctx, recognised=True),
    }


@effect(Event.REVOKE)
def _revoked(ctx: GuardContext) -> dict[str, Any]:
    number = str(ctx.payload["decision_no"]).strip()
    day = parse_date(ctx.payload.get("decision_date"))  # optional; the guard checked its range
    dated = f" ngày {day:%d/%m/%Y}" if day else ""
    return {"last_reason": f"{_reason(ctx)} (QĐ thu hồi số {number}{dated})"}


def apply(ctx: GuardContext, dest: State) -> dict[str, Any]:
    fn = EFFECTS.get(ctx.transition.event)
    return fn(ctx) if fn else {}
