"""The person behind a call: a user with one role bound to a unit, a commune or a province."""

from __future__ import annotations

from dataclasses import dataclass

from states import access
from states.authority import Seat
from states.lifecycle import Role


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    role: Role
    province_code: int
    commune_code: int | None = None
    unit_id: int | None = None

    @property
    def seat(self) -> Seat:
        return Seat(self.role, self.province_code, self.commune_code, self.unit_id)

    def covers(self, province_code: int, commune_code: int | None) -> bool:
        """Whether a place lies inside this actor's territory (a province covers its communes)."""
        return access.covers(self.seat, province_code, commune_code)
