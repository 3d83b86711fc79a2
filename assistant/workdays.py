"""Business days in the rep's country: weekends and public holidays (the ``holidays`` library)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_COUNTRY_BY_ZONE = {"Asia/Seoul": "KR"}


@lru_cache(maxsize=8)
def _calendar(country: str | None) -> holidays.HolidayBase | dict:
    return holidays.country_holidays(country) if country else {}


def country_for(timezone: str) -> str | None:
    """The holiday calendar for a time zone: Korea for Asia/Seoul, else weekends only."""
    return _COUNTRY_BY_ZONE.get(timezone)


def is_business_day(day: date, country: str | None = "KR") -> bool:
    return day.weekday() < 5 and day not in _calendar(country)


def add_business_days(day: date, count: int, country: str | None = "KR") -> date:
    """The business day ``count`` business days after ``day``."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day, country):
            count -= 1
    return day


def business_days_between(start: date, end: date, country: str | None = "KR") -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day, country):
            count += 1
    return count
