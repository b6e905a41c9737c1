"""The one door through which a dossier's state ever changes: ``fire``.

In one write transaction (the API's, joined with its idempotency record, or its own): lock the
dossier row, check who may act, the version and the state, run the guards (every reason is
collected), run the shared Machine, then write state, version, step deadline and the audit row
(docs/ARCHITECTURE.md). Any error before or during the write leaves nothing written: no
half-moved dossier, no audit row without its move.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from states import access, calendar, lifecycle
from states.authority import Place
from states.lifecycle import (
    EVENT_LABELS,
    EVENT_OF,
    STATE_OF,
    STEP_OF_STATE,
    TRANSITION_BY_EVENT,
    TRANSITIONS,
    Event,
    State,
    Step,
    Transition,
    events_from,
    next_state,
)
from states.rulesets import RuleSet
from states.subjects import MANAGING_LEVEL_OF, SUBJECT_OF
from workflow import audit, broken_trails, effects, outbox, rulesets
from workflow.actors import Actor
from workflow.db import is_autocommit, is_sqlite, read_connection, write_transaction
from workflow.effects import EFFECT_COLUMNS
from workflow.errors import (
    BrokenTrail,
    Forbidden,
    GuardFailed,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    UnknownEvent,
    VersionConflict,
    no_dossier,
)
from workflow.guards import GUARDS, GuardContext, missing_fields
from workflow.models import DOSSIER_UNIT_COLUMNS, Dossier, Unit, table_of
from workflow.prepared import Prepared
from workflow.steps import STEP_COLUMNS, open_step

dossier_table = table_of(Dossier)
EVENT_NAMES = [e.value for e in Event]

# Statements are built once: constructing and cache-keying a Core statement per call cost more
# than executing it (see docs/BENCHMARKS.md). An UPDATE is built once per set of columns an
# event writes, so unchanged JSON columns (the assessment) are not serialised again.
_SELECT = select(dossier_table).where(dossier_table.c.id == bindparam("dossier_id"))
_READ = Prepared(_SELECT)
# The lock also brings the dossier's unit (``DOSSIER_UNIT_COLUMNS``): the answer to a change
# shows it, and on Postgres a second read is one round trip more of the five a fire takes.
_unit_table = table_of(Unit)
_LOCK = (
    select(dossier_table, *(_unit_table.c[c].label(f"unit_{c}") for c in DOSSIER_UNIT_COLUMNS))
    .join(_unit_table, _unit_table.c.id == dossier_table.c.unit_id)
    .where(dossier_table.c.id == bindparam("dossier_id"))
)
_READ_LOCKED = {
    "sqlite": Prepared(_LOCK),
    "postgresql": Prepared(_LOCK.with_for_update(of=dossier_table)),
}
WRITABLE = frozenset(
    {"state", "version", "audit_seq", "audit_head", "updated_at", *STEP_COLUMNS, *EFFECT_COLUMNS}
)


@lru_cache(maxsize=64)
def _update_for(columns: tuple[str, ...]) -> Prepared:
    """UPDATE the dossier only if it is still at the version and audit head that were read."""
    return Prepared(
        update(dossier_table)
        .where(
            dossier_table.c.id == bindparam("b_id"),
            dossier_table.c.version == bindparam("b_expected"),
            dossier_table.c.audit_seq == bindparam("b_audit_seq"),
        )
        .values({c: bindparam(c, type_=dossier_table.c[c].type) for c in columns})
    )


@lru_cache(maxsize=128)
def _move_with_audit_for(columns: tuple[str, ...], announce: bool) -> Prepared:
    """Postgres, one statement: UPDATE the dossier if it is still at the version and audit head
    that were read, and INSERT the audit row (and, ``announce``, the step's message) only if it
    was. Its row count is 1 or 0."""
    moved = _update_for(columns).statement.returning(dossier_table.c.id).cte("moved")
    if not announce:
        return Prepared(audit.insert_after(moved))
    return Prepared(outbox.insert_after_audit(moved))


class _Move(NamedTuple):  # a tuple: built on every fire, in a fraction of a dataclass's time
    """One requested event, as ``fire`` received it."""

    dossier_id: int
    event: Event
    transition: Transition
    actor: Actor
    payload: dict[str, Any]
    expected_version: int
    request_id: str | None
    at: datetime


def warm_up() -> None:
    """Build what the first fire would otherwise build: the shared Machine and Vietnam's holiday
    calendar (importing the holidays package costs about 170 ms). Servers and benchmarks call
    it at start, so that no official's first request pays for it."""
    lifecycle.machine()
    calendar.add_working_days(date(2026, 1, 2), 1)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is UTC else now.astimezone(UTC)


def parse_event(event: str | Event) -> Event:
    if isinstance(event, Event):
        return event
    found = EVENT_OF.get(event) if isinstance(event, str) else None
    if found is None:
        raise UnknownEvent(str(event), EVENT_NAMES)
    return found


def place_of(dossier: dict[str, Any]) -> Place:
    return Place(
        dossier["unit_id"],
        SUBJECT_OF[dossier["subject_type"]],
        MANAGING_LEVEL_OF[dossier["managing_level"]],
        dossier["province_code"],
        dossier["commune_code"],
    )


def _lock(conn: Connection, dossier_id: int) -> dict[str, Any]:
    # Outside a transaction (compare-and-set) a lock would end with the read: read unlocked,
    # and let the write's version check refuse a move that lost the race.
    dialect = "sqlite" if is_autocommit(conn) else conn.dialect.name
    row = _READ_LOCKED[dialect].first(conn, {"dossier_id": dossier_id})
    if row is None:
        raise NotFound(f"Không có hồ sơ số {dossier_id} / there is no dossier {dossier_id}")
    return row


def _refusals(ctx: GuardContext, *, with_payload: bool) -> list[str]:
    reasons = missing_fields(ctx.transition, ctx.payload) if with_payload else []
    for name in ctx.transition.guards:
        g = GUARDS[name]
        if g.uses_payload and not with_payload:
            continue
        reasons.extend(g.check(ctx))
    return reasons


def _authorise(actor: Actor, transition: Transition, place: Place, state: State) -> None:
    """The seat for the step the dossier waits in; a one-step event was checked already."""
    if transition.step is Step.CURRENT:
        problem = access.fire_problem(actor.seat, place, transition, state)
        if problem:
            raise Forbidden(problem)


def fire(
    dossier_id: int,
    event: str | Event,
    actor: Actor,
    payload: dict[str, Any] | None,
    expected_version: int,
    *,
    request_id: str | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Apply one event to one dossier; returns the dossier as it now is, or raises a typed error."""
    ev = parse_event(event)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput(["payload must be an object / dữ liệu gửi kèm phải là một đối tượng"])
    move = _Move(
        dossier_id,
        ev,
        TRANSITION_BY_EVENT[ev],
        actor,
        payload,
        expected_version,
        request_id,
        _now(now),
    )
    # One transaction, the row locked first (FOR UPDATE; SQLite's BEGIN IMMEDIATE): the API
    # joins it with its idempotency record, every other caller gets its own.
    try:
        with write_transaction(engine) as conn:
            dossier = _lock(conn, dossier_id)
            # Under the lock the row cannot have moved; if it did, refuse rather than fork history.
            decided = _decide(conn, dossier, move)
            # The seat that owns the new step hears of it, in the same transaction.
            if not _write(conn, decided, outbox.step_opened(dossier, move.at)):
                raise VersionConflict(expected_version, dossier["version"])
            return dossier
    except IntegrityError as err:
        if not broken_trails.is_seq_taken(err):
            raise
        # A row at the seq this event was to take was written behind the engine.
        seq = decided.audit_row["seq"]
        row_id = broken_trails.row_id_at(dossier_id, seq, engine)
        raise BrokenTrail(dossier_id, row_id, seq) from None


class _Decided(NamedTuple):
    """What a move writes: the dossier's changed columns with the row it must still be, and
    the audit row."""

    columns: tuple[str, ...]
    params: dict[str, Any]
    audit_row: dict[str, Any]


def _write(conn: Connection, decided: _Decided, message: dict[str, Any] | None) -> bool:
    """Write a decided move, and ``message`` if any, if the dossier is unchanged since it was
    read; False if it moved. Postgres: one statement (the UPDATE, the audit and the message
    INSERTs in a CTE), one round trip."""
    if not is_sqlite(conn.engine):
        params = audit.with_row(decided.params, decided.audit_row)
        if message is not None:
            params = outbox.with_message(params, message)
        statement = _move_with_audit_for(decided.columns, message is not None)
        return statement.execute(conn, params) == 1
    if _update_for(decided.columns).execute(conn, decided.params) != 1:
        return False
    audit.INSERT.execute(conn, decided.audit_row)
    if message is not None:
        outbox.INSERT.execute(conn, message)
    return True


def _decide(conn: Connection, dossier: dict[str, Any], move: _Move) -> _Decided:
    """Every check, then what to write. ``dossier`` is updated in place to what it becomes."""
    ev, transition, actor, payload, at = (
        move.event,
        move.transition,
        move.actor,
        move.payload,
        move.at,
    )
    # Who first, so that an outsider learns nothing and only someone who may act on this event
    # learns of a version or state conflict (docs/ARCHITECTURE.md, "Who may").
    place, seat = place_of(dossier), actor.seat
    if access.read_dossier_problem(seat, place):
        raise no_dossier(move.dossier_id)
    problem = access.event_problem(seat, place, transition)
    if problem:
        raise Forbidden(problem)
    if dossier["version"] != move.expected_version:
        raise VersionConflict(move.expected_version, dossier["version"])
    state = STATE_OF[dossier["state"]]
    if state not in transition.sources:
        raise TransitionNotAllowed(ev.value, state.value, [e.value for e in events_from(state)])
    _authorise(actor, transition, place, state)
    rules = rulesets.load(conn, dossier["rule_set_id"])
    ctx = GuardContext(conn, dossier, rules, transition, payload, actor, at)
    reasons = _refusals(ctx, with_payload=True)
    if reasons:
        raise GuardFailed(reasons)
    dest = next_state(state, ev)
    assert dest is transition.dest  # the Machine and the table are built from one source
    changes = effects.apply(ctx, dest)
    version = dossier["version"] + 1
    seq = dossier["audit_seq"] + 1
    changes.update(
        open_step(rules, dossier, dest, at, seq, returned=ev is Event.RETURN_FOR_REVISION)
    )
    reason = payload.get("reason")
    row, head = audit.record(
        dossier_id=move.dossier_id,
        seq=seq,
        prev_hash=dossier["audit_head"],
        event=ev.value,
        from_state=state.value,
        to_state=dest.value,
        version=version,
        actor_id=actor.id,
        actor_name=actor.name,
        role=actor.role.value,
        payload=payload,
        reason=reason if isinstance(reason, str) else None,
        at=at,
        request_id=move.request_id,
        rule_set_id=dossier["rule_set_id"],
    )
    changes.update(state=dest.value, version=version, audit_seq=seq, audit_head=head, updated_at=at)
    unknown = changes.keys() - WRITABLE
    assert not unknown, f"effects wrote columns fire() does not write: {unknown}"
    params = {
        **changes,
        "b_id": move.dossier_id,
        "b_expected": move.expected_version,
        "b_audit_seq": dossier["audit_seq"],
    }
    dossier.update(changes)
    return _Decided(tuple(sorted(changes)), params, row)


def load(conn: Connection, dossier_id: int) -> dict[str, Any]:
    """The dossier row as a dict, read without a lock (raises NotFound)."""
    row = _READ.first(conn, {"dossier_id": dossier_id})
    if row is None:
        raise NotFound(f"Không có hồ sơ số {dossier_id} / there is no dossier {dossier_id}")
    return row


def get(dossier_id: int, engine: Engine | None = None) -> dict[str, Any]:
    with read_connection(engine) as conn:
        return load(conn, dossier_id)


def actions_for(
    conn: Connection, dossier: dict[str, Any], actor: Actor, rules: RuleSet, now: datetime
) -> list[dict[str, Any]]:
    """Every event with "allowed" or why not (NotFound for someone who may not read it)."""
    place, seat = place_of(dossier), actor.seat
    if access.read_dossier_problem(seat, place):
        raise no_dossier(dossier["id"])
    state = STATE_OF[dossier["state"]]
    out = []
    for t in TRANSITIONS:
        reasons: list[str] = []
        if state not in t.sources:  # a reader sees the state anyway: the plainest reason first
            reasons.append(
                f"Không áp dụng ở trạng thái '{state.value}' / not allowed in state '{state.value}'"
            )
        else:
            problem = access.fire_problem(seat, place, t, state)
            if problem:
                reasons.append(problem)
            else:
                reasons.extend(
                    _refusals(
                        GuardContext(conn, dossier, rules, t, {}, actor, now), with_payload=False
                    )
                )
        vi, en = EVENT_LABELS[t.event]
        requires = [*t.required, *(f for g in t.guards for f in GUARDS[g].fields(rules))]
        out.append(
            {
                "event": t.event.value,
                "label_vi": vi,
                "label_en": en,
                "allowed": not reasons,
                "reasons": reasons,
                "requires": requires,
            }
        )
    return out


def allowed_actions(
    dossier_id: int, actor: Actor, *, now: datetime | None = None, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """Every event, with "allowed" or the reasons why not, for this actor on this dossier now.
    Payload fields (reason, decision number, assessment) are listed under "requires"."""
    with read_connection(engine) as conn:
        dossier = load(conn, dossier_id)
        rules = rulesets.load(conn, dossier["rule_set_id"])
        return actions_for(conn, dossier, actor, rules, _now(now))


__all__ = ["fire", "get", "load", "allowed_actions", "actions_for", "STEP_OF_STATE"]
