"""A commune (XA) is recognised only when 100% of the units it manages registered this year and at
least ceil(0.7 N) of them are recognised, counted from their dossiers, through the engine.

Units and their dossiers are inserted in bulk (the count reads the tables, not the trails), so
N = 25 costs no more than N = 1; the XA dossier itself is walked through fire()."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select

from states.lifecycle import Event
from states.subjects import SubjectType
from states.territory import communes_of
from tests.engine.helpers import YEAR, payload_for, register_at
from tests.factories import PROVINCE, build_world
from workflow import assessment_view, rulesets
from workflow import engine as wf
from workflow.db import write_transaction
from workflow.errors import GuardFailed
from workflow.models import Dossier, Unit
from workflow.units import create_unit
from workflow.users import create_user

unit_t, dossier_t = Unit.__table__, Dossier.__table__


class Commune:
    """A commune of its own with an XA unit and ``n`` residential areas it manages."""

    def __init__(self, world, n: int) -> None:
        self.world = world
        self.code = communes_of(PROVINCE)[2].code
        self.xa = create_unit(subject_type="XA", commune_code=self.code)
        now = datetime.now(UTC)
        rows = [
            {
                "name": f"Thôn {i + 1}",
                "subject_type": "KDC",
                "kind": "thon",
                "province_code": PROVINCE,
                "commune_code": self.code,
                "managing_level": "commune",
                "created_at": now,
            }
            for i in range(n)
        ]
        # a unit the province manages in the same commune does not count
        rows.append(
            {
                "name": "Công ty tỉnh quản lý",
                "subject_type": "DN",
                "kind": "medium",
                "province_code": PROVINCE,
                "commune_code": self.code,
                "managing_level": "province",
                "created_at": now,
            }
        )
        with write_transaction() as conn:
            conn.execute(insert(unit_t), rows)
            self.units = [
                r.id
                for r in conn.execute(
                    select(unit_t.c.id)
                    .where(unit_t.c.commune_code == self.code, unit_t.c.subject_type == "KDC")
                    .order_by(unit_t.c.id)
                )
            ]
            self.rule_set_id, _ = rulesets.in_force(conn, PROVINCE, YEAR, SubjectType.KDC)
        assert len(self.units) == n

    def set_states(self, states: list[str | None]) -> None:
        """Give the managed units dossiers in these states this year (None: no dossier)."""
        now = datetime.now(UTC)
        rows = [
            {
                "unit_id": uid,
                "year": YEAR,
                "state": s,
                "version": 1,
                "rule_set_id": self.rule_set_id,
                "subject_type": "KDC",
                "managing_level": "commune",
                "province_code": PROVINCE,
                "commune_code": self.code,
                "returns": {},
                "audit_seq": 0,
                "audit_head": "",
                "created_at": now,
                "updated_at": now,
                "escalation_level": 0,
                "withdrawn_at": now if s == "withdrawn" else None,
            }
            for uid, s in zip(self.units, states)
            if s is not None
        ]
        with write_transaction() as conn:
            conn.execute(delete(dossier_t).where(dossier_t.c.unit_id.in_(self.units)))
            if rows:
                conn.execute(insert(dossier_t), rows)

    def verified_xa(self) -> tuple[dict, object]:
        """The commune's own dossier, walked to police_verified: a commune is reviewed by its
        steering committee, verified by the provincial police."""
        rep = self.world.unit_actor(self.xa)
        reviewer = create_user(
            name="Ban Chỉ đạo xã", role="commune_reviewer", territory_code=f"commune:{self.code}"
        )[0]
        d = register_at(self.xa, rep)
        for event, actor in (
            (Event.SUBMIT_SELF_SCORE, rep),
            (Event.COMMUNE_APPROVE, reviewer),
            (Event.POLICE_VERIFY, self.world.actor("police", "province")),
        ):
            d = wf.fire(d["id"], event, actor, payload_for(event, d), d["version"])
        return d, rep

    def recognise_refusals(self, d: dict) -> list[str]:
        ubnd = self.world.actor("ubnd", "province")
        view = {a["event"]: a for a in wf.allowed_actions(d["id"], ubnd)}["recognise"]
        try:
            wf.fire(d["id"], Event.RECOGNISE, ubnd, payload_for(Event.RECOGNISE, d), d["version"])
        except GuardFailed as e:
            assert e.reasons == view["reasons"]  # allowed actions show the same reasons
            return e.reasons
        assert view["allowed"]
        return []


def need(n: int) -> int:
    return {1: 1, 3: 3, 10: 7, 25: 18}[n]


@pytest.mark.parametrize("n", [1, 3, 10, 25])
def test_seventy_percent_of_the_managed_units_recognised(engine, n):
    commune = Commune(build_world(), n)
    d, _ = commune.verified_xa()
    k = need(n)
    # every unit registered, one short of ceil(0.7 N) recognised
    commune.set_states(["recognised"] * (k - 1) + ["rejected"] + ["police_verified"] * (n - k))
    (reason,) = commune.recognise_refusals(d)
    assert reason.startswith("Tiêu chí PCT-2 (")
    assert f"{k - 1}/{n}" in reason and f"cần ít nhất {k}/{n} (70%)" in reason
    assert f"{k - 1} of {n} units recognised" in reason and "1 short" in reason
    # exactly ceil(0.7 N): recognised
    commune.set_states(["recognised"] * k + ["rejected"] * (n - k))
    assert commune.recognise_refusals(d) == []
    after = wf.get(d["id"])
    assert after["state"] == "recognised"
    view = assessment_view.view(d["id"])
    counted = {c["id"]: c for c in view["criteria"] if c["counted_by_engine"]}
    assert counted["PCT-2"]["met"] and f"{k}/{n}" in counted["PCT-2"]["detail_vi"]
    assert counted["PCT-1"]["met"] and f"{n}/{n}" in counted["PCT-1"]["detail_vi"]


@pytest.mark.parametrize("n", [1, 3, 10, 25])
def test_every_managed_unit_must_have_registered(engine, n):
    commune = Commune(build_world(), n)
    d, _ = commune.verified_xa()
    # one unit never registered, every other one recognised
    commune.set_states(["recognised"] * (n - 1) + [None])
    reasons = commune.recognise_refusals(d)
    assert reasons[0].startswith("Tiêu chí PCT-1 (") and f"{n - 1}/{n}" in reasons[0]
    assert f"cần đủ {n}/{n} (100%)" in reasons[0]
    # a withdrawn dossier does not count as registered either
    commune.set_states(["recognised"] * (n - 1) + ["withdrawn"])
    assert commune.recognise_refusals(d)[0].startswith("Tiêu chí PCT-1 (")
    # every one registered, all recognised
    commune.set_states(["recognised"] * n)
    assert commune.recognise_refusals(d) == []


def test_a_commune_with_no_declared_units_cannot_be_recognised(engine):
    commune = Commune(build_world(), 0)
    d, _ = commune.verified_xa()
    (reason,) = commune.recognise_refusals(d)
    assert "manages no declared units" in reason


def test_last_years_dossiers_do_not_count(engine):
    world = build_world()
    commune = Commune(world, 3)
    d, _ = commune.verified_xa()
    commune.set_states(["recognised"] * 3)
    with write_transaction() as conn:  # move them to last year
        conn.execute(
            dossier_t.update().where(dossier_t.c.unit_id.in_(commune.units)).values(year=YEAR - 1)
        )
    reasons = commune.recognise_refusals(d)
    assert reasons[0].startswith("Tiêu chí PCT-1 (") and "0/3" in reasons[0]
    assert reasons[1].startswith("Tiêu chí PCT-2 (") and "0/3" in reasons[1]
