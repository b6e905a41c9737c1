"""Who may register a dossier, and the first audit row."""

from __future__ import annotations

import pytest

from states import examples
from workflow import audit
from workflow.db import read_connection
from workflow.errors import Forbidden, InvalidInput, NotFound
from workflow.registration import register
from workflow.units import create_unit
from tests.engine.helpers import YEAR, registration_time
from tests.factories import build_world

NOW = registration_time(YEAR)
KDC_PAYLOAD = examples.registration_payload("KDC")


@pytest.fixture
def world(engine):
    return build_world()


@pytest.mark.parametrize("who,allowed", [
    (("unit", "KDC"), True), (("unit", "other_KDC"), False), (("commune_reviewer", "own"), True),
    (("commune_reviewer", "other"), False), (("province_admin", "province"), True),
    (("province_admin", "other_province"), False), (("police", "own"), False),
    (("ubnd", "province"), False), (("auditor", "own"), False),
])
def test_who_may_register(world, who, allowed):
    unit = world.units["KDC"]
    if allowed:
        d = register(unit["id"], YEAR, world.actor(*who), KDC_PAYLOAD, now=NOW)
        with read_connection() as conn:
            (row,) = audit.trail(conn, d["id"])
        assert (row["event"], row["to_state"], row["actor_id"]) == ("register", "registered",
                                                                    world.actor(*who).id)
    else:
        with pytest.raises(Forbidden):
            register(unit["id"], YEAR, world.actor(*who), KDC_PAYLOAD, now=NOW)


def test_unknown_unit_and_bad_year(world):
    with pytest.raises(NotFound):
        register(424242, YEAR, world.actor("province_admin", "province"), now=NOW)
    with pytest.raises(InvalidInput):
        register(world.units["KDC"]["id"], 1999, world.actor("unit", "KDC"), now=NOW)


def test_a_commune_is_one_xa_unit(world):
    from workflow.errors import Conflict
    with pytest.raises(Conflict):
        create_unit(subject_type="XA", commune_code=world.commune)


def test_the_rule_set_is_pinned_at_registration(world):
    d = register(world.units["CQ"]["id"], YEAR, world.actor("unit", "CQ"), now=NOW)
    assert d["rule_set_id"] is not None
    other = register(world.units["DN"]["id"], YEAR, world.actor("unit", "DN"), now=NOW)
    assert other["rule_set_id"] != d["rule_set_id"]  # a rule set per subject type
