"""issue 15: the evaluation windows of TT 124 Điều 8.2 are rule data, a function gives the window
for (rule set, year), the NEG criteria name it, and the dossier shows it."""

from __future__ import annotations

from datetime import date

import pytest

from states.lifecycle import Event
from states.rulesets import RuleSet, check_rule_set, evaluation_window, national_default
from tests.engine.test_rules_engine import refused, submitted
from tests.factories import build_world


@pytest.mark.parametrize(
    "subject,first,last",
    [
        ("KDC", date(2025, 11, 1), date(2026, 10, 31)),
        ("XA", date(2025, 11, 16), date(2026, 11, 15)),
        ("CQ", date(2025, 11, 16), date(2026, 11, 15)),
        ("DN", date(2025, 11, 16), date(2026, 11, 15)),
        ("CSGD", date(2025, 11, 16), date(2026, 11, 15)),
    ],
)
def test_the_national_windows_are_the_laws(subject, first, last):
    assert evaluation_window(national_default(2026, subject)) == (first, last)
    assert evaluation_window(national_default(2026, subject), 2027) == (
        first.replace(year=first.year + 1),
        last.replace(year=last.year + 1),
    )


def test_a_province_may_set_its_own_window_and_a_backwards_one_is_refused():
    rules = RuleSet(
        province_code=51,
        year=2026,
        subject_type="CQ",
        policy={
            "evaluation_window": {"start": "01-01", "end": "12-31", "from_previous_year": False}
        },
    )
    assert evaluation_window(rules) == (date(2026, 1, 1), date(2026, 12, 31))
    reasons = check_rule_set(
        {
            "year": 2026,
            "subject_type": "CQ",
            "policy": {
                "evaluation_window": {"start": "12-01", "end": "01-31", "from_previous_year": False}
            },
        }
    )
    assert any(r.startswith("policy.evaluation_window") for r in reasons)


def test_a_neg_refusal_names_the_window(engine):
    world = build_world()
    d, rep = submitted(world, "KDC", lambda a: a.update({"NEG-9": {"happened": True}}))
    reasons = refused(world, d, Event.COMMUNE_APPROVE, rep)
    assert "trong kỳ đánh giá 01/11/2025–31/10/2026" in reasons[0]
    assert "in the evaluation window 2025-11-01 to 2026-10-31" in reasons[0]
