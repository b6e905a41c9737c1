"""A small province to test in: Quảng Ngãi (51), two communes, one unit of each subject type."""

from __future__ import annotations

from dataclasses import dataclass, field

from states.lifecycle import Role
from states.territory import communes_of
from workflow.actors import Actor
from workflow.units import create_unit
from workflow.users import create_user

PROVINCE = 51
OTHER_PROVINCE = 1


@dataclass
class World:
    commune: int
    other_commune: int
    units: dict[str, dict] = field(default_factory=dict)
    actors: dict[tuple[str, str], Actor] = field(default_factory=dict)

    reps: dict[int, Actor] = field(default_factory=dict)  # unit id -> its representative

    def actor(self, role: str, where: str = "own") -> Actor:
        return self.actors[(role, where)]

    def unit_actor(self, unit: dict) -> Actor:
        """The unit's representative, created on first use for units made outside the world."""
        if unit["id"] not in self.reps:
            self.reps[unit["id"]] = create_user(
                name=f"Đại diện {unit['name']}", role="unit", unit_id=unit["id"]
            )[0]
        return self.reps[unit["id"]]


def build_world() -> World:
    communes = communes_of(PROVINCE)
    w = World(commune=communes[0].code, other_commune=communes[1].code)
    w.units["KDC"] = create_unit(subject_type="KDC", commune_code=w.commune, name="Thôn An Phú")
    w.units["XA"] = create_unit(subject_type="XA", commune_code=w.commune)
    w.units["CQ"] = create_unit(
        subject_type="CQ", commune_code=w.commune, name="Sở Tư pháp", managing_level="province"
    )
    w.units["CQ_commune"] = create_unit(
        subject_type="CQ", commune_code=w.commune, name="Trạm y tế xã"
    )
    w.units["DN"] = create_unit(
        subject_type="DN",
        commune_code=w.commune,
        name="Công ty Dung Quất",
        managing_level="province",
    )
    w.units["CSGD"] = create_unit(
        subject_type="CSGD",
        commune_code=w.commune,
        name="Trường THPT Trần Quốc Tuấn",
        managing_level="province",
    )
    w.units["other_KDC"] = create_unit(
        subject_type="KDC", commune_code=w.other_commune, name="Tổ dân phố 3"
    )
    other_province_commune = communes_of(OTHER_PROVINCE)[0].code
    for role in (Role.COMMUNE_REVIEWER, Role.POLICE, Role.UBND, Role.AUDITOR):
        w.actors[(role.value, "own")] = create_user(
            name=f"{role.value} xã", role=role.value, territory_code=f"commune:{w.commune}"
        )[0]
        w.actors[(role.value, "other")] = create_user(
            name=f"{role.value} xã khác",
            role=role.value,
            territory_code=f"commune:{w.other_commune}",
        )[0]
    for role in (Role.POLICE, Role.UBND, Role.PROVINCE_ADMIN, Role.AUDITOR):
        w.actors[(role.value, "province")] = create_user(
            name=f"{role.value} tỉnh", role=role.value, territory_code=f"province:{PROVINCE}"
        )[0]
        w.actors[(role.value, "other_province")] = create_user(
            name=f"{role.value} tỉnh khác",
            role=role.value,
            territory_code=f"province:{OTHER_PROVINCE}",
        )[0]
    w.actors[("commune_reviewer", "other_province")] = create_user(
        name="reviewer tỉnh khác",
        role="commune_reviewer",
        territory_code=f"commune:{other_province_commune}",
    )[0]
    for key, unit in w.units.items():
        w.actors[("unit", key)] = w.unit_actor(unit)
    return w
