"""Vietnam's working days, from the ``holidays`` package (Tết and the other lunar holidays,
substituted days off, make-up working Saturdays): nothing typed by hand.

Times are stored in UTC; calendar arithmetic happens in Asia/Ho_Chi_Minh, where the officials
are: a step opened at 23:30 UTC on a Friday opened on Saturday, local time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
END_OF_DAY = time(23, 59, 59)
OFFICE_OPENS = time(8, 0)


@lru_cache(maxsize=1)
def _vietnam() -> holidays.HolidayBase:
    # Built once with the years the engine meets; later years are added by the package itself.
    return holidays.country_holidays("VN", years=range(2020, 2041))


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


@lru_cache(maxsize=4096)  # pure, and called for the same few deadline days by every step
def end_of_local_day(day: date) -> datetime:
    """The last second of ``day`` in Vietnam, in UTC: a deadline "by 05/11" means this."""
    return datetime.combine(day, END_OF_DAY, tzinfo=LOCAL).astimezone(UTC)


@lru_cache(maxsize=4096)
def start_of_local_day(day: date) -> datetime:
    """08:00 in Vietnam on ``day``, in UTC: when a reminder is worth sending."""
    return datetime.combine(day, OFFICE_OPENS, tzinfo=LOCAL).astimezone(UTC)


def is_working_day(day: date) -> bool:
    return _vietnam().is_working_day(day)


def holiday_name(day: date) -> str | None:
    return _vietnam().get(day)


@lru_cache(maxsize=8192)
def add_working_days(day: date, n: int) -> date:
    """The n-th working day after ``day`` (before it when n < 0); n = 0 gives ``day`` itself if
    it is a working day, else the next one."""
    return _vietnam().get_nth_working_day(day, n)


@lru_cache(maxsize=8192)  # every late step shown asks it, over the same few dates
def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days later ``end`` is than ``start``;
    negative when ``end`` comes first."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for i in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=i))
    )


def working_day_deadline(opened_at: datetime, n: int) -> datetime:
    """A limit of n working days from the moment a step opened: the end (local time) of the
    n-th working day after the local day it opened on."""
    return end_of_local_day(add_working_days(local_date(opened_at), n))
