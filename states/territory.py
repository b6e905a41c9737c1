"""The territory tree after the 2025 reform: 34 provinces and their communes, official codes.

The codes and names come from the ``vietnam-provinces`` package; nothing is typed by hand.
Province and commune codes are separate number spaces (commune 4 is not province 4), so every
reference says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode


@dataclass(frozen=True)
class Commune:
    code: int
    name: str
    division: str  # xã, phường, đặc khu
    province_code: int


@dataclass(frozen=True)
class ProvinceInfo:
    code: int
    name: str


def province(code: int) -> ProvinceInfo | None:
    try:
        p = Province.from_code(ProvinceCode(code))
    except ValueError:
        return None
    return ProvinceInfo(int(p.code), p.name)


@lru_cache(maxsize=8192)  # every dossier shown names its commune; the table never changes
def commune(code: int) -> Commune | None:
    try:
        w = Ward.from_code(WardCode(code))
    except ValueError:
        return None
    return Commune(int(w.code), w.name, w.division_type.value, int(w.province_code))


@lru_cache(maxsize=64)
def communes_of(province_code: int) -> tuple[Commune, ...]:
    return tuple(
        Commune(int(w.code), w.name, w.division_type.value, int(w.province_code))
        for w in Ward.iter_by_province(ProvinceCode(province_code))
    )


def provinces() -> list[ProvinceInfo]:
    return [ProvinceInfo(int(p.code), p.name) for p in Province.iter_all()]


def parse_territory(text: str) -> tuple[int, int | None]:
    """'51' or 'province:51' -> (51, None); '21211' or 'commune:21211' -> (51, 21211).

    Official codes are zero-padded: provinces have two digits, communes five.
    """
    text = text.strip()
    kind, _, code = text.partition(":") if ":" in text else ("", "", text)
    if not code.isdigit():
        raise ValueError(
            f"'{text}' is not a territory code: use a province code like 51 "
            "or a commune code like 21211"
        )
    if kind == "commune" or (not kind and len(code) == 5):
        c = commune(int(code))
        if c is None:
            raise ValueError(f"Không có xã/phường mã {code} / no commune with code {code}")
        return c.province_code, c.code
    if kind in ("province", ""):
        p = province(int(code))
        if p is None:
            raise ValueError(f"Không có tỉnh mã {code} / no province with code {code}")
        return p.code, None
    raise ValueError(f"unknown territory kind '{kind}': use province: or commune:")
