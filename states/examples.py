"""Complete, valid payloads: one builder per lifecycle event, shared by the demo, the CLI's
`dossier example`, the benchmark and the tests, so that all of them walk dossiers with the same
data the guards accept.

``example(event, subject_type)`` is the one entry point; ``EXAMPLES`` holds one entry per
``Event`` (tests/engine/test_every_event_has_an_example.py fails for an event without one).
Adding an event adds one ``@example_of`` function here and no branch anywhere else.

Each call returns a fresh object (callers may change it to make a test case). The builders
take a rule set's sections when given one, so a province that adds criteria is served too; without
one they use the national data of the subject type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from states.assessment import DEFAULT_PAPERS, Paper
from states.criteria import Criterion, CriterionKind, checklist
from states.lifecycle import TRANSITION_BY_EVENT, Event
from states.rulesets import SCORED_SUBJECTS, RuleSet
from states.scoring import MOVEMENT_TABLE, ScoreTable
from states.subjects import SubjectType

# Counts used in the examples: a residential area of 120 households, an agency with 8 sub-units.
HOUSEHOLDS = 120
SUB_UNITS = 8
# The decision the examples cite unless a caller numbers its own (the demo uses the dossier id).
DECISION_NO = "15/QĐ-UBND"
REVOCATION_NO = "20/QĐ-UBND"
DECISION_DATE = "2026-11-12"
# `dossier example register`: registration is not a lifecycle event (it creates the dossier).
REGISTER = "register"


def answer_met(c: Criterion) -> dict[str, Any]:
    """The answer of a unit where nothing went wrong, for one criterion."""
    if c.kind is CriterionKind.NEG:
        return {"happened": False}
    if c.kind is CriterionKind.PCT:
        n = HOUSEHOLDS if c.threshold_pct == 100 else SUB_UNITS
        return {"numerator": n, "denominator": n}
    return {"met": True}


def assessment(criteria: Iterable[Criterion] | SubjectType | str) -> dict[str, Any]:
    """A complete self-assessment with every criterion met (engine-counted ones left out)."""
    if isinstance(criteria, (SubjectType, str)):
        criteria = checklist(criteria)
    return {"answers": {c.id: answer_met(c) for c in criteria if c.measure is None}}


def score_sheet(
    table: ScoreTable = MOVEMENT_TABLE, *, short: dict[str, int] | None = None
) -> dict[str, Any]:
    """A valid score sheet: full marks on every item (the unit anticipating 8c), less ``short``
    points on the sub-items or sub-item-less items named (parents are re-added)."""
    short = short or {}
    sheet: dict[str, Any] = {}
    for item in table.items:
        if item.sub_items:
            for sub in item.sub_items:
                sheet[sub.id] = sub.max_points - short.get(sub.id, 0)
            sheet[item.id] = sum(sheet[s.id] for s in item.sub_items)
        else:
            sheet[item.id] = item.max_points - short.get(item.id, 0)
    return sheet


def papers(required: Iterable[Paper] = DEFAULT_PAPERS) -> dict[str, Any]:
    """The dossier's papers by name and reference (file upload is not part of the engine)."""
    return {p.id: {"ref": f"Số 01/{p.id.upper()}", "name": p.label_vi} for p in required}


def _sections(
    subject: SubjectType | str, rules: RuleSet | None
) -> tuple[tuple[Criterion, ...], ScoreTable | None, tuple[Paper, ...]]:
    subject = SubjectType(subject)
    if rules is not None:
        return rules.criteria, rules.score_table, rules.policy.required_papers
    table = MOVEMENT_TABLE if subject in SCORED_SUBJECTS else None
    return checklist(subject), table, DEFAULT_PAPERS


def submit_payload(subject: SubjectType | str, rules: RuleSet | None = None) -> dict[str, Any]:
    """``submit_self_score``: the self-assessment, the score sheet (CQ, DN, CSGD) and the papers."""
    criteria, table, required = _sections(subject, rules)
    out: dict[str, Any] = {"assessment": assessment(criteria), "papers": papers(required)}
    if table is not None:
        out["scores"] = score_sheet(table)
    return out


def verify_payload(subject: SubjectType | str, rules: RuleSet | None = None) -> dict[str, Any]:
    """``police_verify``: the superior's score sheet (CQ, DN, CSGD); the assessment is left out,
    so the unit's self-assessment is taken as verified."""
    _, table, _ = _sections(subject, rules)
    return {"scores": score_sheet(table)} if table is not None else {}


def registration_payload(subject: SubjectType | str) -> dict[str, Any]:
    """``register``: a residential area declares its households (every one registered)."""
    if SubjectType(subject) is SubjectType.KDC:
        return {"households": {"registered": HOUSEHOLDS, "total": HOUSEHOLDS}}
    return {}


def decision_payload(
    decision_no: str = DECISION_NO, decision_date: str = DECISION_DATE
) -> dict[str, Any]:
    """``recognise``: the decision's number and date (``decision_day`` gives a valid one)."""
    return {"decision_no": decision_no, "decision_date": decision_date}


# ------------------------------------------------------------------------------------------------
# One entry per event.


@dataclass(frozen=True)
class Occasion:
    """What an example body may depend on: whose dossier, under which rules, which decision."""

    subject: SubjectType
    rules: RuleSet | None = None
    number: int | str | None = None  # numbers its decisions; None: DECISION_NO, REVOCATION_NO
    decision_date: str = DECISION_DATE


@dataclass(frozen=True)
class Example:
    build: Callable[[Occasion], dict[str, Any]]
    # Fields the event also accepts beyond those its example sends (listed in the API's docs).
    optional: tuple[str, ...] = ()


EXAMPLES: dict[Event, Example] = {}


Builder = Callable[[Occasion], dict[str, Any]]


def example_of(event: Event, *, optional: tuple[str, ...] = ()) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        EXAMPLES[event] = Example(fn, optional)
        return fn

    return register


@example_of(Event.SUBMIT_SELF_SCORE)
def _submit(o: Occasion) -> dict[str, Any]:
    return submit_payload(o.subject, o.rules)


@example_of(Event.COMMUNE_APPROVE)
def _approve(o: Occasion) -> dict[str, Any]:
    return {}  # the commune judges the stored self-assessment: nothing to send


@example_of(Event.POLICE_VERIFY, optional=("assessment",))
def _verify(o: Occasion) -> dict[str, Any]:
    return verify_payload(o.subject, o.rules)


@example_of(Event.RECOGNISE)
def _recognise(o: Occasion) -> dict[str, Any]:
    no = DECISION_NO if o.number is None else f"{o.number}/QĐ-UBND"
    return decision_payload(no, o.decision_date)


@example_of(Event.REJECT)
def _reject(o: Occasion) -> dict[str, Any]:
    return {"reason": "Chưa đạt tiêu chí an ninh, trật tự / the security criteria are not met"}


@example_of(Event.RETURN_FOR_REVISION)
def _return(o: Occasion) -> dict[str, Any]:
    return {"reason": "Bổ sung biên bản họp / add the meeting minutes"}


@example_of(Event.WITHDRAW, optional=("reason",))
def _withdraw(o: Occasion) -> dict[str, Any]:
    return {}


@example_of(Event.REVOKE)
def _revoke(o: Occasion) -> dict[str, Any]:
    return {
        "decision_no": REVOCATION_NO if o.number is None else f"{o.number}/QĐ-TH",
        "reason": "Vi phạm sau công nhận / a breach after recognition",
    }


def example(
    event: Event | str,
    subject: SubjectType | str,
    rules: RuleSet | None = None,
    *,
    number: int | str | None = None,
    decision_date: date | str = DECISION_DATE,
) -> dict[str, Any]:
    """A complete, valid body for ``event`` (or ``"register"``) on a dossier of ``subject`` under
    ``rules`` (national data when None); ``number`` numbers the decision of events that cite one
    (the demo passes the dossier id), ``decision_date`` dates it."""
    if event == REGISTER:
        return registration_payload(subject)
    entry = EXAMPLES.get(Event(event))
    if entry is None:
        raise LookupError(f"no example for '{Event(event).value}': add one with @example_of")
    when = decision_date.isoformat() if isinstance(decision_date, date) else decision_date
    return entry.build(Occasion(SubjectType(subject), rules, number, when))


def fields_of(event: Event) -> tuple[set[str], set[str]]:
    """(the fields ``event`` needs, the fields it may carry besides) over every subject type."""
    needed = set(TRANSITION_BY_EVENT[event].required)
    for subject in SubjectType:
        needed |= set(example(event, subject))
    return needed, set(EXAMPLES[event].optional) - needed


def events_carrying(name: str) -> tuple[list[Event], list[Event]]:
    """(the events that need body field ``name``, those that accept it), in the table's order."""
    fields = {e: fields_of(e) for e in Event}
    return (
        [e for e in Event if name in fields[e][0]],
        [e for e in Event if name in fields[e][1]],
    )


def decision_day(year: int, today: date) -> str:
    """A decision date the guard accepts for a dossier of ``year`` decided on ``today`` (the
    date in Vietnam): today in the current year, the national decision date (12/11) of a past
    year, capped at today."""
    if year == today.year:
        return today.isoformat()
    return min(date(year, 11, 12), today).isoformat()
