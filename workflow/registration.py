"""Registering a unit's dossier for a year: the first row of its audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from states.assessment import pct_result
from states.criteria import CriterionKind
from states.lifecycle import INITIAL, Role, State
from states.rulesets import RuleSet, registration_window_reasons
from states.subjects import SubjectType
from workflow import audit, rulesets
from workflow.actors import Actor
from workflow.db import write_transaction
from workflow.errors import Conflict, Forbidden, GuardFailed, InvalidInput, NotFound
from workflow.models import Dossier, Unit
from workflow.prepared import Prepared
from workflow.steps import open_step

dossier_table = Dossier.__table__
unit_table = Unit.__table__

# Built once (see workflow/engine.py).
_UNIT = Prepared(select(unit_table).where(unit_table.c.id == bindparam("unit_id")))
_LIVE = Prepared(select(dossier_table.c.id, dossier_table.c.state).where(
    dossier_table.c.unit_id == bindparam("unit_id"), dossier_table.c.year == bindparam("year"),
    dossier_table.c.state != State.WITHDRAWN.value))
_INSERT_COLUMNS = ("unit_id", "year", "state", "version", "rule_set_id", "subject_type",
                   "managing_level", "province_code", "commune_code", "returns", "audit_seq",
                   "audit_head", "created_at", "updated_at", "escalation_level", "step_opened_at",
                   "step_seq", "due_at", "next_escalation_at")
_INSERT = Prepared(insert(dossier_table).values({c: bindparam(c) for c in _INSERT_COLUMNS})
                   .returning(dossier_table.c.id), columns=[dossier_table.c.id])
_SET_HEAD = Prepared(update(dossier_table).where(dossier_table.c.id == bindparam("b_id"))
                     .values(audit_seq=bindparam("audit_seq"), audit_head=bindparam("audit_head")))

# Checks run at registration: name -> fn(conn, unit, year, rules, payload, now) -> reasons.
REGISTRATION_CHECKS: dict[str, Any] = {}


def registration_check(name: str):
    def register(fn):
        REGISTRATION_CHECKS[name] = fn
        return fn
    return register


# Vietnam keeps UTC+7 all year (no daylight saving): the day a registration falls on is that day
# in Vietnam, so 31/3 at 20:00 UTC is already 1/4 there.
VIETNAM = timezone(timedelta(hours=7), "ICT")


@registration_check("window")
def _window(conn, unit, year, rules: RuleSet, payload, now: datetime) -> list[str]:
    return registration_window_reasons(rules, now.astimezone(VIETNAM).date())


HOUSEHOLD_KEYS = ("registered", "total")


@registration_check("households")
def _households(conn, unit, year, rules: RuleSet, payload, now) -> list[str]:
    """A residential area registers with its households counted: every one must have registered
    (the checklist's 100% criterion; its threshold comes from the rule set)."""
    if unit["subject_type"] != SubjectType.KDC.value:
        return []
    counts = payload.get("households")
    if (not isinstance(counts, dict)
            or not all(isinstance(counts.get(k), int) and not isinstance(counts.get(k), bool)
                       for k in HOUSEHOLD_KEYS)):
        return ["Khu dân cư đăng ký cần số hộ: {\"households\": {\"registered\": n, \"total\": "
                "m}} / a residential area registers with its household counts: {\"households\": "
                "{\"registered\": n, \"total\": m}}"]
    registered, total = counts["registered"], counts["total"]
    if total <= 0 or not 0 <= registered <= total:
        return [f"Số hộ không hợp lệ: {registered}/{total} / household counts {registered} of "
                f"{total} are not valid (0 <= registered <= total, total > 0)"]
    criterion = next((c for c in rules.criteria if c.kind is CriterionKind.PCT
                      and c.measure is None and c.threshold_pct == 100), None)
    if criterion is None:
        return [] if registered == total else [
            f"Mới có {registered}/{total} hộ đăng ký, cần 100% / {registered} of {total} "
            "households registered: every one must"]
    result = pct_result(criterion, registered, total)
    return [] if result.met else [result.reason()]


def _may_register(actor: Actor, unit: dict[str, Any]) -> str | None:
    if actor.role is Role.UNIT:
        return None if actor.unit_id == unit["id"] else (
            "Chỉ đăng ký được cho đơn vị của mình / you can only register your own unit")
    if actor.role in (Role.COMMUNE_REVIEWER, Role.PROVINCE_ADMIN):
        if actor.covers(unit["province_code"], unit["commune_code"]):
            return None
        return "Đơn vị ngoài địa bàn của bạn / the unit is outside your territory"
    return (f"Vai trò '{actor.role.value}' không đăng ký hồ sơ / role '{actor.role.value}' "
            "does not register dossiers")


def _live_dossier(conn: Connection, unit_id: int, year: int) -> dict[str, Any] | None:
    return _LIVE.first(conn, {"unit_id": unit_id, "year": year})


def register(unit_id: int, year: int, actor: Actor, payload: dict[str, Any] | None = None, *,
             request_id: str | None = None, now: datetime | None = None,
             engine: Engine | None = None) -> dict[str, Any]:
    payload = payload or {}
    if not isinstance(year, int) or not 2020 <= year <= 2100:
        raise InvalidInput([f"Năm '{year}' không hợp lệ / year '{year}' is not a valid year"])
    at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        with write_transaction(engine) as conn:
            unit = _UNIT.first(conn, {"unit_id": unit_id})
            if unit is None:
                raise NotFound(f"Không có đơn vị số {unit_id} / there is no unit {unit_id}")
            problem = _may_register(actor, unit)
            if problem:
                raise Forbidden(problem)
            existing = _live_dossier(conn, unit_id, year)
            if existing:
                raise Conflict(f"Đơn vị đã có hồ sơ năm {year} (số {existing['id']}, trạng thái "
                               f"{existing['state']}) / the unit already has a {year} dossier "
                               f"(#{existing['id']}, {existing['state']})",
                               dossier_id=existing["id"])
            rule_set_id, rules = rulesets.in_force(conn, unit["province_code"], year,
                                                   SubjectType(unit["subject_type"]))
            reasons = [r for check in REGISTRATION_CHECKS.values()
                       for r in check(conn, unit, year, rules, payload, at)]
            if reasons:
                raise GuardFailed(reasons)
            return _insert(conn, unit, year, rule_set_id, rules, actor, payload, request_id, at)
    except IntegrityError:  # a concurrent registration won the unique (unit, year) place
        raise Conflict(f"Đơn vị đã có hồ sơ năm {year} / the unit already has a {year} dossier") from None


def _insert(conn: Connection, unit: dict[str, Any], year: int, rule_set_id: int, rules: RuleSet,
            actor: Actor, payload: dict[str, Any], request_id: str | None,
            at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unit_id": unit["id"], "year": year, "state": INITIAL.value, "version": 1,
        "rule_set_id": rule_set_id, "subject_type": unit["subject_type"],
        "managing_level": unit["managing_level"], "province_code": unit["province_code"],
        "commune_code": unit["commune_code"], "returns": {}, "audit_seq": 0, "audit_head": "",
        "created_at": at, "updated_at": at, "escalation_level": 0,
    }
    row.update(open_step(rules, row | {"id": None}, INITIAL, at, seq=1))
    row["id"] = _INSERT.scalar(conn, row)
    head = audit.append(conn, dossier_id=row["id"], seq=1, prev_hash=audit.GENESIS,
                        event=audit.REGISTER, from_state=None, to_state=INITIAL.value, version=1,
                        actor_id=actor.id, actor_name=actor.name, role=actor.role.value,
                        payload=payload, reason=None, at=at, request_id=request_id,
                        rule_set_id=rule_set_id)
    _SET_HEAD.execute(conn, {"b_id": row["id"], "audit_seq": 1, "audit_head": head})
    row.update(audit_seq=1, audit_head=head)
    return row
