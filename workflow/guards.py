"""Named checks the lifecycle table attaches to events. Each returns the reasons it refuses
(Vietnamese / English), never a bare boolean, so a reviewer sees exactly what is missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from states.lifecycle import Event, State, Transition
from states.rulesets import RuleSet
from workflow.actors import Actor


@dataclass
class GuardContext:
    conn: Connection
    dossier: dict[str, Any]
    rules: RuleSet
    transition: Transition
    payload: dict[str, Any]
    actor: Actor
    now: datetime

    @property
    def state(self) -> State:
        return State(self.dossier["state"])


@dataclass(frozen=True)
class Guard:
    check: Callable[[GuardContext], list[str]]
    # A guard that reads the payload cannot be judged before the payload exists (allowed actions).
    uses_payload: bool = False


GUARDS: dict[str, Guard] = {}


def guard(name: str, *, uses_payload: bool = False):
    def register(fn: Callable[[GuardContext], list[str]]):
        GUARDS[name] = Guard(fn, uses_payload)
        return fn
    return register


REQUIRED_FIELD_REASONS = {
    "reason": "Cần ghi rõ lý do bằng văn bản / a written reason is required",
    "decision_no": "Cần số quyết định / the decision number is required",
    "decision_date": "Cần ngày quyết định (YYYY-MM-DD) / the decision date is required (YYYY-MM-DD)",
}
RETURN_GUIDANCE = ("Cần hướng dẫn bằng văn bản những nội dung phải bổ sung / written guidance on "
                   "what is missing is required")


def missing_fields(transition: Transition, payload: dict[str, Any]) -> list[str]:
    reasons = []
    for name in transition.required:
        value = payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name == "reason" and transition.event is Event.RETURN_FOR_REVISION:
                reasons.append(RETURN_GUIDANCE)
            else:
                reasons.append(REQUIRED_FIELD_REASONS.get(name, f"'{name}' is required"))
        elif name == "decision_date" and parse_date(value) is None:
            reasons.append(f"Ngày quyết định '{value}' không hợp lệ / decision date '{value}' is not "
                           "a date (YYYY-MM-DD)")
    return reasons


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@guard("return_limit")
def _return_limit(ctx: GuardContext) -> list[str]:
    used = (ctx.dossier.get("returns") or {}).get(ctx.state.value, 0)
    limit = ctx.rules.policy.max_returns_per_step
    if used >= limit:
        return [f"Hồ sơ đã được trả lại {used} lần ở bước này (tối đa {limit}); hãy quyết định "
                f"/ the dossier was already returned {used} time(s) at this step (limit {limit}): "
                "approve it, or the People's Committee rejects it"]
    return []


@guard("revocation_enabled")
def _revocation_enabled(ctx: GuardContext) -> list[str]:
    if not ctx.rules.policy.revocation_enabled:
        return ["Bộ quy tắc của năm không cho phép thu hồi công nhận / the rule set of this year "
                "does not enable revocation"]
    return []
