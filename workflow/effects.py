"""What an accepted event writes on the dossier besides state and version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from states.lifecycle import Event, State
from workflow.guards import GuardContext, parse_date

EFFECTS: dict[Event, Callable[[GuardContext], dict[str, Any]]] = {}


def effect(event: Event):
    def register(fn):
        EFFECTS[event] = fn
        return fn
    return register


def _reason(ctx: GuardContext) -> str | None:
    reason = ctx.payload.get("reason")
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


@effect(Event.RETURN_FOR_REVISION)
def _returned(ctx: GuardContext) -> dict[str, Any]:
    returns = dict(ctx.dossier.get("returns") or {})
    returns[ctx.state.value] = returns.get(ctx.state.value, 0) + 1
    return {"returns": returns, "last_reason": _reason(ctx)}


@effect(Event.REJECT)
def _rejected(ctx: GuardContext) -> dict[str, Any]:
    return {"last_reason": _reason(ctx)}


@effect(Event.WITHDRAW)
def _withdrawn(ctx: GuardContext) -> dict[str, Any]:
    return {"last_reason": _reason(ctx)}


@effect(Event.RECOGNISE)
def _recognised(ctx: GuardContext) -> dict[str, Any]:
    return {"decision_no": str(ctx.payload["decision_no"]).strip(),
            "decision_date": parse_date(ctx.payload["decision_date"]), "last_reason": None}


@effect(Event.REVOKE)
def _revoked(ctx: GuardContext) -> dict[str, Any]:
    return {"last_reason": f"{_reason(ctx)} (QĐ thu hồi số {str(ctx.payload['decision_no']).strip()})"}


def apply(ctx: GuardContext, dest: State) -> dict[str, Any]:
    fn = EFFECTS.get(ctx.transition.event)
    return fn(ctx) if fn else {}
