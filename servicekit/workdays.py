"""China working days from the `holidays` package: statutory holidays and make-up working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from servicekit.clock import SHANGHAI


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


@lru_cache(maxsize=64)
def _makeup_days(year: int) -> frozenset[date]:
    """Weekend days that are official working days (调休上班) in `year`."""
    cal = _calendar(year)
    weekend_workdays = getattr(cal, "weekend_workdays", None) or set()
    return frozenset(d for d in weekend_workdays if d.year == year)


def is_holiday(day: date) -> bool:
    return day in _calendar(day.year)


def is_working_day(day: date) -> bool:
    """Mon–Fri that is no statutory holiday, or a weekend make-up working day."""
    if day in _makeup_days(day.year):
        return True
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (start itself not counted); count >= 0."""
    if count < 0:
        raise ValueError("count must be >= 0")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def end_of_nth_working_day(moment: datetime, count: int) -> datetime:
    """End (24:00 Asia/Shanghai, i.e. next midnight) of the `count`-th working day after `moment`'s date.

    R-REG-18: a review submitted on day D ends at the end of the 7th working day after D.
    """
    local_day = moment.astimezone(SHANGHAI).date()
    last = add_working_days(local_day, count)
    return datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI)
