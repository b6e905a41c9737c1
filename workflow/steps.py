"""Opening a step: when the dossier starts waiting on someone, its clock starts.

The deadline and the first escalation time are computed here, in the transaction that opens
the step, with the pure functions of ``states.deadlines``; the scheduler only reads them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from states.deadlines import DeadlineRules, next_level, parse, step_clock
from states.lifecycle import STEP_OF_STATE, State
from states.rulesets import RuleSet
from states.subjects import SUBJECT_OF

# The dossier columns that describe the open step (open_step sets them, the sweep moves the
# escalation ones).
STEP_COLUMNS = (
    "step_opened_at",
    "step_seq",
    "due_at",
    "step_opened_late",
    "escalation_level",
    "next_escalation_at",
)


_parsed: dict[int, tuple[RuleSet, DeadlineRules]] = {}


def deadline_rules(rules: RuleSet) -> DeadlineRules:
    # Keyed by id() for speed, but the entry keeps its rule set and is used only for that very
    # object: an id is reused once its object is collected, and a new rule set must not get an
    # old one's deadlines. Rule sets are few (one per year and province), so the map stays small.
    found = _parsed.get(id(rules))
    if found is None or found[0] is not rules:
        found = _parsed[id(rules)] = (rules, parse(json.dumps(rules.deadlines, sort_keys=True)))
    return found[1]


def open_step(
    rules: RuleSet,
    dossier: dict[str, Any],
    dest: State,
    at: datetime,
    seq: int,
    *,
    returned: bool = False,
) -> dict[str, Any]:
    """The step columns to write when the dossier enters ``dest`` at ``at`` (audit row ``seq``).
    ``returned``: the dossier came back for supplements, so the unit gets a fresh time to
    resubmit; the escalation ladder starts again at level 0 either way."""
    if dest not in STEP_OF_STATE:
        return {
            "step_opened_at": None,
            "step_seq": seq,
            "due_at": None,
            "step_opened_late": False,
            "escalation_level": 0,
            "next_escalation_at": None,
        }
    deadlines = deadline_rules(rules)
    clock = step_clock(
        deadlines,
        SUBJECT_OF[dossier["subject_type"]],
        dest,
        dossier["year"],
        at,
        returned=returned,
    )
    first = next_level(deadlines.ladder, clock.due_at, 0) if clock.due_at else None
    return {
        "step_opened_at": at,
        "step_seq": seq,
        "due_at": clock.due_at,
        "step_opened_late": clock.opened_late,
        "escalation_level": 0,
        "next_escalation_at": first[1] if first else None,
    }
