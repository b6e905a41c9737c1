"""Working days around Tết 2026 and 2027, 30/4-1/5, 2/9 and substituted days, from `holidays`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.calendar import (
    add_working_days,
    is_working_day,
    local_date,
    working_day_deadline,
    working_days_between,
)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),  # Tết 2026
        date(2027, 2, 4),
        date(2027, 2, 5),
        date(2027, 2, 8),
        date(2027, 2, 9),
        date(2027, 2, 10),  # Tết 2027
        date(2026, 4, 27),  # Giỗ Tổ Hùng Vương falls on Sunday 26/4: Monday off
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2027, 5, 3),  # 1/5/2027 is a Saturday: Monday off
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),  # 31/8/2026 off, swapped with Sat 22/8
        date(2027, 9, 2),
        date(2027, 9, 3),
    ],
)
def test_holidays_are_not_working_days(day):
    assert day.weekday() < 5 and not is_working_day(day)


def test_a_make_up_saturday_is_a_working_day():
    assert date(2026, 8, 22).weekday() == 5 and is_working_day(date(2026, 8, 22))
    assert not is_working_day(date(2026, 8, 29))  # an ordinary Saturday


@pytest.mark.parametrize(
    "start,n,expected",
    [
        (date(2026, 2, 13), 1, date(2026, 2, 23)),  # Friday before Tết 2026 -> Monday after
        (date(2026, 2, 12), 2, date(2026, 2, 23)),
        (date(2027, 2, 3), 1, date(2027, 2, 11)),  # Wednesday before Tết 2027 -> Thursday after
        (date(2026, 4, 29), 1, date(2026, 5, 4)),  # over 30/4-1/5 and the weekend
        (date(2026, 8, 21), 1, date(2026, 8, 22)),  # the make-up Saturday counts
        (date(2026, 8, 28), 1, date(2026, 9, 3)),  # 31/8, 1/9, 2/9 off
        (date(2026, 11, 23), 1, date(2026, 11, 25)),  # Ngày Văn hóa Việt Nam, 24/11 from 2026
        (date(2026, 2, 23), -1, date(2026, 2, 13)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_working_days_between_counts_only_working_days():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert working_days_between(date(2026, 2, 23), date(2026, 2, 13)) == -1
    assert working_days_between(date(2026, 11, 2), date(2026, 11, 9)) == 5


def test_local_day_not_utc_day():
    late_friday_utc = datetime(2026, 2, 13, 23, 30, tzinfo=UTC)  # Saturday 06:30 in Hà Nội
    assert local_date(late_friday_utc) == date(2026, 2, 14)
    # opened on Saturday 14/2 local: the first working day after is Monday 23/2
    assert working_day_deadline(late_friday_utc, 1) == datetime(2026, 2, 23, 16, 59, 59, tzinfo=UTC)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(1, 40))
def test_adding_working_days_lands_on_a_working_day_and_inverts(start, n):
    end = add_working_days(start, n)
    assert is_working_day(end) and end > start
    assert working_days_between(start, end) == n
    assert add_working_days(start, n + 1) > end
