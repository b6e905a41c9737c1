"""The 100-point table of 33/KH-UBND (seed 001) and the classification bands."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.scoring import (
    DEFAULT_BANDS,
    MOVEMENT_TABLE,
    Band,
    MovementClass,
    ScoreItem,
    ScoreTable,
    award_points,
    bands_problems,
    classification,
    classify,
    grant_recognition,
    score_sheet_reasons,
    score_table_problems,
    sheet_total,
)

T = MOVEMENT_TABLE

# The seed's table, typed in by hand from 001_*.txt: (item, max, {sub-item: max}).
SEED = [
    ("1", 3, {}),
    ("2", 3, {}),
    ("3", 5, {}),
    ("4", 5, {"4a": 1, "4b": 1, "4c": 1, "4d": 2}),
    ("5", 14, {"5a": 2, "5b": 2, "5c": 2, "5d": 2, "5dd": 2, "5e": 2, "5g": 2}),
    ("6", 4, {"6a": 2, "6b": 2}),
    ("7", 10, {}),
    ("8", 53, {"8a": 1, "8b": 2, "8c": 50}),
    ("9", 3, {}),
]


def full_marks() -> dict:
    return {item.id: item.max_points for item in T.printed_order}


# --- the table ----------------------------------------------------------------------------------


def test_the_table_is_the_seeds_table():
    got = [(i.id, i.max_points, {s.id: s.max_points for s in i.sub_items}) for i in T.items]
    assert got == SEED


def test_item_maxima_add_up_to_100():
    assert [i.max_points for i in T.items] == [3, 3, 5, 5, 14, 4, 10, 53, 3]
    assert sum(i.max_points for i in T.items) == 100 == T.total


def test_sub_item_maxima_add_up_to_their_item():
    for item in T.items:
        if item.sub_items:
            assert sum(s.max_points for s in item.sub_items) == item.max_points, item.id


def test_the_table_has_no_problems_and_8c_is_the_recognition_item():
    assert score_table_problems(T) == []
    assert T.granted.id == "8c" and T.granted.max_points == 50


def test_the_vietnamese_letter_keeps_its_printed_code():
    assert T.item_index["5dd"].code == "5đ"


def _table(*items: ScoreItem, total: int = 100) -> ScoreTable:
    return ScoreTable(items=items, total=total)


def _it(id, max_points, *subs, granted=False):
    return ScoreItem(
        id=id,
        code=id,
        label_vi="v" + id,
        label_en="e" + id,
        max_points=max_points,
        sub_items=subs,
        granted_on_recognition=granted,
    )


def test_a_table_with_every_kind_of_mistake_lists_them_all():
    table = _table(
        _it("1", 60, _it("1a", 30), _it("1b", 20, _it("1bx", 20))),  # subs 50 != 60; nesting
        _it("2", 30),
        _it("2", 5),  # duplicate id
        _it("X", 1, granted=True),
        _it("3", 1, granted=True),  # bad id, two granted
    )
    problems = score_table_problems(table)
    assert any("add up to 97, not 100" in p for p in problems)
    assert any("item 1: sub-item maxima add up to 50, not 60" in p for p in problems)
    assert any("1b: a sub-item cannot have sub-items" in p for p in problems)
    assert any("'2' is used 2 times" in p for p in problems)
    assert any("'X' must be digits" in p for p in problems)
    assert any("only one item may follow the recognition decision" in p for p in problems)
    assert len(problems) == 6


# --- score sheets -------------------------------------------------------------------------------


def test_full_marks_and_zero_everywhere_are_valid():
    assert score_sheet_reasons(T, full_marks()) == []
    assert score_sheet_reasons(T, dict.fromkeys(T.item_index, 0)) == []
    assert sheet_total(T, full_marks()) == 100


def test_fractional_points_add_up_as_typed():
    # In binary floats 1.1 + 1.2 + 2*5 is 12.300000000000001: compared as typed, it is 12.3.
    sheet = full_marks() | {"4": 4.5, "4d": 1.5, "5": 12.3, "5a": 1.1, "5b": 1.2}
    assert score_sheet_reasons(T, sheet) == []
    assert sheet_total(T, sheet) == Decimal("100") - Decimal("0.5") - Decimal("1.7")


def _one_reason(sheet, **kw) -> str:
    reasons = score_sheet_reasons(T, sheet, **kw)
    assert len(reasons) == 1, reasons
    return reasons[0]


@pytest.mark.parametrize("item", [i.id for i in T.printed_order])
def test_a_negative_score_is_refused_naming_the_item(item):
    sheet = full_marks() | {item: -1}
    reasons = score_sheet_reasons(T, sheet)
    assert any(f"item {item} (" in r and "negative" in r for r in reasons), reasons


@pytest.mark.parametrize("item", [i.id for i in T.printed_order])
def test_a_score_above_the_max_is_refused_naming_the_item(item):
    limit = T.item_index[item].max_points
    reasons = score_sheet_reasons(T, full_marks() | {item: limit + 0.5})
    assert any(f"item {item} (" in r and f"above the maximum of {limit}" in r for r in reasons)


@pytest.mark.parametrize("item", [i.id for i in T.printed_order])
def test_a_missing_item_is_refused_naming_it(item):
    sheet = full_marks()
    del sheet[item]
    reasons = score_sheet_reasons(T, sheet)
    assert reasons and f"item {item} (" in reasons[0] and "no score" in reasons[0]


@pytest.mark.parametrize("bad", ["3", None, True, [], {}, float("nan"), float("inf")])
def test_a_non_number_is_refused_naming_the_item(bad):
    reason = _one_reason(full_marks() | {"7": bad})
    assert "item 7 (" in reason and "not a number" in reason


def test_item_9_is_capped_at_3():
    assert score_sheet_reasons(T, full_marks() | {"9": 3}) == []
    reason = _one_reason(full_marks() | {"9": 4})
    assert "Mục 9" in reason and "item 9" in reason and "maximum of 3" in reason


@pytest.mark.parametrize(
    "collective, individual, points",
    [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3), (2, 0, 3), (0, 5, 3), (3, 3, 3)],
)
def test_award_points_are_2_per_collective_1_per_individual_capped_at_3(
    collective, individual, points
):
    assert award_points(collective, individual) == points


def test_sub_items_that_do_not_add_up_are_refused_naming_the_item():
    reason = _one_reason(full_marks() | {"4b": 0})  # 1+0+1+2 = 4, item says 5
    assert "Mục 4 (" in reason and "item 4 (" in reason and "add up to 4, not 5" in reason
    reason = _one_reason(full_marks() | {"6": 3})  # 2+2 = 4, item says 3
    assert "item 6 (" in reason and "add up to 4, not 3" in reason


def test_an_unknown_item_is_refused_by_name():
    assert "unknown item '10'" in _one_reason(full_marks() | {"10": 1})


def test_a_sheet_that_is_not_an_object_is_refused():
    assert score_sheet_reasons(T, [3, 3, 5]) and score_sheet_reasons(T, None)


def test_every_problem_of_a_sheet_is_listed_at_once():
    sheet = full_marks() | {"1": -1, "2": "x", "9": 4, "11": 0}
    del sheet["7"]
    assert len(score_sheet_reasons(T, sheet)) == 5


# --- 8c follows the decision --------------------------------------------------------------------


def test_8c_is_granted_only_on_recognition():
    sheet = full_marks()
    assert score_sheet_reasons(T, sheet, recognised=True) == []
    reason = _one_reason(sheet, recognised=False)
    assert "item 8c (" in reason and "only on recognition" in reason
    zero = sheet | {"8c": 0, "8": 3}
    assert score_sheet_reasons(T, zero, recognised=False) == []
    assert "item 8c (" in _one_reason(zero, recognised=True)


def test_granting_rewrites_8c_and_its_parent():
    sheet = full_marks() | {"8c": 0, "8": 3}
    granted = grant_recognition(T, sheet, recognised=True)
    assert granted["8c"] == 50 and granted["8"] == 53 and sheet["8c"] == 0  # input untouched
    assert score_sheet_reasons(T, granted, recognised=True) == []
    refused = grant_recognition(T, full_marks(), recognised=False)
    assert refused["8c"] == 0 and refused["8"] == 3
    assert score_sheet_reasons(T, refused, recognised=False) == []


def test_a_rejected_unit_cannot_be_better_than_trung_binh_on_the_default_bands():
    total, cls = classification(T, full_marks(), DEFAULT_BANDS, recognised=False)
    assert total == 50 and cls is MovementClass.TRUNG_BINH
    total, cls = classification(T, full_marks() | {"8c": 0, "8": 3}, DEFAULT_BANDS, recognised=True)
    assert total == 100 and cls is MovementClass.XUAT_SAC


# --- bands --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, expected",
    [
        (100, MovementClass.XUAT_SAC),
        (90, MovementClass.XUAT_SAC),
        (89.5, MovementClass.KHA),
        (89, MovementClass.KHA),
        (70, MovementClass.KHA),
        (69.9, MovementClass.TRUNG_BINH),
        (69, MovementClass.TRUNG_BINH),
        (50, MovementClass.TRUNG_BINH),
        (49.5, MovementClass.YEU),
        (49, MovementClass.YEU),
        (0, MovementClass.YEU),
        (Decimal("89.99"), MovementClass.KHA),
    ],
)
def test_each_boundary_of_each_default_band(total, expected):
    assert classify(total) is expected


def test_default_bands_are_valid():
    assert bands_problems(DEFAULT_BANDS) == []


def _bands(xs, k, tb, y):
    return [Band(movement_class=c, min_points=m) for c, m in zip(MovementClass, (xs, k, tb, y))]


def test_a_province_may_move_the_bands():
    bands = _bands(85, 65, 50, 0)
    assert bands_problems(bands) == []
    assert (
        classify(85, bands) is MovementClass.XUAT_SAC and classify(84, bands) is MovementClass.KHA
    )


def test_bands_in_any_list_order_classify_the_same():
    assert classify(72, list(reversed(DEFAULT_BANDS))) is MovementClass.KHA


@pytest.mark.parametrize(
    "bands, words",
    [
        (_bands(70, 90, 50, 0), "out of order"),
        (_bands(90, 90, 50, 0), "overlap"),
        (_bands(90, 70, 50, 10), "must start at 0"),
        (_bands(120, 70, 50, 0), "above the table's 100"),
        (_bands(90, 70, 50, 0)[:3], "missing"),
        (
            _bands(90, 70, 50, 0) + [Band(movement_class=MovementClass.KHA, min_points=60)],
            "2 times",
        ),
    ],
)
def test_bad_bands_are_refused(bands, words):
    assert any(words in p for p in bands_problems(bands)), bands_problems(bands)


# --- properties ---------------------------------------------------------------------------------


@st.composite
def valid_sheets(draw):
    """A sheet a careful scorer could type: sub-items within range, parents as their sums,
    whole or half points."""
    sheet = {}
    for item in T.items:
        if item.sub_items:
            for sub in item.sub_items:
                sheet[sub.id] = draw(st.integers(0, 2 * sub.max_points)) / 2
            sheet[item.id] = sum(sheet[s.id] for s in item.sub_items)
        else:
            sheet[item.id] = draw(st.integers(0, 2 * item.max_points)) / 2
    return sheet


@settings(max_examples=200)
@given(valid_sheets())
def test_any_sheet_within_the_rules_is_valid_and_scores_0_to_100(sheet):
    assert score_sheet_reasons(T, sheet) == []
    assert 0 <= sheet_total(T, sheet) <= 100


@settings(max_examples=200)
@given(valid_sheets(), st.sampled_from([i.id for i in T.printed_order]), st.integers(1, 20))
def test_pushing_any_entry_past_its_max_is_refused_naming_it(sheet, item, excess):
    sheet[item] = T.item_index[item].max_points + excess
    assert any(f"item {item} (" in r for r in score_sheet_reasons(T, sheet))


@settings(max_examples=300)
@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_classification_never_falls_as_the_total_rises(a, b):
    rank = list(MovementClass).index
    low, high = sorted((a, b))
    assert rank(classify(high)) <= rank(classify(low))
