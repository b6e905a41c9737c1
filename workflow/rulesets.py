"""Rule sets in the database: resolve the one in force, pin it to a dossier, load it by id.

Rows are immutable (a new version is a new row), so a parsed rule set is cached by id forever.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from states import access
from states.rulesets import RuleSet, check_rule_set, national_default, national_floor_problems
from states.subjects import SubjectType
from workflow.actors import Actor
from workflow.db import is_autocommit, read_connection, write_transaction
from workflow.errors import Forbidden, InvalidInput, NotFound
from workflow.models import NATIONAL, RuleSetRow, table_of
from workflow.prepared import Prepared

rule_set_table = table_of(RuleSetRow)
_cache: dict[int, RuleSet] = {}
_t = rule_set_table


def in_force_select(province: Any, year: Any, subject: Any):
    """The id of the rule set in force for (province, year, subject type), each given as a
    parameter or a column of an enclosing query: the province's own newest version beats the
    national one."""
    return (
        select(_t.c.id)
        .where(
            _t.c.province_code.in_([province, NATIONAL]),
            _t.c.year == year,
            _t.c.subject_type == subject,
        )
        .order_by((_t.c.province_code == NATIONAL).asc(), _t.c.version.desc())
        .limit(1)
    )


# Built once (see workflow/engine.py).
_IN_FORCE = in_force_select(bindparam("province"), bindparam("year"), bindparam("subject"))


_IN_FORCE_PREPARED = Prepared(_IN_FORCE)


def load(conn: Connection, rule_set_id: int) -> RuleSet:
    rules = _cache.get(rule_set_id)
    if rules is None:
        body = conn.execute(
            select(rule_set_table.c.body).where(rule_set_table.c.id == rule_set_id)
        ).scalar_one()
        rules = _cache[rule_set_id] = RuleSet.from_json(body)
    return rules


def in_force(
    conn: Connection, province_code: int, year: int, subject: SubjectType
) -> tuple[int, RuleSet]:
    """The newest rule set for (province, year, subject type); the province's own beats the
    national one. The national default is stored on first use so that dossiers can pin it."""
    t = rule_set_table
    found = _IN_FORCE_PREPARED.scalar(
        conn, {"province": province_code, "year": year, "subject": subject.value}
    )
    if found is not None:
        return found, load(conn, found)
    rules = national_default(year, subject)
    row = {
        "province_code": NATIONAL,
        "year": year,
        "subject_type": subject.value,
        "version": 1,
        "body": rules.to_json(),
        "published_at": datetime.now(UTC),
        "published_by": None,
    }
    try:
        # Outside a transaction (a compare-and-set registration) the INSERT is atomic alone and
        # a refusal aborts nothing; inside one, a savepoint keeps the caller's transaction.
        with nullcontext() if is_autocommit(conn) else conn.begin_nested():
            new_id = conn.execute(insert(t).returning(t.c.id), row).scalar_one()
    except IntegrityError:  # another transaction stored it first
        return in_force(conn, province_code, year, subject)
    _cache[new_id] = rules
    return new_id, rules


def next_version(conn: Connection, province_code: int, year: int, subject: SubjectType) -> int:
    t = rule_set_table
    current = conn.execute(
        select(func.max(t.c.version)).where(
            t.c.province_code == province_code, t.c.year == year, t.c.subject_type == subject.value
        )
    ).scalar()
    return (current or 0) + 1


def publish(conn: Connection, rules: RuleSet, published_by: int | None = None) -> int:
    """Store ``rules`` as the next version for its (province, year, subject type); open dossiers
    keep the version they were pinned to."""
    province_code = rules.province_code or NATIONAL
    subject = SubjectType(rules.subject_type)
    version = next_version(conn, province_code, rules.year, subject)
    rules = rules.model_copy(update={"version": version})
    t = rule_set_table
    new_id = conn.execute(
        insert(t).returning(t.c.id),
        {
            "province_code": province_code,
            "year": rules.year,
            "subject_type": subject.value,
            "version": version,
            "body": rules.to_json(),
            "published_at": datetime.now(UTC),
            "published_by": published_by,
        },
    ).scalar_one()
    _cache[new_id] = rules
    return new_id


# ------------------------------------------------------------------------------------------------
# Publishing and reading, for the command line (and the API): validated, every error listed.


def _who_may_publish(actor: Actor | None, province_code: int | None) -> str | None:
    """The operator (no user) publishes anything, the national default too; a user as
    ``states.access`` says."""
    return None if actor is None else access.publish_rules_problem(actor.seat, province_code)


def publish_bodies(
    bodies: Any, by: Actor | None = None, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """Publish one rule set body or a list of them (e.g. one per subject type), all or nothing.
    Every body is validated first and every error of every body is listed (``InvalidInput``);
    each is stored as the next version of its (province, year, subject type). A body's own
    ``version`` is ignored: the store numbers versions. Open dossiers keep the version they
    were pinned to at registration."""
    many = isinstance(bodies, list)
    items = bodies if many else [bodies]
    if not items:
        raise InvalidInput(["Tệp không có bộ quy tắc nào / the file holds no rule set"])
    reasons: list[str] = []
    parsed: list[RuleSet] = []
    for i, body in enumerate(items):
        where = f"[{i}] " if many else ""
        if not isinstance(body, dict):
            reasons.append(
                f"{where}bộ quy tắc phải là một đối tượng JSON / a rule set must be a JSON object"
            )
            continue
        problems = check_rule_set(body)
        if not problems:
            rules = RuleSet.model_validate(body)
            problems = national_floor_problems(rules)
            parsed.append(rules)
        reasons += [f"{where}{p}" for p in problems]
    keys = [r.key for r in parsed]
    for key in sorted(set(keys), key=str):
        if keys.count(key) > 1:
            n = keys.count(key)
            reasons.append(
                f"Bộ quy tắc {_key_text(key)} xuất hiện {n} lần trong tệp / rule set "
                f"{_key_text(key)} is listed {n} times"
            )
    if reasons:
        raise InvalidInput(reasons)
    for rules in parsed:
        problem = _who_may_publish(by, rules.province_code)
        if problem:
            raise Forbidden(problem)
    out = []
    with write_transaction(engine) as conn:
        for rules in parsed:
            new_id = publish(conn, rules, by.id if by is not None else None)
            out.append(describe(conn, new_id))
    return out


def _key_text(key: tuple[int | None, int, Any]) -> str:
    province, year, subject = key
    return f"({'national' if province is None else province}, {year}, {SubjectType(subject).value})"


_DESCRIBE = select(
    _t.c.id,
    _t.c.province_code,
    _t.c.year,
    _t.c.subject_type,
    _t.c.version,
    _t.c.published_at,
    _t.c.published_by,
).where(_t.c.id == bindparam("rule_set_id"))
_described: dict[int, dict[str, Any]] = {}


def forget() -> None:
    """Empty the process's caches (tests that reuse ids after emptying the tables)."""
    _cache.clear()
    _described.clear()


def describe(conn: Connection, rule_set_id: int) -> dict[str, Any]:
    """Who published which version when; rule-set rows never change, so it is kept."""
    found = _described.get(rule_set_id)
    if found is None:
        found = _described[rule_set_id] = _describe(conn, rule_set_id)
    return dict(found)


def _describe(conn: Connection, rule_set_id: int) -> dict[str, Any]:
    row = conn.execute(_DESCRIBE, {"rule_set_id": rule_set_id}).one()
    province = None if row.province_code == NATIONAL else row.province_code
    return {
        "id": row.id,
        "province_code": province,
        "year": row.year,
        "subject_type": row.subject_type,
        "version": row.version,
        "published_at": row.published_at,
        "published_by": row.published_by,
    }


def find(
    province_code: int | None,
    year: int,
    subject: SubjectType | str,
    version: int | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The rule set a dossier registered now would be pinned to (or a given version), read-only:
    the province's newest, else the stored national one, else the national default not stored
    yet (``id`` None). Raises NotFound for a version that does not exist."""
    subject = SubjectType(subject)
    with read_connection(engine) as conn:
        if version is not None:
            row = conn.execute(
                select(_t.c.id).where(
                    _t.c.province_code == (province_code or NATIONAL),
                    _t.c.year == year,
                    _t.c.subject_type == subject.value,
                    _t.c.version == version,
                )
            ).first()
            if row is None:
                raise NotFound(
                    f"Không có phiên bản {version} của bộ quy tắc "
                    f"{_key_text((province_code, year, subject))} / there is no version "
                    f"{version} of rule set {_key_text((province_code, year, subject))}"
                )
        else:
            row = conn.execute(
                _IN_FORCE,
                {"province": province_code or NATIONAL, "year": year, "subject": subject.value},
            ).first()
        if row is None:
            return {
                "id": None,
                "province_code": None,
                "year": year,
                "subject_type": subject.value,
                "version": None,
                "published_at": None,
                "published_by": None,
                "note": "national default, not stored yet (it is stored at the first registration)",
                "rules": national_default(year, subject),
            }
        return {**describe(conn, row.id), "rules": load(conn, row.id)}
