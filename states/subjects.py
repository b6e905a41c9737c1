"""Who is judged: the five subject types, their managing levels and the kinds the law excludes."""

from __future__ import annotations

from enum import Enum


class SubjectType(str, Enum):
    KDC = "KDC"
    XA = "XA"
    CQ = "CQ"
    DN = "DN"
    CSGD = "CSGD"


SUBJECT_LABELS: dict[SubjectType, tuple[str, str]] = {
    SubjectType.KDC: ("Khu dân cư", "Residential area"),
    SubjectType.XA: ("Xã, phường, đặc khu", "Commune, ward or special zone"),
    SubjectType.CQ: ("Cơ quan", "Agency"),
    SubjectType.DN: ("Doanh nghiệp", "Enterprise"),
    SubjectType.CSGD: ("Cơ sở giáo dục", "Educational institution"),
}


class ManagingLevel(str, Enum):
    """The government level that manages a unit; it decides who reviews, verifies and decides."""

    COMMUNE = "commune"
    PROVINCE = "province"


# A stored value to its member (see states.lifecycle.STATE_OF).
SUBJECT_OF: dict[str, SubjectType] = {s.value: s for s in SubjectType}
MANAGING_LEVEL_OF: dict[str, ManagingLevel] = {m.value: m for m in ManagingLevel}


# The kinds of unit each subject type may be. Excluded kinds map to the reason the law gives,
# in the words an official reads; everything else is accepted.
UNIT_KINDS: dict[SubjectType, dict[str, str | None]] = {
    SubjectType.KDC: {
        "thon": None,
        "lang": None,
        "ap": None,
        "ban": None,
        "to_dan_pho": None,
        "khu_pho": None,
        "other": None,
    },
    SubjectType.XA: {"xa": None, "phuong": None, "dac_khu": None},
    SubjectType.CQ: {
        "state_body": None,
        "public_unit": None,
        "funded_organisation": None,
        "armed_forces": "Đơn vị lực lượng vũ trang không thuộc đối tượng xét công nhận "
        "/ armed-forces units are not assessed",
    },
    SubjectType.DN: {
        "large": None,
        "medium": None,
        "small": "Doanh nghiệp nhỏ không thuộc đối tượng xét công nhận "
        "/ small enterprises are not assessed",
        "micro": "Doanh nghiệp siêu nhỏ không thuộc đối tượng xét công nhận "
        "/ micro enterprises are not assessed",
    },
    SubjectType.CSGD: {
        "lower_secondary": None,
        "upper_secondary": None,
        "multi_level": None,
        "vocational": None,
        "college": None,
        "university": None,
        "continuing_education": None,
        "primary": "Trường tiểu học không thuộc đối tượng xét công nhận "
        "/ primary schools are not assessed",
        "kindergarten": "Trường mẫu giáo, mầm non không thuộc đối tượng xét công nhận "
        "/ kindergartens are not assessed",
        "creche": "Nhà trẻ không thuộc đối tượng xét công nhận / crèches are not assessed",
    },
}

DEFAULT_KIND: dict[SubjectType, str] = {
    SubjectType.KDC: "thon",
    SubjectType.XA: "xa",
    SubjectType.CQ: "state_body",
    SubjectType.DN: "medium",
    SubjectType.CSGD: "upper_secondary",
}


def kind_problem(subject_type: SubjectType, kind: str) -> str | None:
    """Why a unit of this kind cannot be registered, or None when it can."""
    kinds = UNIT_KINDS[subject_type]
    if kind not in kinds:
        allowed = ", ".join(k for k, why in kinds.items() if why is None)
        return (
            f"Loại đơn vị '{kind}' không hợp lệ cho {subject_type.value} "
            f"/ unknown kind '{kind}' for {subject_type.value}; use one of: {allowed}"
        )
    return kinds[kind]


def managing_level_problem(subject_type: SubjectType, level: ManagingLevel) -> str | None:
    """KDC always belong to their commune; an XA dossier is always decided by the province."""
    if subject_type is SubjectType.KDC and level is not ManagingLevel.COMMUNE:
        return "Khu dân cư do xã quản lý / a residential area is managed by its commune"
    if subject_type is SubjectType.XA and level is not ManagingLevel.PROVINCE:
        return "Xã, phường do tỉnh quản lý / a commune is managed by the province"
    return None
