"""The demo province: Quảng Ngãi (51), three communes, units of every subject type, users of
every role, and dossiers walked into every state, so a newcomer lands on something to explore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from states import examples
from states.calendar import local_date
from states.deadlines import QUANG_NGAI_PLAN
from states.lifecycle import Event, Role
from states.rulesets import Policy, RegistrationWindow, RuleSet
from states.subjects import SubjectType
from states.territory import communes_of, province
from workflow import engine as wf
from workflow import rulesets
from workflow.actors import Actor
from workflow.db import read_connection, write_transaction
from workflow.models import Unit, table_of
from workflow.registration import register
from workflow.units import create_unit
from workflow.users import create_user

DEMO_PROVINCE = 51


def is_empty(engine: Engine | None = None) -> bool:
    with read_connection(engine) as conn:
        return conn.execute(select(func.count()).select_from(table_of(Unit))).scalar_one() == 0


def demo_payload(event: Event, dossier: dict[str, Any]) -> dict[str, Any]:
    """The payload the demo sends with each event: valid data from ``states.examples``, its
    decisions numbered by the dossier and dated as the guard accepts today (in Vietnam)."""
    today = local_date(datetime.now(UTC))
    return examples.example(
        event,
        dossier["subject_type"],
        number=dossier["id"],
        decision_date=examples.decision_day(dossier["year"], today),
    )


def registration_moment(year: int, now: datetime | None = None) -> datetime:
    """Now when seeding the current year; a day inside quarter I when seeding another year."""
    now = now or datetime.now(UTC)
    return now if now.year == year else datetime(year, 3, 2, 2, 0, tzinfo=UTC)


PATHS: dict[str, list[Event]] = {
    "registered": [],
    "self_scored": [Event.SUBMIT_SELF_SCORE],
    "commune_reviewed": [Event.SUBMIT_SELF_SCORE, Event.COMMUNE_APPROVE],
    "police_verified": [Event.SUBMIT_SELF_SCORE, Event.COMMUNE_APPROVE, Event.POLICE_VERIFY],
    "recognised": [
        Event.SUBMIT_SELF_SCORE,
        Event.COMMUNE_APPROVE,
        Event.POLICE_VERIFY,
        Event.RECOGNISE,
    ],
    "rejected": [Event.SUBMIT_SELF_SCORE, Event.COMMUNE_APPROVE, Event.POLICE_VERIFY, Event.REJECT],
    "returned": [Event.SUBMIT_SELF_SCORE, Event.RETURN_FOR_REVISION],
    "withdrawn": [Event.WITHDRAW],
    "revoked": [
        Event.SUBMIT_SELF_SCORE,
        Event.COMMUNE_APPROVE,
        Event.POLICE_VERIFY,
        Event.RECOGNISE,
        Event.REVOKE,
    ],
}


def seed(year: int | None = None, engine: Engine | None = None) -> dict[str, Any]:
    """Create the demo data; returns what was made, with each user's token."""
    year = year or local_date(datetime.now(UTC)).year  # the year in Vietnam
    communes = communes_of(DEMO_PROVINCE)[:3]
    users: list[dict[str, Any]] = []

    def user(
        name: str, role: Role, territory: str | None = None, unit_id: int | None = None
    ) -> Actor:
        actor, token = create_user(
            name=name, role=role.value, territory_code=territory, unit_id=unit_id, engine=engine
        )
        users.append(
            {
                "id": actor.id,
                "name": name,
                "role": role.value,
                "token": token,
                "territory": territory or f"unit {unit_id}",
            }
        )
        return actor

    # The demo province adds the revocation switch the national text lacks (domain.md), keeps
    # registration open all year (as Đồng Nai extended it in 2025) so the demo seeds on any day,
    # and publishes its plan's dates (self-assessment by 05/11), labelled as the province's.
    with write_transaction(engine) as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=DEMO_PROVINCE,
                    year=year,
                    subject_type=subject,
                    policy=Policy(
                        revocation_enabled=True,
                        registration_window=RegistrationWindow(start="01-01", end="12-31"),
                    ),
                    deadlines=QUANG_NGAI_PLAN,
                ),
            )
    province_seat = f"province:{DEMO_PROVINCE}"
    deciders: dict[str | int, dict[Role, Actor]] = {
        "province": {
            Role.POLICE: user("Công an tỉnh Quảng Ngãi", Role.POLICE, province_seat),
            Role.UBND: user("UBND tỉnh Quảng Ngãi", Role.UBND, province_seat),
        }
    }
    user("Quản trị tỉnh Quảng Ngãi", Role.PROVINCE_ADMIN, province_seat)
    user("Thanh tra tỉnh", Role.AUDITOR, province_seat)
    units: list[dict[str, Any]] = []
    for c in communes:
        seat = f"commune:{c.code}"
        deciders[c.code] = {
            Role.COMMUNE_REVIEWER: user(f"Ban Chỉ đạo {c.name}", Role.COMMUNE_REVIEWER, seat),
            Role.POLICE: user(f"Công an {c.name}", Role.POLICE, seat),
            Role.UBND: user(f"UBND {c.name}", Role.UBND, seat),
        }
        specs = [
            ("XA", None, None),
            ("KDC", "Thôn 1", None),
            ("KDC", "Tổ dân phố 2", None),
            ("CQ", f"Trạm Y tế {c.name}", "commune"),
            ("DN", f"Công ty TNHH {c.name}", "province"),
            ("CSGD", f"Trường THCS {c.name}", "commune"),
        ]
        for subject_code, name, level in specs:
            units.append(
                create_unit(
                    subject_type=subject_code,
                    commune_code=c.code,
                    name=name,
                    managing_level=level,
                    kind="lower_secondary" if subject_code == "CSGD" else None,
                    engine=engine,
                )
            )
    dossiers = []
    paths = list(PATHS.items())
    for i, unit in enumerate(units):
        label, path = paths[i % len(paths)]
        rep = user(f"Đại diện {unit['name']}", Role.UNIT, unit_id=unit["id"])
        d = register(
            unit["id"],
            year,
            rep,
            examples.registration_payload(unit["subject_type"]),
            now=registration_moment(year),
            engine=engine,
        )
        for event in path:
            actor = _actor_for(event, d, rep, deciders)
            d = wf.fire(d["id"], event, actor, demo_payload(event, d), d["version"], engine=engine)
        dossiers.append(
            {
                "id": d["id"],
                "unit": unit["name"],
                "subject_type": unit["subject_type"],
                "state": d["state"],
                "path": label,
            }
        )
    demo_province = province(DEMO_PROVINCE)
    assert demo_province is not None  # a fixed, real province code
    return {
        "province": demo_province.name,
        "year": year,
        "users": users,
        "dossiers": dossiers,
    }


def _actor_for(event: Event, dossier: dict[str, Any], rep: Actor, deciders: dict) -> Actor:
    from states.authority import Level, authority
    from states.lifecycle import TRANSITION_BY_EVENT, State, step_for
    from states.subjects import ManagingLevel, SubjectType

    step = step_for(TRANSITION_BY_EVENT[event], State(dossier["state"]))
    need = authority(
        SubjectType(dossier["subject_type"]), ManagingLevel(dossier["managing_level"]), step
    )
    if need.level is Level.UNIT:
        return rep
    seats = (
        deciders["province"] if need.level is Level.PROVINCE else deciders[dossier["commune_code"]]
    )
    return seats[need.role]
