"""The step clock's per-rule-set cache never hands a new rule set another one's deadlines."""

from __future__ import annotations

import gc

from states.rulesets import RuleSet
from states.subjects import SubjectType
from workflow.steps import deadline_rules


def _rules(resubmit_days: int) -> RuleSet:
    return RuleSet(
        province_code="51",
        year=2026,
        subject_type=SubjectType.CQ,
        deadlines={"resubmit_working_days": resubmit_days},
    )


def test_a_rule_set_made_where_a_collected_one_lived_gets_its_own_deadlines():
    # CPython reuses a collected object's id for the next object of its size, which is exactly
    # when a cache keyed by id() alone would answer with the old rule set's deadlines.
    for days in range(1, 40):
        rules = _rules(days)
        assert deadline_rules(rules).resubmit_working_days == days
        del rules
        gc.collect()
