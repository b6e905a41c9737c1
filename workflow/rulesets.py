"""Rule sets in the database: resolve the one in force, pin it to a dossier, load it by id.

Rows are immutable (a new version is a new row), so a parsed rule set is cached by id forever.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from states.rulesets import RuleSet, national_default
from states.subjects import SubjectType
from workflow.models import NATIONAL, RuleSetRow

rule_set_table = RuleSetRow.__table__
_cache: dict[int, RuleSet] = {}
_t = rule_set_table
# Built once (see workflow/engine.py): the province's own newest version beats the national one.
_IN_FORCE = (select(_t.c.id)
             .where(_t.c.province_code.in_([bindparam("province"), NATIONAL]),
                    _t.c.year == bindparam("year"), _t.c.subject_type == bindparam("subject"))
             .order_by((_t.c.province_code == NATIONAL).asc(), _t.c.version.desc()).limit(1))


def load(conn: Connection, rule_set_id: int) -> RuleSet:
    rules = _cache.get(rule_set_id)
    if rules is None:
        body = conn.execute(select(rule_set_table.c.body)
                            .where(rule_set_table.c.id == rule_set_id)).scalar_one()
        rules = _cache[rule_set_id] = RuleSet.from_json(body)
    return rules


def in_force(conn: Connection, province_code: int, year: int, subject: SubjectType) -> tuple[int, RuleSet]:
    """The newest rule set for (province, year, subject type); the province's own beats the
    national one. The national default is stored on first use so that dossiers can pin it."""
    t = rule_set_table
    row = conn.execute(_IN_FORCE, {"province": province_code, "year": year,
                                   "subject": subject.value}).first()
    if row is not None:
        return row.id, load(conn, row.id)
    rules = national_default(year, subject)
    try:
        with conn.begin_nested():
            new_id = conn.execute(insert(t).returning(t.c.id), {
                "province_code": NATIONAL, "year": year, "subject_type": subject.value,
                "version": 1, "body": rules.to_json(), "published_at": datetime.now(UTC),
                "published_by": None}).scalar_one()
    except IntegrityError:  # another transaction stored it first
        return in_force(conn, province_code, year, subject)
    _cache[new_id] = rules
    return new_id, rules


def next_version(conn: Connection, province_code: int, year: int, subject: SubjectType) -> int:
    t = rule_set_table
    current = conn.execute(select(func.max(t.c.version)).where(
        t.c.province_code == province_code, t.c.year == year,
        t.c.subject_type == subject.value)).scalar()
    return (current or 0) + 1


def publish(conn: Connection, rules: RuleSet, published_by: int | None = None) -> int:
    """Store ``rules`` as the next version for its (province, year, subject type); open dossiers
    keep the version they were pinned to."""
    province_code = rules.province_code or NATIONAL
    subject = SubjectType(rules.subject_type)
    version = next_version(conn, province_code, rules.year, subject)
    rules = rules.model_copy(update={"version": version})
    t = rule_set_table
    new_id = conn.execute(insert(t).returning(t.c.id), {
        "province_code": province_code, "year": rules.year, "subject_type": subject.value,
        "version": version, "body": rules.to_json(), "published_at": datetime.now(UTC),
        "published_by": published_by}).scalar_one()
    _cache[new_id] = rules
    return new_id
