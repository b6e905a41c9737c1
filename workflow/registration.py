"""Registering a unit's dossier for a year: the first row of its audit trail, and the "step
opened" message that asks the unit to self-score (issue 15: every newly opened step is
announced, the first one too), written in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from states import access
from states.assessment import pct_result
from states.criteria import CriterionKind
from states.lifecycle import INITIAL
from states.rulesets import RuleSet, registration_window_reasons
from states.subjects import SubjectType
from workflow import audit, outbox, replay, rulesets
from workflow.actors import Actor
from workflow.db import reading_after_refusal, write_transaction
from workflow.errors import Conflict, Forbidden, GuardFailed, InvalidInput, no_unit
from workflow.models import DOSSIER_UNIT_COLUMNS, Dossier, Unit, table_of
from workflow.prepared import Prepared
from workflow.queries import place_of_unit
from workflow.steps import open_step

dossier_table = table_of(Dossier)
unit_table = table_of(Unit)


# Built once (see workflow/engine.py). One read brings the unit, the rule set in force for its
# province, year and subject type (None until a national default is stored) and the new dossier's
# id, so that the audit row, whose hash covers that id, is written with the dossier itself.
def _unit_query(next_id) -> Prepared:
    in_force = (
        rulesets.in_force_select(
            unit_table.c.province_code, bindparam("year"), unit_table.c.subject_type
        )
        .correlate(unit_table)
        .scalar_subquery()
    )
    return Prepared(
        select(unit_table, in_force.label("rule_set_id"), next_id.label("next_id")).where(
            unit_table.c.id == bindparam("unit_id")
        )
    )


_UNIT = {
    # Postgres: the id comes from the table's own sequence (a refused registration leaves a gap).
    "postgresql": _unit_query(func.nextval(func.pg_get_serial_sequence("dossier", "id"))),
    # SQLite: the caller holds the write lock (BEGIN IMMEDIATE), so max + 1 is the next id, as
    # SQLite itself would choose it.
    "sqlite": _unit_query(
        select(func.coalesce(func.max(dossier_table.c.id), 0) + 1).scalar_subquery()
    ),
}
_LIVE = Prepared(
    select(dossier_table.c.id, dossier_table.c.state).where(
        dossier_table.c.unit_id == bindparam("unit_id"),
        dossier_table.c.year == bindparam("year"),
        dossier_table.c.withdrawn_at.is_(None),
    )
)
_INSERT_COLUMNS = (
    "id",
    "unit_id",
    "year",
    "state",
    "version",
    "rule_set_id",
    "subject_type",
    "managing_level",
    "province_code",
    "commune_code",
    "returns",
    "audit_seq",
    "audit_head",
    "created_at",
    "updated_at",
    "escalation_level",
    "step_opened_at",
    "step_seq",
    "due_at",
    "step_opened_late",
    "next_escalation_at",
)
_INSERT_DOSSIER = insert(dossier_table).values(
    {c: bindparam(c, type_=dossier_table.c[c].type) for c in _INSERT_COLUMNS}
)
_INSERT = Prepared(_INSERT_DOSSIER)
# Postgres: the dossier, its first audit row and its first step's announcement in one statement.
_registered = _INSERT_DOSSIER.returning(dossier_table.c.id).cte("registered")
_INSERT_WITH_AUDIT = Prepared(outbox.insert_after_audit(_registered))


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
    if not isinstance(counts, dict) or not all(
        isinstance(counts.get(k), int) and not isinstance(counts.get(k), bool)
        for k in HOUSEHOLD_KEYS
    ):
        return [
            'Khu dân cư đăng ký cần số hộ: {"households": {"registered": n, "total": '
            'm}} / a residential area registers with its household counts: {"households": '
            '{"registered": n, "total": m}}'
        ]
    registered, total = counts["registered"], counts["total"]
    if total <= 0 or not 0 <= registered <= total:
        return [
            f"Số hộ không hợp lệ: {registered}/{total} / household counts {registered} of "
            f"{total} are not valid (0 <= registered <= total, total > 0)"
        ]
    criterion = next(
        (
            c
            for c in rules.criteria
            if c.kind is CriterionKind.PCT and c.measure is None and c.threshold_pct == 100
        ),
        None,
    )
    if criterion is None:
        return (
            []
            if registered == total
            else [
                f"Mới có {registered}/{total} hộ đăng ký, cần 100% / {registered} of {total} "
                "households registered: every one must"
            ]
        )
    result = pct_result(criterion, registered, total)
    return [] if result.met else [result.reason()]


def _already_registered(unit_id: int, year: int, engine: Engine | None) -> Conflict:
    """The unique (unit, year) index refused a second live dossier: name the one there is."""
    with reading_after_refusal(engine) as conn:
        existing = _LIVE.first(conn, {"unit_id": unit_id, "year": year})
    if existing is None:  # withdrawn in the meantime: the unit may register again
        return Conflict(
            f"Đơn vị vừa có hồ sơ năm {year}; thử lại / the unit's {year} dossier "
            "changed while registering; try again"
        )
    return Conflict(
        f"Đơn vị đã có hồ sơ năm {year} (số {existing['id']}, trạng thái "
        f"{existing['state']}) / the unit already has a {year} dossier "
        f"(#{existing['id']}, {existing['state']})",
        dossier_id=existing["id"],
    )


def register(
    unit_id: int,
    year: int,
    actor: Actor,
    payload: dict[str, Any] | None = None,
    *,
    request_id: str | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Register ``unit_id``'s dossier for ``year``: checks, then the dossier, its first audit
    row and the "step opened" message of its first step, together or not at all. A second live
    dossier for the same unit and year is refused by the unique index (a Conflict naming the
    one there is), however the two requests interleave."""
    payload = payload or {}
    if not isinstance(year, int) or not 2020 <= year <= 2100:
        raise InvalidInput([f"Năm '{year}' không hợp lệ / year '{year}' is not a valid year"])
    at = (now or datetime.now(UTC)).astimezone(UTC)
    request = (unit_id, year, actor, payload, request_id, at)
    try:
        with write_transaction(engine) as conn:
            return _register(conn, *request)
    except IntegrityError as err:
        if not _is_second_live_dossier(err):
            raise  # a bug, not the user's: said as it is, not as "already registered"
        raise _already_registered(unit_id, year, engine) from None


def _is_second_live_dossier(err: IntegrityError) -> bool:
    """The unique index on a unit's live dossier of a year refused the row (its name on
    Postgres, its columns on SQLite)."""
    text = str(err.orig)
    return "uq_dossier_live" in text or "dossier.unit_id, dossier.year" in text


def _register(
    conn: Connection,
    unit_id: int,
    year: int,
    actor: Actor,
    payload: dict[str, Any],
    request_id: str | None,
    at: datetime,
) -> dict[str, Any]:
    unit = _UNIT[conn.dialect.name].first(conn, {"unit_id": unit_id, "year": year})
    # A unit outside the actor's territory is answered as one that does not exist.
    if unit is None:
        raise no_unit(unit_id)
    place = place_of_unit(unit)
    if access.read_unit_problem(actor.seat, place):
        raise no_unit(unit_id)
    problem = access.register_dossier_problem(actor.seat, place)
    if problem:
        raise Forbidden(problem)
    if unit["rule_set_id"] is not None:
        rule_set_id = unit["rule_set_id"]
        rules = rulesets.load(conn, rule_set_id)
    else:  # the year's national default rule set is stored on first use
        rule_set_id, rules = rulesets.in_force(
            conn, unit["province_code"], year, SubjectType(unit["subject_type"])
        )
    reasons = [
        r
        for check in REGISTRATION_CHECKS.values()
        for r in check(conn, unit, year, rules, payload, at)
    ]
    if reasons:
        raise GuardFailed(reasons)
    return _insert(conn, unit, year, rule_set_id, rules, actor, payload, request_id, at)


def _insert(
    conn: Connection,
    unit: dict[str, Any],
    year: int,
    rule_set_id: int,
    rules: RuleSet,
    actor: Actor,
    payload: dict[str, Any],
    request_id: str | None,
    at: datetime,
) -> dict[str, Any]:
    dossier_id = unit["next_id"]
    audit_row, head = audit.record(
        dossier_id=dossier_id,
        seq=1,
        prev_hash=audit.GENESIS,
        event=audit.REGISTER,
        from_state=None,
        to_state=INITIAL.value,
        version=1,
        actor_id=actor.id,
        actor_name=actor.name,
        role=actor.role.value,
        # The request's own fields beside what the row takes from the unit (it wins a clash).
        payload={**payload, replay.RECORDED: replay.recorded(unit, year)},
        reason=None,
        at=at,
        request_id=request_id,
        rule_set_id=rule_set_id,
    )
    row: dict[str, Any] = {
        "id": dossier_id,
        "unit_id": unit["id"],
        "year": year,
        "state": INITIAL.value,
        "version": 1,
        "rule_set_id": rule_set_id,
        "subject_type": unit["subject_type"],
        "managing_level": unit["managing_level"],
        "province_code": unit["province_code"],
        "commune_code": unit["commune_code"],
        "returns": {},
        "audit_seq": 1,
        "audit_head": head,
        "created_at": at,
        "updated_at": at,
        "escalation_level": 0,
    }
    row.update(open_step(rules, row, INITIAL, at, seq=1))
    # The unit's self-scoring step is open: announced to its seat, as every fire announces the
    # step it opens (workflow/engine.py), in this same transaction.
    message = outbox.step_opened(row, at)
    assert message is not None  # a registered dossier always waits on its unit
    if conn.dialect.name == "sqlite":
        _INSERT.execute(conn, row)
        audit.INSERT.execute(conn, audit_row)
        outbox.INSERT.execute(conn, message)
    else:
        _INSERT_WITH_AUDIT.execute(
            conn, outbox.with_message(audit.with_row(row, audit_row), message)
        )
    row.update({f"unit_{c}": unit[c] for c in DOSSIER_UNIT_COLUMNS})
    return row
