"""Units (the bodies that are judged) and their registration in the territory tree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from states import access, territory
from states.subjects import (
    DEFAULT_KIND,
    ManagingLevel,
    SubjectType,
    kind_problem,
    managing_level_problem,
)
from workflow import queries
from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.errors import Conflict, Forbidden, InvalidInput, no_unit
from workflow.models import Unit, table_of

unit_table = table_of(Unit)


def create_unit(
    *,
    subject_type: str,
    commune_code: int,
    name: str | None = None,
    kind: str | None = None,
    managing_level: str | None = None,
    actor: Actor | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Register a unit; ``actor`` None means the system (CLI, demo seeding)."""
    reasons: list[str] = []
    try:
        subject = SubjectType(subject_type)
    except ValueError:
        raise InvalidInput(
            [
                f"Loại đối tượng '{subject_type}' không hợp lệ / unknown subject type "
                f"'{subject_type}'; use one of: {', '.join(s.value for s in SubjectType)}"
            ]
        ) from None
    place = territory.commune(commune_code)
    if place is None:
        raise InvalidInput(
            [f"Không có xã/phường mã {commune_code} / no commune with code {commune_code}"]
        )
    if managing_level is None:
        managing_level = (
            ManagingLevel.PROVINCE if subject is SubjectType.XA else ManagingLevel.COMMUNE
        ).value
    try:
        level = ManagingLevel(managing_level)
    except ValueError:
        raise InvalidInput(
            [
                f"Cấp quản lý '{managing_level}' không hợp lệ / unknown managing level "
                f"'{managing_level}': commune or province"
            ]
        ) from None
    if subject is SubjectType.XA:
        kind = kind or {"xã": "xa", "phường": "phuong", "đặc khu": "dac_khu"}.get(
            place.division, "xa"
        )
        name = name or place.name
    kind = kind or DEFAULT_KIND[subject]
    for problem in (kind_problem(subject, kind), managing_level_problem(subject, level)):
        if problem:
            reasons.append(problem)
    name = (name or "").strip()
    if not name:
        reasons.append("Cần tên đơn vị / the unit needs a name")
    if reasons:
        raise InvalidInput(reasons)
    problem = (
        None
        if actor is None
        else access.create_unit_problem(actor.seat, place.province_code, place.code, level)
    )
    if problem:
        raise Forbidden(problem)
    row = {
        "name": name,
        "subject_type": subject.value,
        "kind": kind,
        "province_code": place.province_code,
        "commune_code": place.code,
        "managing_level": level.value,
        "created_at": datetime.now(UTC),
    }
    try:
        with write_transaction(engine) as conn:
            row["id"] = conn.execute(
                insert(unit_table).returning(unit_table.c.id), row
            ).scalar_one()
    except IntegrityError:
        raise Conflict(
            f"{place.name} đã có đơn vị cấp xã / {place.name} is already registered "
            "as a commune unit"
        ) from None
    return row


def get_unit(unit_id: int, engine: Engine | None = None) -> dict[str, Any]:
    with read_connection(engine) as conn:
        row = conn.execute(select(unit_table).where(unit_table.c.id == unit_id)).first()
    if row is None:
        raise no_unit(unit_id)
    return dict(row._mapping)


def update_unit(
    unit_id: int,
    *,
    name: str | None = None,
    kind: str | None = None,
    actor: Actor | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Rename a unit or change its kind; whoever may register such a unit may correct it.
    Someone who may not read the unit is told it does not exist."""
    with write_transaction(engine) as conn:
        row = queries.unit_by_id(conn, unit_id)
        if row is None:
            raise no_unit(unit_id)
        place = queries.place_of_unit(row)
        if actor is not None:
            if access.read_unit_problem(actor.seat, place):
                raise no_unit(unit_id)
            problem = access.create_unit_problem(
                actor.seat, place.province_code, place.commune_code, place.managing
            )
            if problem:
                raise Forbidden(problem)
        changes: dict[str, Any] = {}
        reasons: list[str] = []
        if name is not None:
            changes["name"] = name.strip()
            if not changes["name"]:
                reasons.append("Cần tên đơn vị / the unit needs a name")
        if kind is not None:
            changes["kind"] = kind.strip()
            problem = kind_problem(place.subject, changes["kind"])
            if problem:
                reasons.append(problem)
        if reasons:
            raise InvalidInput(reasons)
        if changes:
            conn.execute(update(unit_table).where(unit_table.c.id == unit_id).values(**changes))
        return {**row, **changes}
