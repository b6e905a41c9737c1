"""A registration sent without an Idempotency-Key runs outside a transaction on PostgreSQL (one
statement, as a move does): what only a transaction gave before must still hold there, on
both databases. The first registration of a year stores the national default rule set, and
two racing for it pin the same one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from states import examples
from workflow.db import compare_and_set_connection, make_engine, read_connection
from workflow.models import NATIONAL, RuleSetRow, table_of

NEXT_YEAR = 2027  # open_registration publishes only the test year's rule sets
IN_THE_NATIONAL_WINDOW = datetime(NEXT_YEAR, 2, 10, 3, 0, tzinfo=UTC)  # quarter I (TT 124)


def _post(api, unit, key: str | None = None):
    headers = api.auth(api.world.unit_actor(unit))
    if key:
        headers["Idempotency-Key"] = key
    body = {"unit_id": unit["id"], "year": NEXT_YEAR}
    body.update(examples.registration_payload(unit["subject_type"]))
    return api.client.post("/api/v1/dossiers", json=body, headers=headers)


def _national_rule_sets() -> list[int]:
    t = table_of(RuleSetRow)
    with read_connection() as conn:
        return list(
            conn.execute(
                select(t.c.id).where(
                    t.c.province_code == NATIONAL, t.c.year == NEXT_YEAR, t.c.subject_type == "KDC"
                )
            ).scalars()
        )


def test_the_first_registration_of_a_year_stores_the_national_rule_set_once(api):
    first, second = api.world.units["KDC"], api.world.units["other_KDC"]
    with time_machine.travel(IN_THE_NATIONAL_WINDOW, tick=True):
        a = _post(api, first)
        b = _post(api, second, key="second-unit-registers")
    assert a.status_code == 201, a.text
    assert b.status_code == 201, b.text
    (stored,) = _national_rule_sets()
    assert a.json()["rule_set"]["id"] == b.json()["rule_set"]["id"] == stored


def test_two_units_racing_for_the_years_first_registration_pin_one_rule_set(api):
    units = [api.world.units["KDC"], api.world.units["other_KDC"]]
    answers: list = [None, None]
    start = threading.Barrier(2)

    def register(i: int) -> None:
        start.wait()
        answers[i] = _post(api, units[i])

    with time_machine.travel(IN_THE_NATIONAL_WINDOW, tick=True):
        threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
    (stored,) = _national_rule_sets()
    assert {r.json()["rule_set"]["id"] for r in answers} == {stored}


def test_a_second_registration_of_the_unit_is_refused_naming_the_first(api):
    unit = api.world.units["KDC"]
    with time_machine.travel(IN_THE_NATIONAL_WINDOW, tick=True):
        first = _post(api, unit)
        again = _post(api, unit)
    assert first.status_code == 201, first.text
    assert again.status_code == 409, again.text
    assert f"#{first.json()['id']}" in again.json()["detail"]


def test_the_compare_and_set_pool_closes_with_its_engine(engine):
    own = make_engine(engine.url.render_as_string(hide_password=False))
    with compare_and_set_connection(own) as conn:
        child = conn.engine
        assert child is not own
    assert child.pool.checkedin() == 1
    own.dispose()
    assert child.pool.checkedin() == 0
