"""The targets a province tracks (domain.md): every unit registered, at least 80% of the
registered ones recognised; Tây Ninh asks 90%. Data, so a province's own target is one entry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Targets:
    registration_pct: int = 100  # of the units of the territory
    recognition_pct: int = 80  # of the dossiers registered for the year


DEFAULT = Targets()
# Keyed by the official province code after the 2025 reform (states.territory): 80 is Tây Ninh.
BY_PROVINCE: dict[int, Targets] = {80: Targets(recognition_pct=90)}


def target_for(province_code: int) -> Targets:
    return BY_PROVINCE.get(province_code, DEFAULT)


def meets(numerator: int, denominator: int, pct: int) -> bool | None:
    """Exact: numerator/denominator >= pct/100 without floating point; None with nothing to count."""
    if denominator == 0:
        return None
    return numerator * 100 >= pct * denominator
