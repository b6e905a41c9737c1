"""Every list filter, the inbox and the report reach the dossiers through an index: with 24,000 dossiers over
the 34 provinces, no plan reads the whole dossier table when a filter applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from states.lifecycle import Role, State
from states.subjects import SubjectType
from states.territory import communes_of, provinces
from tests.engine.explain import full_scans
from workflow import queries, reports, rulesets
from workflow.actors import Actor
from workflow.db import write_transaction
from workflow.models import Dossier, Unit

N = 24_000
STATES = [s.value for s in State]
SUBJECTS = ["KDC", "CQ", "DN", "CSGD"]


def _seed(conn) -> dict:
    rule_set_id, _ = rulesets.in_force(conn, 51, 2026, SubjectType.KDC)
    places = [(p.code, c.code) for p in provinces() for c in communes_of(p.code)[:4]]
    now = datetime.now(UTC)
    units, dossiers = [], []
    for i in range(N):
        province, commune = places[i % len(places)]
        subject = SUBJECTS[i % len(SUBJECTS)]
        level = "commune" if subject == "KDC" else "province"
        units.append(
            {
                "id": i + 1,
                "name": f"u{i}",
                "subject_type": subject,
                "kind": "x",
                "province_code": province,
                "commune_code": commune,
                "managing_level": level,
                "created_at": now,
            }
        )
        dossiers.append(
            {
                "id": i + 1,
                "unit_id": i + 1,
                "year": 2025 + i % 2,
                "state": STATES[i % len(STATES)],
                "version": 1,
                "rule_set_id": rule_set_id,
                "subject_type": subject,
                "managing_level": level,
                "province_code": province,
                "commune_code": commune,
                "due_at": now + timedelta(days=i % 40 - 20),
                "returns": {},
                "audit_seq": 0,
                "audit_head": "",
                "created_at": now,
                "updated_at": now,
                "step_seq": 0,
                "escalation_level": 0,
            }
        )
    conn.execute(insert(Unit.__table__), units)
    conn.execute(insert(Dossier.__table__), dossiers)
    return {"province": places[0][0], "commune": places[0][1]}


@pytest.fixture
def big(engine):
    with write_transaction() as conn:
        place = _seed(conn)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return place


def _actors(place):
    p, c = place["province"], place["commune"]
    return {
        "province auditor": Actor(1, "a", Role.AUDITOR, p),
        "commune reviewer": Actor(2, "r", Role.COMMUNE_REVIEWER, p, c),
        "province police": Actor(3, "p", Role.POLICE, p),
        "commune ubnd": Actor(4, "u", Role.UBND, p, c),
        "unit": Actor(5, "rep", Role.UNIT, p, c, 1),
    }


FILTERS = {
    "territory only": queries.DossierFilter(),
    "state": queries.DossierFilter(state="self_scored"),
    "subject type": queries.DossierFilter(subject_type="CQ"),
    "year": queries.DossierFilter(year=2026),
    "overdue": queries.DossierFilter(overdue=True),
    "inbox": queries.DossierFilter(awaiting_me=True),
    "inbox, overdue": queries.DossierFilter(awaiting_me=True, overdue=True),
}


@pytest.mark.slow
def test_no_list_or_inbox_query_reads_the_whole_table(big, engine):
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Dossier.__table__)).scalar_one() == N
        scans = {}
        for who, actor in _actors(big).items():
            for name, f in FILTERS.items():
                q = queries.dossier_query(actor, f)
                found = full_scans(conn, q, "dossier") if q is not None else []
                if found:
                    scans[(who, name)] = found
            found = full_scans(conn, queries.units_query(actor), "unit")
            if found:
                scans[(who, "units")] = found
        for scope in ((big["province"], None), (big["province"], big["commune"])):
            units_q, dossiers_q = reports.queries(*scope, 2026, datetime.now(UTC))
            for table, q in (("unit", units_q), ("dossier", dossiers_q)):
                found = full_scans(conn, q, table)
                if found:
                    scans[("report", scope, table)] = found
    assert scans == {}


@pytest.mark.slow
def test_the_plan_reader_does_see_a_full_scan(big, engine):
    t = Dossier.__table__
    with engine.connect() as conn:  # no index on the class: this one must read every row
        assert full_scans(conn, select(t).where(t.c.classification == "excellent"), "dossier")
