"""Opening a step: when the dossier starts waiting on someone, its clock starts.

The deadline and the first escalation time are computed here, in the transaction that opens
the step, with the pure functions of ``states.deadlines``; the scheduler only reads them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from states.deadlines import DeadlineRules, next_level, parse, step_due_at
from states.lifecycle import STEP_OF_STATE, State
from states.rulesets import RuleSet
from states.subjects import SUBJECT_OF

_parsed: dict[int, DeadlineRules] = {}


def deadline_rules(rules: RuleSet) -> DeadlineRules:
    # Rule sets are immutable and live as long as the process's rule-set cache.
    found = _parsed.get(id(rules))
    if found is None:
        found = _parsed[id(rules)] = parse(json.dumps(rules.deadlines, sort_keys=True))
    return found


def open_step(
    rules: RuleSet, dossier: dict[str, Any], dest: State, at: datetime, seq: int
) -> dict[str, Any]:
    """The step columns to write when the dossier enters ``dest`` at ``at`` (audit row ``seq``)."""
    if dest not in STEP_OF_STATE:
        return {
            "step_opened_at": None,
            "step_seq": seq,
            "due_at": None,
            "escalation_level": 0,
            "next_escalation_at": None,
        }
    deadlines = deadline_rules(rules)
    due = step_due_at(deadlines, SUBJECT_OF[dossier["subject_type"]], dest, dossier["year"], at)
    first = next_level(deadlines.ladder, due, 0) if due else None
    return {
        "step_opened_at": at,
        "step_seq": seq,
        "due_at": due,
        "escalation_level": 0,
        "next_escalation_at": first[1] if first else None,
    }
