"""Full replay: every dossier column an event determines, rebuilt from the trail alone and
compared with the row (docs/RELIABILITY.md, "The audit trail cannot be quietly rewritten").

The rebuild runs the engine's own functions over the recorded payloads: the effects of
``workflow.effects`` (assessments, score sheets, total, class, decision, returns, reason,
withdrawal) and the step clock of ``workflow.steps`` (deadline, escalation level and time), so
the rules are written once. It is one pass over rows already read: a payload is parsed only when
its event's effect reads it, and the step clock is computed once, for the step open at the end
(each event that opens a step replaces every step column), then the escalations since it.

What registration takes from the unit (unit, year, subject type, managing level, province,
commune) is recorded in the register event's payload under ``RECORDED``. Trails written before
it was recorded leave those columns unknown, not different: the year and subject type still come
from the rule set the dossier was registered under, and so does the province of a province's own
rule set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple

from states.deadlines import next_level
from states.lifecycle import EVENT_OF, INITIAL, STATE_OF, TRANSITION_BY_EVENT, Event, State
from states.rulesets import RuleSet
from workflow import effects, jsontext
from workflow.effects import EFFECT_COLUMNS
from workflow.guards import GuardContext
from workflow.steps import STEP_COLUMNS, deadline_rules, open_step

REGISTER = "register"
ESCALATE = "escalate"  # the deadline clock's event (workflow/escalation.py), not the lifecycle's

RECORDED = "dossier"
RECORDED_COLUMNS = (
    "unit_id",
    "year",
    "subject_type",
    "managing_level",
    "province_code",
    "commune_code",
)
# Every column of the dossier but its id and the chain's head (audit_seq, audit_head), which
# the chain check compares (tests/engine/test_replay.py holds this list to the table).
COLUMNS = (
    "state",
    "version",
    "rule_set_id",
    *RECORDED_COLUMNS,
    "created_at",
    "updated_at",
    *STEP_COLUMNS,
    *EFFECT_COLUMNS,
)


class Discrepancy(NamedTuple):
    """What replay found: the row it concerns (None: the dossier as a whole), what is wrong, and
    the column that differs, if it is one."""

    seq: int | None
    problem: str
    column: str | None = None


def recorded(unit: dict[str, Any], year: int) -> dict[str, Any]:
    """The ``RECORDED`` part of a register event's payload: what the dossier takes from its unit
    and its request (workflow/registration.py)."""
    return {"unit_id": unit["id"], "year": year, **{c: unit[c] for c in RECORDED_COLUMNS[2:]}}


def _aware(at: datetime | str) -> datetime:
    """A row's time as the engine had it when it wrote the row: aware UTC. The stored text of a
    naive UTC time (as verify reads it) is parsed with its zone in one call."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at if "+" in at[19:] else at + "+00:00")
    if at.tzinfo is UTC:
        return at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    value = jsontext.loads(row["payload"])
    if not isinstance(value, dict):
        raise TypeError("the payload is not an object")
    return value


def _cannot(row: dict[str, Any], err: Exception) -> Discrepancy:
    return Discrepancy(
        row["seq"],
        f"row {row['seq']} ({row['event']}) cannot be replayed: {type(err).__name__}: {err}",
    )


def replay(
    dossier: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    rules_of: Callable[[int], RuleSet | None],
) -> list[Discrepancy]:
    """Rebuild ``dossier``'s columns from ``rows`` (its whole trail, the chain already checked)
    and name each column that differs, with the row that last set it."""
    if not rows:
        return []  # the chain check names an empty trail (the dossier records its length)
    first = rows[0]
    if first["event"] != REGISTER:
        return [Discrepancy(first["seq"], "the trail does not begin with a registration")]
    rule_set_id = first["rule_set_id"]
    rules = rules_of(rule_set_id)
    if rules is None:
        return [Discrepancy(first["seq"], f"the trail's rule set {rule_set_id} does not exist")]
    try:
        facts = _payload(first).get(RECORDED)
        at = _aware(first["at"])
    except (TypeError, ValueError) as err:
        return [_cannot(first, err)]
    expected: dict[str, Any] = dict.fromkeys(EFFECT_COLUMNS)
    unknown: frozenset[str] = frozenset()
    if isinstance(facts, dict) and all(c in facts for c in RECORDED_COLUMNS):
        expected.update({c: facts[c] for c in RECORDED_COLUMNS})
    else:  # a trail from before registration recorded them
        expected.update({c: dossier[c] for c in RECORDED_COLUMNS})
        expected.update(year=rules.year, subject_type=rules.subject_type.value)
        unknown = frozenset({"unit_id", "managing_level", "commune_code"})
        if rules.province_code is None:
            unknown |= {"province_code"}
        else:
            expected["province_code"] = rules.province_code
    expected.update(
        state=INITIAL.value,
        version=1,
        rule_set_id=rule_set_id,
        created_at=at,
        updated_at=at,
        returns={},
    )
    set_by: dict[str, int] = {}
    state: State = INITIAL
    opener, opened_at, returned = first, at, False
    escalations: list[dict[str, Any]] = []
    for r in islice(rows, 1, None):
        seq, name = r["seq"], r["event"]
        if r["rule_set_id"] != rule_set_id:
            return [
                Discrepancy(
                    seq,
                    f"row {seq} names rule set {r['rule_set_id']}, the registration "
                    f"{rule_set_id}: a dossier keeps its rule set to the end",
                )
            ]
        if name == ESCALATE:
            escalations.append(r)
            continue
        event = EVENT_OF.get(name)
        if event is None:
            return [
                Discrepancy(seq, f"row {seq} records an event the engine does not know: {name}")
            ]
        transition = TRANSITION_BY_EVENT[event]
        if state not in transition.sources:
            return [
                Discrepancy(
                    seq,
                    f"row {seq} records {name} from state {state.value}, which the lifecycle "
                    "does not allow: the trail cannot be replayed",
                )
            ]
        try:
            at = _aware(r["at"])
            if event in effects.EFFECTS:
                # The effects read neither the database nor the actor.
                ctx = GuardContext(None, expected, rules, transition, _payload(r), None, at)  # type: ignore[arg-type]
                changes = effects.apply(ctx, transition.dest)
                expected.update(changes)
                for c in changes:
                    set_by[c] = seq
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            return [_cannot(r, err)]
        state = transition.dest
        expected["state"] = state.value
        expected["version"] += 1
        expected["updated_at"] = at
        set_by.update(state=seq, version=seq, updated_at=seq)
        opener, opened_at, returned = r, at, event is Event.RETURN_FOR_REVISION
        escalations = []
    found = _step(expected, set_by, rules, opener, opened_at, returned, escalations)
    if found:
        return found
    return [
        Discrepancy(
            set_by.get(c, 1),
            f"column {c}: the trail gives {expected[c]!r}, the dossier holds {dossier[c]!r} "
            f"(last set by row {set_by.get(c, 1)})",
            c,
        )
        for c in (COLUMNS if not unknown else [c for c in COLUMNS if c not in unknown])
        if expected[c] != dossier[c] and not _same_time(expected[c], dossier[c])
    ]


def _same_time(a: Any, b: Any) -> bool:
    """Two times that name one instant, one of them read without its zone (naive UTC)."""
    return isinstance(a, datetime) and isinstance(b, datetime) and _aware(a) == _aware(b)


def _step(
    expected: dict[str, Any],
    set_by: dict[str, int],
    rules: RuleSet,
    opener: dict[str, Any],
    opened_at: datetime,
    returned: bool,
    escalations: list[dict[str, Any]],
) -> list[Discrepancy]:
    """The step columns as the last event that opened a step wrote them (``open_step``), then
    as each escalation since raised them (workflow/escalation.py)."""
    dest = STATE_OF[expected["state"]]
    step = open_step(rules, expected, dest, opened_at, opener["seq"], returned=returned)
    set_by.update(dict.fromkeys(step, opener["seq"]))
    for e in escalations:
        seq = e["seq"]
        if step["due_at"] is None:
            return [Discrepancy(seq, f"row {seq} escalates a step that has no deadline")]
        try:
            level = _payload(e)["level"]
            later = next_level(deadline_rules(rules).ladder, step["due_at"], level)
        except (KeyError, TypeError, ValueError) as err:
            return [_cannot(e, err)]
        step["escalation_level"] = level
        step["next_escalation_at"] = later[1] if later else None
        set_by.update(escalation_level=seq, next_escalation_at=seq)
    expected.update(step)
    return []
