"""Dossier rows as the API shows them: labels added, the step spelled out, no internals
(audit head, step sequence) leaked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from api.schemas import DossierOut, RuleSetRef
from states import territory
from states.authority import authority
from states.calendar import local_date, working_days_between
from states.lifecycle import ROLE_LABELS, STATE_LABELS, STATE_OF, STEP_OF_STATE, TERMINAL, State
from states.rulesets import RuleSet, evaluation_window
from states.subjects import MANAGING_LEVEL_OF, SUBJECT_OF
from workflow import queries, rulesets
from workflow.models import DOSSIER_UNIT_COLUMNS


def _label(pair: tuple[str, str]) -> dict[str, str]:
    return {"vi": pair[0], "en": pair[1]}


def _overdue(row: dict[str, Any], now: datetime) -> bool:
    due = row.get("due_at")
    return bool(due and STATE_OF[row["state"]] in STEP_OF_STATE and due < now)


def _late_by(row: dict[str, Any], now: datetime) -> int | None:
    """How late the step is, in working days (Vietnam's calendar): 0 on the day it fell due."""
    if not _overdue(row, now):
        return None
    return working_days_between(local_date(row["due_at"]), local_date(now))


def unit_out(unit: dict[str, Any]) -> dict[str, Any]:
    place = territory.commune(unit["commune_code"])
    return {
        **{
            k: unit.get(k)
            for k in (
                "id",
                "name",
                "subject_type",
                "kind",
                "province_code",
                "commune_code",
                "managing_level",
                "created_at",
            )
        },
        "commune_name": place.name if place else None,
    }


def step_out(row: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    step = STEP_OF_STATE.get(STATE_OF[row["state"]])
    if step is None:
        return None
    need = authority(
        SUBJECT_OF[row["subject_type"]], MANAGING_LEVEL_OF[row["managing_level"]], step
    )
    return {
        "name": step.value,
        "role": need.role.value,
        "level": need.level.value,
        "label": _label(ROLE_LABELS[need.role]),
        "opened_at": row.get("step_opened_at"),
        "due_at": row.get("due_at"),
        "overdue": _overdue(row, now),
        "overdue_working_days": _late_by(row, now),
        "escalation_level": row.get("escalation_level", 0),
        "next_escalation_at": row.get("next_escalation_at"),
    }


def dossier_out(
    row: dict[str, Any],
    unit: dict[str, Any] | None,
    rule_set: dict[str, Any] | None,
    now: datetime | None = None,
    window: tuple[date, date] | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    state = STATE_OF[row["state"]]
    return {
        "id": row["id"],
        "year": row["year"],
        "state": state.value,
        "state_label": _label(STATE_LABELS[state]),
        "version": row["version"],
        "closed": state in TERMINAL,
        "unit": unit_out(unit) if unit else None,
        "rule_set": rule_set or {"id": row["rule_set_id"]},
        "step": step_out(row, now),
        **{
            k: row.get(k)
            for k in (
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
                "created_at",
                "updated_at",
            )
        },
        "returns": row.get("returns") or {},
        "evaluation_window": {"from": window[0], "to": window[1]} if window else None,
    }


def window_of(conn: Connection, row: dict[str, Any]) -> tuple[date, date]:
    """The evaluation period the dossier's results cover (TT 124 Điều 8.2, or the province's),
    from its pinned rule set (cached: rule sets never change)."""
    return evaluation_window(rulesets.load(conn, row["rule_set_id"]), row["year"])


def summary_out(row: dict[str, Any], unit: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    state = State(row["state"])
    return {
        "id": row["id"],
        "year": row["year"],
        "state": state.value,
        "state_label": _label(STATE_LABELS[state]),
        "version": row["version"],
        "unit_id": row["unit_id"],
        "unit_name": unit["name"] if unit else None,
        "subject_type": row["subject_type"],
        "province_code": row["province_code"],
        "commune_code": row["commune_code"],
        "due_at": row.get("due_at"),
        "overdue": _overdue(row, now),
        "escalation_level": row.get("escalation_level", 0),
        "classification": row.get("classification"),
        "updated_at": row["updated_at"],
    }


def etag(version: int) -> str:
    return f'"{version}"'


def _json_time(value: Any) -> Any:
    """A datetime or date as pydantic's JSON mode writes it (UTC as "Z")."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return value


_TIMES = ("decision_date", "withdrawn_at", "created_at", "updated_at")
_STEP_TIMES = ("opened_at", "due_at", "next_escalation_at")
_RULE_SET_FIELDS = tuple(RuleSetRef.model_fields)


def _unit_of(conn: Connection, row: dict[str, Any]) -> dict[str, Any] | None:
    """The dossier's unit: carried on a changed dossier's row, else read."""
    if "unit_name" not in row:
        return queries.unit_by_id(conn, row["unit_id"])
    return {"id": row["unit_id"], **{c: row[f"unit_{c}"] for c in DOSSIER_UNIT_COLUMNS}}


def render(conn: Connection, row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A dossier row as the API answers it (``DossierOut`` in JSON), read on ``conn``: inside a
    change, the transaction that made it, so the answer is exactly what was committed. Made
    JSON-ready here rather than by validating ``DossierOut`` again: the engine wrote these
    values, and validation took a tenth of a change's time (tests/api/test_render.py holds the
    two equal)."""
    unit = _unit_of(conn, row)
    out = dossier_out(row, unit, None, now, None)
    for key in _TIMES:
        out[key] = _json_time(out[key])
    if out["unit"] is not None:
        out["unit"]["created_at"] = _json_time(out["unit"].get("created_at"))
    step = out["step"]
    if step is not None:
        for key in _STEP_TIMES:
            step[key] = _json_time(step[key])
    rule_set_ref, window = _rule_set_parts(conn, row["rule_set_id"], row["year"])
    out["rule_set"] = dict(rule_set_ref)
    out["evaluation_window"] = dict(window)
    return out


_PARTS: dict[tuple[int, int], tuple[RuleSet, dict[str, Any], dict[str, str]]] = {}


def _rule_set_parts(
    conn: Connection, rule_set_id: int, year: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answer's rule-set reference and evaluation window, JSON-ready: rule sets never
    change, so each (rule set, year) is worked out once and copied into every answer. An entry
    holds for as long as the rule-set cache hands out the same rule set (tests empty it)."""
    rules = rulesets.load(conn, rule_set_id)
    found = _PARTS.get((rule_set_id, year))
    if found is None or found[0] is not rules:
        described = rulesets.describe(conn, rule_set_id)
        ref = {k: _json_time(described.get(k)) for k in _RULE_SET_FIELDS}
        start, end = evaluation_window(rules, year)
        window = {"from": start.isoformat(), "to": end.isoformat()}
        found = _PARTS[(rule_set_id, year)] = (rules, ref, window)
    return found[1], found[2]


def render_checked(
    conn: Connection, row: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """``render`` through ``DossierOut``'s validation: what the fast path must equal."""
    unit = queries.unit_by_id(conn, row["unit_id"])
    rule_set = rulesets.describe(conn, row["rule_set_id"])
    out = dossier_out(row, unit, rule_set, now, window_of(conn, row))
    return DossierOut.model_validate(out).model_dump(mode="json")
