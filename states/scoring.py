"""The 100-point movement table (CQ, DN, CSGD) and the classification it yields.

The table is the one annexed to Quảng Ngãi's 33/KH-UBND (2025) after QĐ 510/QĐ-BCA-V05 (seed
``001_*.txt``): items 1-9, some with sub-items, maxima 3, 3, 5, 5, 14, 4, 10, 53, 3. A score sheet
is a flat JSON object ``{item id: points}`` holding every item *and* every sub-item, so that the
rule "sub-items add up to their item" can be checked on what a person actually typed.

Item 8c (đạt tiêu chuẩn "An toàn về an ninh, trật tự", 50 points) is not judged by anyone who
scores: it follows the recognition decision. ``grant_recognition`` writes it from the decision,
so a year's classification always comes after that year's recognition.

Points are compared as ``Decimal`` built from the number's text, so 0.5-point scores add up
exactly (0.1 + 0.2 == 0.3 here).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MovementClass(str, Enum):
    XUAT_SAC = "xuat_sac"
    KHA = "kha"
    TRUNG_BINH = "trung_binh"
    YEU = "yeu"


# Highest first: the order bands must follow.
CLASS_ORDER: tuple[MovementClass, ...] = tuple(MovementClass)

CLASS_LABELS: dict[MovementClass, tuple[str, str]] = {
    MovementClass.XUAT_SAC: ("Xuất sắc", "Excellent"),
    MovementClass.KHA: ("Khá", "Good"),
    MovementClass.TRUNG_BINH: ("Trung bình", "Average"),
    MovementClass.YEU: ("Yếu", "Weak"),
}

# Units classed Trung bình or Yếu are not considered for awards (33/KH-UBND, II.6).
NOT_FOR_AWARDS = frozenset({MovementClass.TRUNG_BINH, MovementClass.YEU})


class Band(BaseModel):
    """A class and the lowest total that reaches it. A band runs up to the next band's minimum
    (exclusive): lower bounds alone leave no gap for a 89.5-point total to fall into, which
    inclusive integer ranges like "70-89" would."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    movement_class: MovementClass
    min_points: int = Field(ge=0)


# The unverified default of domain.md: Xuất sắc >= 90, Khá 70-89, Trung bình 50-69, Yếu < 50.
DEFAULT_BANDS: tuple[Band, ...] = (
    Band(movement_class=MovementClass.XUAT_SAC, min_points=90),
    Band(movement_class=MovementClass.KHA, min_points=70),
    Band(movement_class=MovementClass.TRUNG_BINH, min_points=50),
    Band(movement_class=MovementClass.YEU, min_points=0),
)


def bands_problems(bands: Iterable[Band], total: int = 100) -> list[str]:
    """Every problem of a band list: each class exactly once, minima strictly falling from
    Xuất sắc to Yếu (equal minima overlap: one band would be empty), Yếu from 0, none above the
    table's total."""
    bands = list(bands)
    problems: list[str] = []
    counts = Counter(b.movement_class for b in bands)
    for cls in CLASS_ORDER:
        vi, en = CLASS_LABELS[cls]
        if counts[cls] == 0:
            problems.append(
                f"Khung điểm thiếu loại {vi} / bands: class {en} ({cls.value}) is missing"
            )
        elif counts[cls] > 1:
            problems.append(
                f"Khung điểm có loại {vi} {counts[cls]} lần / bands: class {en} "
                f"({cls.value}) appears {counts[cls]} times"
            )
    if any(n > 1 for n in counts.values()):
        return problems  # order and overlap cannot be judged on duplicated classes
    by_class = {b.movement_class: b for b in bands}
    present = [c for c in CLASS_ORDER if c in by_class]
    for higher, lower in zip(present, present[1:]):
        hi, lo = by_class[higher].min_points, by_class[lower].min_points
        hv, lv = CLASS_LABELS[higher][0], CLASS_LABELS[lower][0]
        if lo == hi:
            problems.append(
                f"Khung điểm chồng lấn: {hv} và {lv} cùng từ {hi} điểm / bands overlap: "
                f"{higher.value} and {lower.value} both start at {hi}"
            )
        elif lo > hi:
            problems.append(
                f"Khung điểm sai thứ tự: {lv} (từ {lo}) phải thấp hơn {hv} (từ {hi}) / "
                f"bands out of order: {lower.value} starts at {lo}, above "
                f"{higher.value} at {hi}"
            )
    lowest = by_class.get(CLASS_ORDER[-1])
    if lowest is not None and lowest.min_points != 0:
        problems.append(
            f"Khung điểm: loại Yếu phải bắt đầu từ 0 (đang là {lowest.min_points}) / "
            f"bands: {CLASS_ORDER[-1].value} must start at 0, not {lowest.min_points}"
        )
    for b in bands:
        if b.min_points > total:
            problems.append(
                f"Khung điểm: {CLASS_LABELS[b.movement_class][0]} từ {b.min_points} "
                f"vượt tổng {total} điểm / bands: {b.movement_class.value} starts at "
                f"{b.min_points}, above the table's {total} points"
            )
    return problems


def classify(total: int | float | Decimal, bands: Iterable[Band] = DEFAULT_BANDS) -> MovementClass:
    """The class of a total: the highest band whose minimum it reaches. Bands must be valid."""
    points = _decimal(total)
    for band in sorted(bands, key=lambda b: b.min_points, reverse=True):
        if points >= band.min_points:
            return band.movement_class
    raise ValueError(f"no band reaches {total}: the lowest band must start at 0")


# ------------------------------------------------------------------------------------------------
# The table

ITEM_ID = re.compile(r"^[0-9]+[a-z]*$")


class ScoreItem(BaseModel):
    """An item or a sub-item. ``id`` is ASCII ("5dd"); ``code`` is how the form prints it ("5đ")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=12)
    code: str = Field(min_length=1, max_length=12)
    label_vi: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    max_points: int = Field(ge=0)
    sub_items: tuple[ScoreItem, ...] = ()
    # The item the recognition decision grants (8c): full marks if recognised, else 0.
    granted_on_recognition: bool = False

    def name(self) -> tuple[str, str]:
        return (f"Mục {self.code} ({self.label_vi})", f"item {self.id} ({self.label_en})")


class ScoreTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[ScoreItem, ...]
    total: int = 100

    # Derived once per table (the model is frozen, and a rule set's table lives as long as the
    # process's rule-set cache): every submission and verification judges a sheet against them.
    @cached_property
    def printed_order(self) -> tuple[ScoreItem, ...]:
        """Every item, each followed by its sub-items: the order of the printed form."""
        return tuple(i for item in self.items for i in (item, *item.sub_items))

    @cached_property
    def item_index(self) -> Mapping[str, ScoreItem]:
        return MappingProxyType({item.id: item for item in self.printed_order})

    @cached_property
    def granted(self) -> ScoreItem | None:
        """The item the recognition decision grants, if the table has one."""
        return next((i for i in self.printed_order if i.granted_on_recognition), None)


def score_table_problems(table: ScoreTable) -> list[str]:
    """Every problem of a table: maxima add up (to the total, and sub-items to their item), ids
    unique and ASCII, two levels at most, one recognition item at most."""
    problems: list[str] = []
    top = sum(i.max_points for i in table.items)
    if top != table.total:
        problems.append(
            f"Bảng điểm: tổng điểm tối đa các mục là {top}, phải bằng {table.total} / "
            f"score table: the item maxima add up to {top}, not {table.total}"
        )
    for item in table.items:
        if item.sub_items:
            subs = sum(s.max_points for s in item.sub_items)
            if subs != item.max_points:
                problems.append(
                    f"Bảng điểm, mục {item.code}: tổng điểm tối đa các tiểu mục là "
                    f"{subs}, khác {item.max_points} / score table, item {item.id}: "
                    f"sub-item maxima add up to {subs}, not {item.max_points}"
                )
        for sub in item.sub_items:
            if sub.sub_items:
                problems.append(
                    f"Bảng điểm, mục {sub.code}: tiểu mục không có tiểu mục con / score "
                    f"table, item {sub.id}: a sub-item cannot have sub-items"
                )
    for item_id, n in Counter(i.id for i in table.printed_order).items():
        if n > 1:
            problems.append(
                f"Bảng điểm: mã mục '{item_id}' bị trùng {n} lần / score table: item id "
                f"'{item_id}' is used {n} times"
            )
    for item in table.printed_order:
        if not ITEM_ID.match(item.id):
            problems.append(
                f"Bảng điểm: mã mục '{item.id}' phải là số và chữ thường không dấu / "
                f"score table: item id '{item.id}' must be digits then a-z (e.g. '5dd')"
            )
    granted = [i.id for i in table.printed_order if i.granted_on_recognition]
    if len(granted) > 1:
        problems.append(
            f"Bảng điểm: chỉ một mục được tính theo quyết định công nhận, đang có "
            f"{', '.join(granted)} / score table: only one item may follow the "
            f"recognition decision, not {', '.join(granted)}"
        )
    return problems


def _item(
    id: str, code: str, max_points: int, vi: str, en: str, *subs: ScoreItem, granted: bool = False
) -> ScoreItem:
    return ScoreItem(
        id=id,
        code=code,
        max_points=max_points,
        label_vi=vi,
        label_en=en,
        sub_items=subs,
        granted_on_recognition=granted,
    )


# Labels from the annex of 33/KH-UBND (2025), shortened to one line where the form runs long.
MOVEMENT_TABLE = ScoreTable(
    items=(
        _item(
            "1",
            "1",
            3,
            "Quý I có nghị quyết, chương trình hoặc kế hoạch; sơ, tổng kết phong trào và "
            "thực hiện nghiêm chế độ thông tin, báo cáo",
            "Quarter-I resolution or plan, reviews and reporting",
        ),
        _item(
            "2",
            "2",
            3,
            "Có nhiều hình thức tuyên truyền, vận động thu hút 90% trở lên đảng viên, cán "
            "bộ, người lao động, học sinh, sinh viên tham gia phong trào",
            "Propaganda reaching at least 90% of members, staff and learners",
        ),
        _item(
            "3",
            "3",
            5,
            'Hưởng ứng hoặc tổ chức "Ngày hội toàn dân bảo vệ an ninh Tổ quốc" và các '
            "chủ đề khác theo chỉ đạo của UBND các cấp",
            "The 'National Security Protection Day' festival (19/8) and other themes",
        ),
        _item(
            "4",
            "4",
            5,
            "Phối hợp chặt chẽ với chính quyền cơ sở, lực lượng Công an các cấp trong xây "
            "dựng phong trào",
            "Coordination with the commune government and the police",
            _item(
                "4a",
                "4a",
                1,
                "Xây dựng quy chế hoặc kế hoạch phối hợp",
                "A coordination regulation or plan",
            ),
            _item(
                "4b",
                "4b",
                1,
                "Tổ chức thực hiện đầy đủ quy chế hoặc kế hoạch phối hợp",
                "The coordination regulation or plan carried out in full",
            ),
            _item(
                "4c",
                "4c",
                1,
                "Định kỳ sơ kết, tổng kết, đánh giá kết quả thực hiện",
                "Periodic reviews of the results",
            ),
            _item(
                "4d",
                "4d",
                2,
                "Tham gia đầy đủ các phong trào, cuộc vận động của địa phương",
                "Took part in every local movement and campaign",
            ),
        ),
        _item(
            "5",
            "5",
            14,
            "Bảo vệ bí mật nhà nước, bảo vệ chính trị nội bộ, an toàn lao động, phòng, "
            "chống cháy nổ, bảo vệ môi trường",
            "State secrets, internal politics, labour safety, fire, environment",
            _item(
                "5a",
                "5a",
                2,
                "Không xảy ra mất đoàn kết nội bộ; đơn thư khiếu nại, tố cáo không "
                "đúng quy định; tập trung đông người khiếu nại, gây rối ANTT",
                "No internal discord, improper complaints or mass complaints",
            ),
            _item(
                "5b",
                "5b",
                2,
                "Không xảy ra tiêu cực, tham nhũng, thất thoát tài sản",
                "No misconduct, corruption or loss of assets",
            ),
            _item(
                "5c",
                "5c",
                2,
                "Không xảy ra đình công, lãn công trái pháp luật",
                "No illegal strike or go-slow",
            ),
            _item(
                "5d",
                "5d",
                2,
                "Xây dựng nội quy, quy định bảo vệ cơ quan, doanh nghiệp, cơ sở giáo dục",
                "Rules on protecting the unit",
            ),
            _item(
                "5dd",
                "5đ",
                2,
                "Thực hiện nghiêm các quy định về phòng cháy, chữa cháy; an toàn lao "
                "động; bảo vệ môi trường",
                "Fire, labour-safety and environmental rules observed",
            ),
            _item(
                "5e",
                "5e",
                2,
                "Thực hiện tốt công tác bảo vệ bí mật nhà nước",
                "State secrets well protected",
            ),
            _item(
                "5g",
                "5g",
                2,
                'Công đoàn, đoàn thể xếp loại "Hoàn thành tốt nhiệm vụ" trở lên; '
                "hoặc hoàn thành nghĩa vụ nộp thuế (nơi không có tổ chức Đảng, công đoàn, đoàn thể)",
                "Union rated 'completed its duties well', or taxes paid where there is no union",
            ),
        ),
        _item(
            "6",
            "6",
            4,
            "Xây dựng lực lượng bảo vệ cơ quan, doanh nghiệp, cơ sở giáo dục phù hợp với "
            "điều kiện của đơn vị",
            "The unit's security force",
            _item("6a", "6a", 2, "Bố trí lực lượng bảo vệ", "A security force is staffed"),
            _item(
                "6b",
                "6b",
                2,
                "Lực lượng bảo vệ hoàn thành tốt nhiệm vụ trở lên",
                "The security force completed its duties well",
            ),
        ),
        _item(
            "7",
            "7",
            10,
            "Xây dựng mới hoặc duy trì ít nhất 01 mô hình phong trào hoạt động hiệu quả, "
            "thiết thực",
            "At least one effective movement model, new or maintained",
        ),
        _item(
            "8",
            "8",
            53,
            'Đăng ký, đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
            "Registered for and reached the ANTT standard",
            _item(
                "8a",
                "8a",
                1,
                'Có đăng ký phấn đấu đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
                "Registered to strive for the standard",
            ),
            _item(
                "8b",
                "8b",
                2,
                "100% phòng, ban, tổ, đội đăng ký cam kết đạt tiêu chuẩn",
                "Every department, team and unit committed to the standard",
            ),
            _item(
                "8c",
                "8c",
                50,
                'Đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
                "Recognised as meeting the ANTT standard",
                granted=True,
            ),
        ),
        _item(
            "9",
            "9",
            3,
            "Tập thể hoặc cá nhân được khen thưởng đột xuất trong phong trào: tập thể 2 "
            "điểm, cá nhân 1 điểm, tối đa không quá 3 điểm",
            "Ad-hoc awards: 2 per collective, 1 per individual, at most 3",
        ),
    )
)

AWARD_POINTS_COLLECTIVE = 2
AWARD_POINTS_INDIVIDUAL = 1
AWARD_CAP = 3


def award_points(collective: int, individual: int) -> int:
    """Item 9 from the awards received: 2 per collective, 1 per individual, capped at 3."""
    if collective < 0 or individual < 0:
        raise ValueError("award counts cannot be negative")
    return min(
        AWARD_CAP, AWARD_POINTS_COLLECTIVE * collective + AWARD_POINTS_INDIVIDUAL * individual
    )


# ------------------------------------------------------------------------------------------------
# Score sheets


def _exact(value: Any) -> int | Decimal:
    """A score as an exact number: whole scores stay ints (the common case, and the cheap one),
    others become a Decimal built from their text."""
    if type(value) is int:
        return value
    return _decimal(value)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but "true" is not a score; NaN and infinity are not either.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def _fmt(points: int | Decimal) -> str:
    if isinstance(points, int):
        return str(points)
    return format(points.normalize(), "f") if points == points.to_integral() else str(points)


_MISSING = object()


def score_sheet_reasons(
    table: ScoreTable, sheet: Any, *, recognised: bool | None = None
) -> list[str]:
    """Why ``sheet`` is not a valid score sheet for ``table`` (empty list: valid).

    Every item and sub-item must be present with a number from 0 to its max; sub-items must add up
    to their item. ``recognised``: None before the decision (the recognition item may hold any
    score in range, as the unit anticipates it); True/False after it, when the item must be
    exactly full marks / 0.
    """
    if not isinstance(sheet, Mapping):
        return [
            "Bảng tự chấm phải là một bảng {mục: điểm} / a score sheet must be an object "
            "{item id: points}"
        ]
    reasons: list[str] = []
    items = table.item_index
    for key in sheet:
        if key not in items:
            reasons.append(
                f"Mục '{key}' không có trong bảng điểm / unknown item '{key}': the table "
                f"has {', '.join(items)}"
            )
    good: dict[str, int | Decimal] = {}
    for item in table.printed_order:
        value = sheet.get(item.id, _MISSING)
        if type(value) is int and 0 <= value <= item.max_points:  # the common case, first
            good[item.id] = value
            continue
        vi, en = item.name()
        if value is _MISSING:
            reasons.append(f"{vi}: chưa chấm điểm / {en}: no score given")
            continue
        if not _is_number(value):
            reasons.append(
                f"{vi}: điểm '{value}' không phải là số / {en}: '{value}' is not a number"
            )
            continue
        points = _exact(value)
        if points < 0:
            reasons.append(f"{vi}: điểm {_fmt(points)} âm / {en}: {_fmt(points)} is negative")
        elif points > item.max_points:
            reasons.append(
                f"{vi}: {_fmt(points)} điểm vượt mức tối đa {item.max_points} / {en}: "
                f"{_fmt(points)} is above the maximum of {item.max_points}"
            )
        else:
            good[item.id] = points
    for item in table.items:
        if item.sub_items and all(i.id in good for i in (item, *item.sub_items)):
            subs = sum(good[s.id] for s in item.sub_items)
            if subs != good[item.id]:
                vi, en = item.name()
                codes = "+".join(s.code for s in item.sub_items)
                reasons.append(
                    f"{vi}: tổng các tiểu mục {codes} là {_fmt(subs)}, khác điểm của mục "
                    f"là {_fmt(good[item.id])} / {en}: the sub-items add up to "
                    f"{_fmt(subs)}, not {_fmt(good[item.id])}"
                )
    granted = table.granted
    if granted is not None and recognised is not None and granted.id in good:
        expected = granted.max_points if recognised else 0
        if good[granted.id] != expected:
            vi, en = granted.name()
            if recognised:
                reasons.append(
                    f"{vi}: đơn vị đã được công nhận, điểm phải là {expected} / {en}: the "
                    f"unit is recognised, so the item is worth {expected}"
                )
            else:
                reasons.append(
                    f"{vi}: chỉ được tính khi đơn vị được công nhận, điểm phải là 0 / "
                    f"{en}: granted only on recognition; the unit is not recognised, "
                    "so it is worth 0"
                )
    return reasons


def grant_recognition(
    table: ScoreTable, sheet: Mapping[str, Any], recognised: bool
) -> dict[str, Any]:
    """The sheet as the decision fixes it: the recognition item at full marks or 0, its parent
    re-added from its sub-items. The sheet must be valid (``score_sheet_reasons`` empty)."""
    out = dict(sheet)
    granted = table.granted
    if granted is None:
        return out
    out[granted.id] = granted.max_points if recognised else 0
    for item in table.items:
        if any(s.id == granted.id for s in item.sub_items):
            total = sum((_decimal(out[s.id]) for s in item.sub_items), Decimal(0))
            out[item.id] = int(total) if total == total.to_integral() else float(total)
    return out


def sheet_total(table: ScoreTable, sheet: Mapping[str, Any]) -> Decimal:
    """The sheet's total: the sum of the top-level items. The sheet must be valid."""
    return sum((_decimal(sheet[item.id]) for item in table.items), Decimal(0))


def classification(
    table: ScoreTable, sheet: Mapping[str, Any], bands: Iterable[Band], *, recognised: bool
) -> tuple[Decimal, MovementClass]:
    """The year's total and class from the superior's sheet once the decision is known."""
    final = grant_recognition(table, sheet, recognised)
    total = sheet_total(table, final)
    return total, classify(total, bands)
