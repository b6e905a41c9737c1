"""The summary a province or a commune tracks: per commune and per subject type, units, dossiers
by state, the registration and recognition rates against the province's targets, overdue and
escalated steps.

Two GROUP BY queries (units; dossiers by commune, subject type and state, with the overdue and
escalated counts summed in the same pass) whatever the number of dossiers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from states import access, territory
from states.calendar import local_date
from states.lifecycle import STATE_LABELS, STEP_OF_STATE, State
from states.subjects import SUBJECT_LABELS, SubjectType
from states.targets import Targets, meets, target_for
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.errors import Forbidden, InvalidInput
from workflow.models import Dossier, Unit

dossier_table = Dossier.__table__
unit_table = Unit.__table__
OPEN_STATES = [s.value for s in STEP_OF_STATE]
SUBJECTS = [s.value for s in SubjectType]


def _scope(actor: Actor, province: int | None, commune: int | None) -> tuple[int, int | None]:
    """The (province, commune) the actor asks for, checked against its territory."""
    problem = access.report_problem(actor.seat, actor.province_code, actor.commune_code)
    if problem:  # a role that reads no report learns so before its input is checked
        raise Forbidden(problem)
    if province is not None and territory.province(province) is None:
        raise InvalidInput([f"Không có tỉnh mã {province} / no province with code {province}"])
    if commune is not None:
        place = territory.commune(commune)
        if place is None:
            raise InvalidInput(
                [f"Không có xã/phường mã {commune} / no commune with code {commune}"]
            )
        if province is not None and place.province_code != province:
            raise InvalidInput(
                [
                    f"Xã {commune} không thuộc tỉnh {province} / commune {commune} is "
                    f"not in province {province}"
                ]
            )
        province = place.province_code
    province = province if province is not None else actor.province_code
    if actor.commune_code is not None:
        commune = commune if commune is not None else actor.commune_code
    problem = access.report_problem(actor.seat, province, commune)
    if problem:
        raise Forbidden(problem)
    return province, commune


def _empty() -> dict[str, Any]:
    return {"units": 0, "by_state": {s.value: 0 for s in State}, "overdue": 0, "escalated": 0}


def _finish(f: dict[str, Any], targets: Targets) -> dict[str, Any]:
    by_state = f["by_state"]
    registered = sum(n for s, n in by_state.items() if s != State.WITHDRAWN.value)
    recognised = by_state[State.RECOGNISED.value]
    units = f["units"]
    return {
        "units": units,
        "registered": registered,
        "recognised": recognised,
        "by_state": by_state,
        "registration_rate": round(registered / units, 4) if units else None,
        "recognition_rate": round(recognised / registered, 4) if registered else None,
        "meets_registration_target": meets(registered, units, targets.registration_pct),
        "meets_recognition_target": meets(recognised, registered, targets.recognition_pct),
        "overdue": f["overdue"],
        "escalated": f["escalated"],
    }


def _add(into: dict[str, Any], other: dict[str, Any]) -> None:
    into["units"] += other["units"]
    into["overdue"] += other["overdue"]
    into["escalated"] += other["escalated"]
    for s, n in other["by_state"].items():
        into["by_state"][s] += n


def queries(province: int, commune: int | None, year: int, now: datetime):
    """The two GROUP BY queries of a report: units, and dossiers by commune, type and state."""
    d, u = dossier_table.c, unit_table.c
    where_d = [d.province_code == province, d.year == year]
    where_u = [u.province_code == province]
    if commune is not None:
        where_d.append(d.commune_code == commune)
        where_u.append(u.commune_code == commune)
    open_ = d.state.in_(OPEN_STATES)
    dossiers_q = (
        select(
            d.commune_code,
            d.subject_type,
            d.state,
            func.count().label("n"),
            func.sum(case((and_(open_, d.due_at < now), 1), else_=0)).label("overdue"),
            func.sum(case((and_(open_, d.escalation_level > 0), 1), else_=0)).label("escalated"),
        )
        .where(*where_d)
        .group_by(d.commune_code, d.subject_type, d.state)
    )
    units_q = (
        select(u.commune_code, u.subject_type, func.count().label("n"))
        .where(*where_u)
        .group_by(u.commune_code, u.subject_type)
    )
    return units_q, dossiers_q


def summary(
    actor: Actor,
    *,
    province: int | None = None,
    commune: int | None = None,
    year: int | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The report for the actor's territory (or a part of it) and a year (default: this year in
    Vietnam). Rates: registration = registered / units; recognition = recognised / registered
    (withdrawn dossiers are not registered); None where there is nothing to divide by."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    year = year or local_date(now).year
    if not 2020 <= year <= 2100:
        raise InvalidInput([f"Năm '{year}' không hợp lệ / year '{year}' is not valid"])
    province, commune = _scope(actor, province, commune)
    targets = target_for(province)
    units_q, dossiers_q = queries(province, commune, year, now)
    communes = (
        [territory.commune(commune)]
        if commune is not None
        else list(territory.communes_of(province))
    )
    cells: dict[tuple[int, str], dict[str, Any]] = {
        (c.code, s): _empty() for c in communes for s in SUBJECTS
    }
    with read_connection(engine) as conn:
        for row in conn.execute(units_q):
            cells.setdefault((row.commune_code, row.subject_type), _empty())["units"] += row.n
        for row in conn.execute(dossiers_q):
            cell = cells.setdefault((row.commune_code, row.subject_type), _empty())
            cell["by_state"][row.state] += row.n
            cell["overdue"] += int(row.overdue or 0)
            cell["escalated"] += int(row.escalated or 0)
    names = {c.code: c.name for c in communes}
    rows, scope_by_subject, scope_total = [], {s: _empty() for s in SUBJECTS}, _empty()
    for code in sorted({k[0] for k in cells}):
        total = _empty()
        by_subject = {}
        for s in SUBJECTS:
            cell = cells.get((code, s)) or _empty()
            _add(total, cell)
            _add(scope_by_subject[s], cell)
            by_subject[s] = _finish(cell, targets)
        _add(scope_total, total)
        rows.append(
            {
                "commune_code": code,
                "commune_name": names.get(code),
                "total": _finish(total, targets),
                "by_subject_type": by_subject,
            }
        )
    info = territory.province(province)
    return {
        "scope": {
            "province_code": province,
            "province_name": info.name if info else None,
            "commune_code": commune,
            "commune_name": names.get(commune) if commune else None,
        },
        "year": year,
        "as_of": now.isoformat(),
        "targets": {
            "registration_pct": targets.registration_pct,
            "recognition_pct": targets.recognition_pct,
        },
        "total": _finish(scope_total, targets),
        "by_subject_type": {s: _finish(f, targets) for s, f in scope_by_subject.items()},
        "communes": rows,
        "labels": {
            "states": {s.value: {"vi": vi, "en": en} for s, (vi, en) in STATE_LABELS.items()},
            "subject_types": {
                s.value: {"vi": vi, "en": en} for s, (vi, en) in SUBJECT_LABELS.items()
            },
        },
    }
