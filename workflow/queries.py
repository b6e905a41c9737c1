"""Reading many dossiers and units: territory scope, filters, the reviewer's inbox, keyset pages.

Pages are keyset pages (``id > last`` or, in the inbox, ``(due, id) > last``), never offsets: a
dossier registered while someone pages through a list neither shifts nor repeats a row.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, false, func, or_, select, tuple_

from states import access
from states.authority import AUTHORITY_MAP, Level, Place
from states.lifecycle import STEP_OF_STATE, STEP_ROLE, Role, State, Step
from states.subjects import MANAGING_LEVEL_OF, SUBJECT_OF
from workflow.actors import Actor
from workflow.engine import load, place_of
from workflow.errors import InvalidInput, no_dossier, no_unit
from workflow.models import AuditEvent, Dossier, Unit, table_of
from workflow.prepared import Prepared

dossier_table = table_of(Dossier)
unit_table = table_of(Unit)
audit_table = table_of(AuditEvent)
OPEN_STATES = tuple(s.value for s in STEP_OF_STATE)
MAX_LIMIT = 200
# Dossiers without a deadline sort after every dated one in the inbox.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class DossierFilter:
    state: str | None = None
    subject_type: str | None = None
    province: int | None = None
    commune: int | None = None
    year: int | None = None
    unit_id: int | None = None
    overdue: bool | None = None
    awaiting_me: bool = False
    acted_by: int | None = None  # the archive: dossiers this user moved, newest first


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kinds: tuple[type, ...]) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        # Only what encode_cursor writes: an id is an int of the id range (not a float, bool
        # or 1e400), a time an ISO string.
        values = [datetime.fromisoformat(v) if k is datetime else v for k, v in zip(kinds, raw)]
        if any(
            type(v) is not int or not 0 <= v < 2**31
            for k, v in zip(kinds, values)
            if k is not datetime
        ):
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, RecursionError):
        raise InvalidInput(
            [
                "cursor: con trỏ trang không hợp lệ; dùng giá trị next_cursor của trang "
                "trước / cursor is not valid: pass the next_cursor of the previous page"
            ]
        ) from None


def territory_clause(actor: Actor, table=dossier_table):
    """What the actor may see, as SQL: ``states.access.read_scope``, the rule single reads use."""
    scope = access.read_scope(actor.seat)
    if scope.level is Level.UNIT:
        column = table.c.unit_id if table is dossier_table else table.c.id
        return column == scope.unit_id if scope.unit_id is not None else false()
    if scope.level is Level.COMMUNE:
        return and_(
            table.c.province_code == scope.province_code, table.c.commune_code == scope.commune_code
        )
    return table.c.province_code == scope.province_code


def awaiting_clause(actor: Actor):
    """Dossiers waiting in a step this actor owns: the authority map, read as a query; None
    when the actor owns no step (an auditor, a province admin): the inbox is empty."""
    if actor.role is Role.UNIT:
        return and_(
            dossier_table.c.unit_id == actor.unit_id,
            dossier_table.c.state == State.REGISTERED.value,
        )
    level = Level.COMMUNE if actor.commune_code is not None else Level.PROVINCE
    arms = []
    for state, step in STEP_OF_STATE.items():
        if step is Step.SELF_ASSESS or STEP_ROLE[step] is not actor.role:
            continue
        pairs = [
            (subject.value, managing.value)
            for (subject, managing), levels in AUTHORITY_MAP.items()
            if levels[step] is level
        ]
        if pairs:
            arms.append(
                and_(
                    dossier_table.c.state == state.value,
                    tuple_(dossier_table.c.subject_type, dossier_table.c.managing_level).in_(pairs),
                )
            )
    return or_(*arms) if arms else None


def dossier_query(
    actor: Actor,
    f: DossierFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Select | None:
    """The SELECT of one page (limit + 1 rows, to know whether another page follows); None
    when the page is empty by construction (the inbox of someone who owns no step)."""
    now = now or datetime.now(UTC)
    limit = max(1, min(limit, MAX_LIMIT))
    c = dossier_table.c
    where = [territory_clause(actor)]
    for column, value in (
        (c.state, f.state),
        (c.subject_type, f.subject_type),
        (c.province_code, f.province),
        (c.commune_code, f.commune),
        (c.year, f.year),
        (c.unit_id, f.unit_id),
    ):
        if value is not None:
            where.append(column == value)
    if f.overdue is True:
        where += [c.state.in_(OPEN_STATES), c.due_at < now]
    elif f.overdue is False:
        where.append(or_(c.due_at.is_(None), c.due_at >= now, c.state.not_in(OPEN_STATES)))
    q = select(dossier_table)
    if f.awaiting_me:
        # The inbox: soonest due first; the key is (due, id) so the order is total and stable.
        due = func.coalesce(c.due_at, NO_DUE)
        after = decode_cursor(cursor, (datetime, int))  # a bad cursor is refused, inbox or none
        mine = awaiting_clause(actor)
        if mine is None:
            return None
        where.append(mine)
        if after:
            where.append(tuple_(due, c.id) > tuple_(after[0], after[1]))
        q = q.where(*where).order_by(due, c.id)
    elif f.acted_by is not None:
        a = audit_table.c
        where.append(c.id.in_(select(a.dossier_id).where(a.actor_id == f.acted_by)))
        after = decode_cursor(cursor, (int,))
        if after:
            where.append(c.id < after[0])
        q = q.where(*where).order_by(c.id.desc())
    else:
        after = decode_cursor(cursor, (int,))
        if after:
            where.append(c.id > after[0])
        q = q.where(*where).order_by(c.id)
    return q.limit(limit + 1)


def list_dossiers(
    conn: Connection,
    actor: Actor,
    f: DossierFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the dossiers the actor may see; returns (rows, next cursor or None)."""
    limit = max(1, min(limit, MAX_LIMIT))
    q = dossier_query(actor, f, limit=limit, cursor=cursor, now=now)
    if q is None:
        return [], None
    rows = [dict(r._mapping) for r in conn.execute(q)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        key = (
            [(last["due_at"] or NO_DUE).isoformat(), last["id"]] if f.awaiting_me else [last["id"]]
        )
        next_cursor = encode_cursor(key)
    return rows, next_cursor


# Prepared: every answer to a change renders its dossier's unit (workflow/prepared.py says why).
_UNIT = Prepared(select(unit_table).where(unit_table.c.id == bindparam("unit_id")))


def unit_by_id(conn: Connection, unit_id: int) -> dict[str, Any] | None:
    return _UNIT.first(conn, {"unit_id": unit_id})


def units_by_id(conn: Connection, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(select(unit_table).where(unit_table.c.id.in_(sorted(ids))))
    return {r.id: dict(r._mapping) for r in rows}


def units_query(
    actor: Actor,
    *,
    province: int | None = None,
    commune: int | None = None,
    subject_type: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Select:
    c = unit_table.c
    where = [territory_clause(actor, unit_table)]
    for column, value in (
        (c.province_code, province),
        (c.commune_code, commune),
        (c.subject_type, subject_type),
    ):
        if value is not None:
            where.append(column == value)
    after = decode_cursor(cursor, (int,))
    if after:
        where.append(c.id > after[0])
    return select(unit_table).where(*where).order_by(c.id).limit(max(1, min(limit, MAX_LIMIT)) + 1)


def list_units(
    conn: Connection,
    actor: Actor,
    *,
    province: int | None = None,
    commune: int | None = None,
    subject_type: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    limit = max(1, min(limit, MAX_LIMIT))
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            units_query(
                actor,
                province=province,
                commune=commune,
                subject_type=subject_type,
                limit=limit,
                cursor=cursor,
            )
        )
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1]["id"]]) if more else None


def place_of_unit(unit: dict[str, Any]) -> Place:
    return Place(
        unit["id"],
        SUBJECT_OF[unit["subject_type"]],
        MANAGING_LEVEL_OF[unit["managing_level"]],
        unit["province_code"],
        unit["commune_code"],
    )


def visibility_problem(actor: Actor, dossier: dict[str, Any]) -> str | None:
    """None when the actor may read this dossier (its unit, or inside its territory)."""
    return access.read_dossier_problem(actor.seat, place_of(dossier))


def readable_dossier(conn: Connection, actor: Actor, dossier_id: int) -> dict[str, Any]:
    """The dossier, if the actor may read it; else the very NotFound of a missing one."""
    row = load(conn, dossier_id)  # a missing one raises the same NotFound
    if visibility_problem(actor, row):
        raise no_dossier(dossier_id)
    return row


def readable_unit(conn: Connection, actor: Actor, unit_id: int) -> dict[str, Any]:
    """The unit, if the actor may read it; else the very NotFound of a missing one."""
    unit = unit_by_id(conn, unit_id)
    if unit is None or access.read_unit_problem(actor.seat, place_of_unit(unit)):
        raise no_unit(unit_id)
    return unit
