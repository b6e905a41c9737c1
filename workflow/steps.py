"""Opening a step: when the dossier starts waiting on someone, its clock starts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from states.lifecycle import STEP_OF_STATE, State
from states.rulesets import RuleSet


def open_step(rules: RuleSet, dossier: dict[str, Any], dest: State, at: datetime) -> dict[str, Any]:
    """The step columns to write when the dossier enters ``dest`` at ``at``."""
    if dest not in STEP_OF_STATE:
        return {"step_opened_at": None, "due_at": None, "escalation_level": 0}
    return {"step_opened_at": at, "due_at": None, "escalation_level": 0}
