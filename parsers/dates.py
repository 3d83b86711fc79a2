"""Find and resolve Korean and English date expressions in business mail.

``find_dates(text, now)`` scans ``text`` with a table of compiled regular
expressions (``_RULES``), resolves every match against ``now.date()`` and keeps
the longest non-overlapping matches.  A second pass attaches deadline markers
("by", "no later than", "까지", "이내") and joins two dates written as a range
("12/16~12/18", "7월 13일부터 15일까지", "July 13-15").

Everything is pure: no I/O, no wall clock.  The conventions (week starts on
Monday, how a year-less date picks its year, what ``value``/``last`` mean for
deadlines and durations) are written down in ``docs/dates.md``.
"""
from __future__ import annotations

import calendar
import inspect
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple

import holidays
from holidays.calendars.julian import JULIAN_CALENDAR
from holidays.groups import (BuddhistCalendarHolidays, ChineseCalendarHolidays, ChristianHolidays,
                             HebrewCalendarHolidays, HinduCalendarHolidays, IslamicHolidays)
from holidays.holiday_base import HolidayBase

from parsers.types import DateMention

__all__ = ["find_dates", "resolve"]

# A year-less date (or month) this many days in the past is still read as past
# ("11/5 출고" written on 11/7); older ones move to next year.
RECENT_PAST_DAYS = 30
# A bare day of month ("16일", "the 16th") this many days back stays in this month.
RECENT_PAST_DAYS_BARE_DAY = 7

# ---------------------------------------------------------------------------
# Words and numbers
# ---------------------------------------------------------------------------

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "couple": 2, "a couple of": 2,
    "couple of": 2, "a few": 3, "few": 3,
}
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
    "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}
_KO_NATIVE = {
    "한": 1, "두": 2, "세": 3, "석": 3, "네": 4, "넉": 4, "다섯": 5, "여섯": 6,
    "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
}
_KO_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
# Native Korean day counts: "사흘 뒤", "이틀 지연", "보름 정도 늦어질", "사나흘" (3-4: the upper bound).
_KO_NATIVE_DAYS = {
    "하루이틀": 2, "하루": 1, "이틀": 2, "사나흘": 4, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6,
    "이레": 7, "여드레": 8, "아흐레": 9, "열흘": 10, "보름": 15,
}
_KO_NATIVE_DAYS_RE = "|".join(sorted(_KO_NATIVE_DAYS, key=len, reverse=True))
_KO_ORDINALS = {
    "첫": 1, "첫째": 1, "첫번째": 1, "둘째": 2, "두번째": 2, "셋째": 3, "세번째": 3,
    "넷째": 4, "네번째": 4, "다섯째": 5, "다섯번째": 5, "마지막": -1,
}
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAYS_KO = {"월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5, "일": 6}


def _sino(text: str) -> int | None:
    """Read a Sino-Korean numeral below 10,000 ("이십일" -> 21, "이천십오" -> 2015)."""
    total, current = 0, 0
    for ch in text:
        if ch in _KO_SINO_DIGITS:
            current = _KO_SINO_DIGITS[ch]
        elif ch in "십백천":
            total += (current or 1) * {"십": 10, "백": 100, "천": 1000}[ch]
            current = 0
        else:
            return None
    return total + current


def _number(token: str | None) -> int | None:
    """An integer from digits, English number words or Korean numerals."""
    if not token:
        return None
    token = " ".join(token.lower().split())
    if token.isdigit():
        return int(token)
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    if token in _EN_ORDINALS:
        return _EN_ORDINALS[token]
    if token in _KO_NATIVE:
        return _KO_NATIVE[token]
    return _sino(token)


def _strip_ord(token: str) -> str:
    """'16th' -> '16' (lower-cased)."""
    token = token.lower()
    return token[:-2] if token[-2:] in ("st", "nd", "rd", "th") else token


def _month_number(token: str) -> int:
    return _MONTHS[token[:3].lower()]


def _weekday_en(token: str) -> int:
    return _WEEKDAYS_EN[token[:3].lower()]


# ---------------------------------------------------------------------------
# Calendar arithmetic
# ---------------------------------------------------------------------------

def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shift_months(d: date, n: int) -> date:
    year, month = _add_months(d.year, d.month, n)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _expand_year(token: str) -> int:
    """A two-digit year: 00-49 -> 20xx, 50-99 -> 19xx."""
    year = int(token.lstrip("'"))
    if year < 100:
        year += 2000 if year < 50 else 1900
    return year


def _upcoming_year(today: date, month: int, last_day: int | None = None) -> int:
    """The year for a year-less month(/day): this year unless it ended too long ago."""
    end = _safe_date(today.year, month, last_day) if last_day else _month_end(today.year, month)
    if end is None:  # 29 Feb in a common year
        end = _month_end(today.year, month)
    return today.year + 1 if end < today - timedelta(days=RECENT_PAST_DAYS) else today.year


def _upcoming_day(today: date, day: int, weekday: int | None = None) -> date | None:
    """A bare day of month: this month unless it is more than a week past.

    With a weekday ("Thu 15th", "19일(화)") the first month from there whose day
    falls on that weekday is taken.
    """
    year, month = today.year, today.month
    candidate = _safe_date(year, month, day)
    if candidate is None or candidate < today - timedelta(days=RECENT_PAST_DAYS_BARE_DAY):
        year, month = _add_months(year, month, 1)
    for _ in range(14):
        candidate = _safe_date(year, month, day)
        if candidate and (weekday is None or candidate.weekday() == weekday):
            return candidate
        year, month = _add_months(year, month, 1)
    return None


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-based, -1 for last) given weekday of a month."""
    if nth == -1:
        last = _month_end(year, month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    d = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    return d if d.month == month else None


def _month_week(year: int, month: int, nth: int) -> date | None:
    """Monday of the nth full Monday-Sunday week inside a month (-1: the last one, -2
    the one before ...)."""
    if nth < 0:
        monday = _last_full_week(_month_end(year, month)) - timedelta(weeks=-nth - 1)
        return monday if monday.month == month else None
    return _nth_weekday(year, month, 0, nth)


def _last_full_week(last_day: date) -> date:
    """Monday of the last full Monday-Sunday week ending on or before ``last_day``."""
    return last_day - timedelta(days=(last_day.weekday() + 1) % 7 + 6)


def _year_week(year: int, nth: int) -> date | None:
    """Monday of the nth full Monday-Sunday week of a year (negative: from its end)."""
    if nth < 0:
        monday = _last_full_week(date(year, 12, 31)) - timedelta(weeks=-nth - 1)
    else:
        monday = date(year, 1, 1) + timedelta(days=-date(year, 1, 1).weekday() % 7, weeks=nth - 1)
    return monday if monday.year == year and monday + timedelta(days=6) <= date(year, 12, 31) else None


@lru_cache(maxsize=64)
def _holiday_table(country: str, category: str, year: int) -> dict[str, date]:
    """Holiday name -> date for one country, category and year (``holidays`` library)."""
    table = holidays.country_holidays(country, years=year, categories=(category,), language="en_US")
    names: dict[str, date] = {}
    for day, name in sorted(table.items()):
        for part in name.split("; "):
            names.setdefault(part, day)
    return names


def _is_business_day(d: date, korean: bool) -> bool:
    if d.weekday() >= 5:
        return False
    return not (korean and d in _holiday_set("KR", d.year))


@lru_cache(maxsize=32)
def _holiday_set(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _add_business_days(start: date, n: int, korean: bool) -> date:
    """``n`` business days after ``start`` (before it when ``n`` is negative)."""
    d, step, left = start, timedelta(days=1 if n >= 0 else -1), abs(n)
    while left > 0:
        d += step
        if _is_business_day(d, korean):
            left -= 1
    return d


def _days_off(day: date) -> tuple[date, date]:
    """The weekend days and Korean public holidays in a row around ``day`` (a 연휴)."""
    first = last = day
    while not _is_business_day(first - timedelta(days=1), True):
        first -= timedelta(days=1)
    while not _is_business_day(last + timedelta(days=1), True):
        last += timedelta(days=1)
    return first, last


# ---------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------

@dataclass
class _Cand:
    """A resolved match before overlap removal; ``rule`` names the table entry."""

    start: int
    end: int
    value: date
    last: date
    grain: str
    kind: str = "point"
    days: int | None = None
    rule: str = ""
    second: int = 0  # a range matched by one rule: where its second date starts


@dataclass(frozen=True)
class _Ctx:
    today: date
    lang: str | None
    text: str  # the original text (patterns see it lower-cased)
    region: str | None = None  # ISO country code preferred for holiday names


_Hit = tuple  # (value, last, grain[, kind[, days]]) returned by a handler


def _day(d: date | None) -> _Hit | None:
    return (d, d, "day") if d else None


# A named week in delivery mail is its working week: "next week", "week 51",
# "12월 셋째 주", "이번 주까지" run Monday to Friday (the last business day).
_WORK_WEEK_LAST = 4


def _week(monday: date) -> _Hit:
    return (monday, monday + timedelta(days=_WORK_WEEK_LAST), "week")


def _month(year: int, month: int) -> _Hit:
    return (date(year, month, 1), _month_end(year, month), "month")


def _part_of_month(year: int, month: int, part: str) -> _Hit:
    """early/mid/late (초/중순/말) of a month: days 1-10, 11-20, 21-end."""
    end = _month_end(year, month)
    if part == "early":
        return (date(year, month, 1), date(year, month, 10), "day")
    if part == "mid":
        return (date(year, month, 11), date(year, month, 20), "day")
    if part == "last":
        return (end, end, "day")
    return (date(year, month, 21), end, "day")


def _part_of_week(monday: date, part: str) -> _Hit:
    """early/mid/late of a (working) week: Mon-Wed, Wed-Thu, Fri; weekend Sat-Sun."""
    offsets = {"early": (0, 2), "mid": (2, 3), "late": (4, 4), "weekend": (5, 6)}[part]
    return (monday + timedelta(days=offsets[0]), monday + timedelta(days=offsets[1]), "day")


def _part_of_year(year: int, part: str) -> _Hit:
    if part == "early":
        return (date(year, 1, 1), date(year, 2, 28 + calendar.isleap(year)), "month")
    if part == "mid":
        return (date(year, 6, 1), date(year, 7, 31), "month")
    if part == "first_half":
        return (date(year, 1, 1), date(year, 6, 30), "month")
    if part == "second_half":
        return (date(year, 7, 1), date(year, 12, 31), "month")
    if part == "within":
        return (date(year, 12, 31), date(year, 12, 31), "year", "deadline")
    if part == "late":
        return (date(year, 12, 1), date(year, 12, 31), "month")
    return (date(year, 1, 1), date(year, 12, 31), "year")


def _quarter(year: int, q: int) -> _Hit:
    first = date(year, 3 * q - 2, 1)
    return (first, _month_end(year, 3 * q), "quarter")


# Modifier words -> part names used by the helpers above.
_MOD_PARTS = {
    "early": "early", "beginning": "early", "start": "early", "bo": "early",
    "mid": "mid", "middle": "mid", "late": "late", "end": "late", "eo": "late",
    "초": "early", "초순": "early", "상순": "early", "초반": "early",
    "중순": "mid", "중반": "mid", "하순": "late", "말": "late", "말경": "late",
    "후반": "late", "말일": "last", "마지막날": "last", "마지막": "last", "주말": "weekend", "weekend": "weekend",
}


_MOD_WORD_RE = re.compile(r"[a-z]+|[가-힣]+")
_KO_SPACE_RE = re.compile(r"(?<=[가-힣])\s+(?=[가-힣])")


def _mod_part(token: str | None) -> str | None:
    if not token:
        return None
    token = token.lower().strip()
    for word in _MOD_WORD_RE.findall(_KO_SPACE_RE.sub("", token)):
        if word in _MOD_PARTS:
            return _MOD_PARTS[word]
    return None


# ---------------------------------------------------------------------------
# Pattern fragments
# ---------------------------------------------------------------------------

_MON = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
        r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WD = (r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
       r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)")
_ORD_WORD = "|".join(sorted(_EN_ORDINALS, key=len, reverse=True))
_DAYNUM = rf"(?:(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?|{_ORD_WORD})"
_YEAR4 = r"(?:19|20)\d{2}"
_EN_NUM = (r"(?:\d{1,3}(?:\.5)?|a\s+couple\s+of|couple\s+of|a\s+few|few|an?|one|two|three|four|five"
           r"|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)")
_KO_NUM = r"(?:\d{1,3}|다섯|여섯|일곱|여덟|아홉|[한두세석네넉열]|[일이삼사오육칠팔구십]{1,3})"
_KO_WD = r"(?P<wd>[월화수목금토일])(?:요일|욜)"
_KO_WEEK_REL = (r"이번\s*주|금주|이\s+주|다음\s*주|담\s*주|차주|내주|오는\s*주|다가오는\s*주"
                r"|다다음\s*주|지난\s*주|저번\s*주|지지난\s*주")
_KO_MONTH_REL = (r"이번\s*달|이\s*달|금월|당월|다음\s*달|담\s*달|익월|내달|차월|다다음\s*달"
                 r"|지난\s*달|저번\s*달|전월")
_KO_YEAR_REL = r"올\s*해|올해|금년|내년|명년|작년|지난\s*해|작년도|후년|내후년|다음\s*해"
_KO_ORD = r"(?:첫\s*번째|첫째|첫|두\s*번째|둘째|세\s*번째|셋째|네\s*번째|넷째|다섯\s*번째|다섯째|마지막)"
# After a Korean word: end of word, a particle, or glued weekday/time words.
_KO_AFTER = r"(?=$|[^가-힣]|[에은는도의로와과엔쯤경께중내안초말부까이전후월화수목금토일오])"

_KO_WEEK_SHIFT = {"이번": 0, "금주": 0, "이": 0, "다음": 1, "담": 1, "차주": 1, "내주": 1,
                  "오는": 1, "다가오는": 1, "돌아오는": 1, "다다음": 2, "지난": -1, "저번": -1,
                  "지지난": -2, "전": -1}
_KO_MONTH_SHIFT = {"이번": 0, "이": 0, "금월": 0, "당월": 0, "다음": 1, "담": 1, "익월": 1,
                   "내달": 1, "차월": 1, "다다음": 2, "지난": -1, "저번": -1, "전월": -1}
_KO_YEAR_SHIFT = {"올": 0, "올해": 0, "금년": 0, "내년": 1, "명년": 1, "다음": 1, "작년": -1,
                  "지난": -1, "작년도": -1, "후년": 2, "내후년": 2}
_EN_SHIFT = {"this": 0, "current": 0, "the current": 0, "next": 1, "coming": 1, "upcoming": 1,
             "the coming": 1, "following": 1, "the following": 1, "the next": 1,
             "this coming": 1, "last": -1, "past": -1, "previous": -1, "the previous": -1,
             "the last": -1, "the past": -1}


def _shift(table: dict[str, int], token: str | None) -> int:
    """Look up a relative word ("다음 주", "the following"), ignoring spaces and 주/달/해."""
    if not token:
        return 0
    key = " ".join(token.lower().split())
    if key in table:
        return table[key]
    key = key.replace(" ", "")
    if key[-1:] in ("주", "달", "해"):
        key = key[:-1]
    return table.get(key, table.get(key.replace(" ", ""), 0))


# ---------------------------------------------------------------------------
# Handlers: each takes the match and context and returns a hit tuple or None.
# ---------------------------------------------------------------------------

def _h_numeric(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """12/16, 2026-12-16, 2026.12.16, 26.12.16, 10/31/74, 21/04/2016, 12.16(수)."""
    g = m.groupdict()
    if g["y"]:
        return _day(_safe_date(int(g["y"]), int(g["m"]), int(g["d"])))
    if g["a"]:
        a, b, c, sep = g["a"], g["b"], g["c"], g["s2"]
        x, y = int(a), int(b)
        if int(a) > 31 or (sep == "." and len(a) == 2 and len(c) == 2 and int(c) <= 31):
            return _day(_safe_date(_expand_year(a), int(b), int(c)))  # yy.mm.dd
        year = _expand_year(c)
        if x > 12:
            x, y = y, x  # day first
        return _day(_safe_date(year, x, y))
    if g["ym_y"]:
        month = int(g["ym_m"])
        return _month(int(g["ym_y"]), month) if 1 <= month <= 12 else None
    if g["my_y"]:
        month = int(g["my_m"])
        return _month(int(g["my_y"]), month) if 1 <= month <= 12 else None
    first, second = int(g["p"] or g["r"] or g["u"]), int(g["q"] or g["t"] or g["v"])
    if first > 12:
        first, second = second, first
    if not (1 <= first <= 12 and 1 <= second <= 31):
        return None
    year = _upcoming_year(ctx.today, first, second)
    return _day(_safe_date(year, first, second))


def _h_en_month_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """Dec 16th, December 16, 2026, 16 Dec, the 16th of December, July 13-15."""
    g = m.groupdict()
    month = _month_number(g["mon"])
    day = _number(_strip_ord(g["d"]) if g["d"][0].isdigit() else g["d"])
    if not day:
        return None
    year = _expand_year(g["y"]) if g["y"] else _upcoming_year(ctx.today, month, day)
    weekday = g.get("wd1") or g.get("wd2")
    if weekday and not g["y"] and not g["d2"]:
        # "Fri, Jul 18": next year if only there it is a Friday (a wrong weekday is common)
        wanted = _weekday_en(weekday)
        year = next((y for y in (year, year + 1) if (d := _safe_date(y, month, day)) and d.weekday() == wanted),
                    year)
    start = _safe_date(year, month, day)
    if start is None:
        return None
    if g["d2"]:
        day2 = _number(_strip_ord(g["d2"]) if g["d2"][0].isdigit() else g["d2"])
        month2 = _month_number(g["mon2"]) if g.get("mon2") else month
        end = _safe_date(year, month2, day2 or 0)
        if end and end < start and g.get("mon2"):
            end = _safe_date(year + 1, month2, day2 or 0)  # "Dec 24 - Jan 1"
        if end and end >= start:
            return (start, end, "day")
    return (start, start, "day")


_MAY_BEFORE_RE = re.compile(r"\b(?:in|of|by|until|till|from|during|since|early|mid|late|end|"
                            r"before|after|through|next|this|last)\s+$")


def _may_is_month(m: re.Match) -> bool:
    """'may' alone is a modal verb unless a date word comes right before it."""
    before = m.string[max(0, m.start() - 12):m.start()].lower()
    return bool(_MAY_BEFORE_RE.search(before))


def _h_en_month(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """January, Jan 2027, next March, early/mid/late January, end of April."""
    g = m.groupdict()
    token = ctx.text[m.start("mon"):m.end("mon")]
    if token.lower() == "may" and not (g["y"] or g["mod"] or g["rel"] or _may_is_month(m)):
        return None
    if len(token) == 3 and token.islower() and not (g["y"] or g["mod"] or g["rel"]) and token != "may":
        return None  # "mar", "jun" alone in lower case are rarely months
    month = _month_number(token)
    part = _mod_part(g["mod"])
    if g["y"]:
        year = int(g["y"])
    else:
        # "beginning of January" said in February is next January, as for a day
        year = _upcoming_year(ctx.today, month, {"early": 10, "mid": 20}.get(part or ""))
        if g["rel"] and g["rel"].lower() == "last":
            year = ctx.today.year if month < ctx.today.month else ctx.today.year - 1
        elif g["rel"] and _shift(_EN_SHIFT, g["rel"]) > 0:
            year = ctx.today.year if month > ctx.today.month else ctx.today.year + 1
    return _part_of_month(year, month, part) if part else _month(year, month)


def _h_en_relative_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    word = " ".join(m.group(0).lower().split())
    if "before yesterday" in word:
        return _day(ctx.today - timedelta(days=2))
    if "after tomorrow" in word:
        return _day(ctx.today + timedelta(days=2))
    if word.startswith("yesterday"):
        return _day(ctx.today - timedelta(days=1))
    if word.startswith(("tomorrow", "tmr", "tmrw")):
        return _day(ctx.today + timedelta(days=1))
    return _day(ctx.today)


def _weekday_hit(today: date, weekday: int, shift: int | None, after_next: bool = False) -> _Hit:
    """shift None: next occurrence after today; else that weekday in week today+shift."""
    if shift is None:
        ahead = (weekday - today.weekday() - 1) % 7 + 1
        return _day(today + timedelta(days=ahead + (7 if after_next else 0)))
    return _day(_week_start(today) + timedelta(weeks=shift, days=weekday))


def _h_en_weekday(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """Friday, this Friday, next Wednesday, last Tuesday, Wednesday of next week."""
    g = m.groupdict()
    token = ctx.text[m.start("wd"):m.end("wd")]
    if token.lower() in ("sat", "sun") and not (g["rel"] or g["post"] or m.group(0).endswith(".")
                                                 or token[0].isupper()):
        return None
    weekday = _weekday_en(token)
    post = (g["post"] or "").lower()
    if "after next" in post:
        return _weekday_hit(ctx.today, weekday, None, after_next=True)
    if "week" in post:
        return _weekday_hit(ctx.today, weekday, _shift(_EN_SHIFT, post.split()[-2]))
    if g["rel"]:
        rel = g["rel"].lower()
        if rel in ("coming", "upcoming", "this coming"):
            return _weekday_hit(ctx.today, weekday, None)
        return _weekday_hit(ctx.today, weekday, _shift(_EN_SHIFT, rel))
    return _weekday_hit(ctx.today, weekday, None)


def _h_en_weekday_count(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """3 Fridays from now (the third Friday after today), 2 Thursdays ago."""
    n = _number(m.group("n"))
    if not n:
        return None
    weekday, today = _weekday_en(m.group("wd")), ctx.today
    if m.group("dir").lower() in ("ago", "back"):
        last = today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
        return _day(last - timedelta(weeks=n - 1))
    first = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return _day(first + timedelta(weeks=n - 1))


# The seasons (northern hemisphere, astronomical): the month and day each one starts.
_SEASON_STARTS = (("spring", 3, 20), ("summer", 6, 21), ("fall", 9, 23), ("winter", 12, 21))


def _seasons_around(year: int) -> list[tuple[str, date, date]]:
    """(name, first day, last day) of the seasons starting from year - 1 to year + 1."""
    starts = [(name, date(y, month, day)) for y in (year - 1, year, year + 1, year + 2)
              for name, month, day in _SEASON_STARTS]
    return [(name, start, following - timedelta(days=1))
            for (name, start), (_n, following) in zip(starts, starts[1:])]


def _h_en_season(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """this summer, next winter, last fall, summer 2027, this/next/last season.  "this
    X": the one under way, else the coming one unless the last ended less than
    ``RECENT_PAST_DAYS`` ago; "next X" the first starting after today, "last X" the
    last one over."""
    g = m.groupdict()
    name = (g["s"] or g["s2"]).lower().replace("autumn", "fall")
    today = ctx.today
    seasons = _seasons_around(int(g["y"]) if g["y"] else today.year)
    if g["y"]:
        return next(((a, b, "quarter") for n, a, b in seasons if n == name and a.year == int(g["y"])), None)
    rel = _shift(_EN_SHIFT, g["rel"])
    now = next(k for k, (_n, a, b) in enumerate(seasons) if a <= today <= b)
    if name.startswith("season"):
        _n, a, b = seasons[now + rel]
        return (a, b, "quarter")
    same = [(a, b) for n, a, b in seasons if n == name]
    if rel > 0:
        a, b = next((a, b) for a, b in same if a > today)
    elif rel < 0:
        a, b = [(a, b) for a, b in same if b < today][-1]
    else:
        a, b = next((a, b) for a, b in same if b >= today - timedelta(days=RECENT_PAST_DAYS))
    return (a, b, "quarter")


def _h_en_bare_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """on the 15th, the 1st, by the 20th: a day of this or next month."""
    return _day(_upcoming_day(ctx.today, int(m.group("d"))))


def _h_en_month_week(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """first week of October (its first full Monday-Sunday week), last week of
    September 2014, last day of October, second last week of October, third last week
    of 2018, last day of 2026."""
    g = m.groupdict()
    nth = _ordinal(g["ord"])
    if g["nlast"]:
        nth = -_ordinal(g["nlast"])
    if g["yo"]:
        year = int(g["yo"])
        first, last = date(year, 1, 1), date(year, 12, 31)
        monday = _year_week(year, nth)
    else:
        year, month = _month_and_year(g, ctx)
        first, last = date(year, month, 1), _month_end(year, month)
        monday = _month_week(year, month, nth)
    if g["unit"].lower() == "day":
        day = first + timedelta(days=nth - 1) if nth > 0 else last + timedelta(days=nth + 1)
        return _day(day) if first <= day <= last else None
    return _week(monday) if monday else None


def _ordinal(word: str) -> int:
    """first/1st -> 1 ... fifth/5th -> 5, last -> -1."""
    word = word.lower()
    return -1 if word == "last" else _number(word) or int(word[0])


def _h_en_weekday_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """Tuesday the 19th, Thu 15th: the next such day that falls on that weekday."""
    day = _number(_strip_ord(m.group("d")))
    return _day(_upcoming_day(ctx.today, day or 0, _weekday_en(m.group("wd")))) if day else None


def _h_en_week(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """this/next/last week, the week after next, early next week, end of the week, EOW,
    all week, the rest of the week (today to Friday)."""
    g = m.groupdict()
    text = m.group(0).lower()
    if g["rest"] and g["rest"].startswith(("rest", "the")):
        friday = _week_start(ctx.today) + timedelta(days=_WORK_WEEK_LAST)
        return (ctx.today, max(ctx.today, friday), "day")
    if "after next" in text:
        shift = 2
    elif g["rel"]:
        shift = _shift(_EN_SHIFT, g["rel"])
    else:
        shift = 0
    monday = _week_start(ctx.today) + timedelta(weeks=shift)
    part = "late" if g["eow"] else _mod_part(g["mod"])
    return _part_of_week(monday, part) if part else _week(monday)


def _h_en_month_rel(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """this/next/last month, end of the month, EOM, BOM, 20th of next month."""
    g = m.groupdict()
    text = m.group(0).lower()
    shift = 2 if "after next" in text else _shift(_EN_SHIFT, g["rel"] or g["drel"])
    year, month = _add_months(ctx.today.year, ctx.today.month, shift)
    if g["d"]:
        return _day(_safe_date(year, month, _number(_strip_ord(g["d"])) or 0))
    if g["eom"]:
        part = "late" if g["eom"].lower().startswith(("eo", "end", "month")) else "early"
    else:
        part = _mod_part(g["mod"])
    return _part_of_month(year, month, part) if part else _month(year, month)


def _h_en_year(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """Q3, Q1 2027, first quarter of 2027, H2, in 2027, this/next year, end of the year, EOY,
    beginning of the year, BOY (upper case: "boy" is a word)."""
    g = m.groupdict()
    if g["boy"] == "boy" and ctx.text[m.start("boy"):m.end("boy")] != "BOY":
        return None
    explicit = g["y"] or g["yy"] or g["yin"] or g["ym"]
    rel = g["rel"] or g["rel2"]
    if not (explicit or rel):
        # a year written next to it: "2016 Q3", "q1-2019", "the third quarter this year"
        near = (_YEAR_BEFORE_RE.search(ctx.text, max(0, m.start() - 8), m.start())
                or _YEAR_AFTER_RE.match(ctx.text, m.end()))
        if near is None:
            return _upcoming_part(lambda year: _h_en_year_of(g, year), ctx.today)
        explicit, rel = near.group("y"), near.group("rel")
    year = _expand_year(explicit) if explicit else ctx.today.year + _shift(_EN_SHIFT, rel)
    return _h_en_year_of(g, year)


_YEAR_BEFORE_RE = re.compile(rf"(?<!\d)(?P<y>{_YEAR4})[\s'-]*$(?P<rel>)")
_YEAR_AFTER_RE = re.compile(rf"[\s,-]*(?:of\s+)?(?:(?P<y>{_YEAR4})(?!\d)|(?P<rel>this|next|last)\s+year\b)",
                            re.IGNORECASE)


def _upcoming_part(hit_of: Callable[[int], _Hit | None], today: date) -> _Hit | None:
    """A year part written without a year ("Q1", "H1", "연초", "3분기", "연말"): this
    year's, unless it ended more than ``RECENT_PAST_DAYS`` ago, then next year's.
    "연말"/"end of the year" is therefore always this December (in January the
    coming one)."""
    hit = hit_of(today.year)
    if hit is not None and hit[1] < today - timedelta(days=RECENT_PAST_DAYS):
        return hit_of(today.year + 1)
    return hit


def _h_en_year_of(g: dict, year: int) -> _Hit | None:
    quarter = g["q"] or g["qq"]
    if quarter:
        q = int(quarter[0]) if quarter[0].isdigit() else _number(quarter)
        return _quarter(year, q) if q and 1 <= q <= 4 else None
    if g["h"]:
        return _part_of_year(year, "first_half" if g["h"] == "1" else "second_half")
    if g["eoy"]:
        return _part_of_year(year, "late")
    if g["boy"]:
        return _part_of_year(year, "early")
    return _part_of_year(year, _mod_part(g["mod"]) or "year")


def _h_week_number(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """week 51, W51, CW51, 51주차, 2026-W51: the ISO week's Monday."""
    g = m.groupdict()
    week = int(g["w"] or g["kw"])
    years = [int(g["y"])] if g["y"] else [ctx.today.year, ctx.today.year + 1]
    for year in years:
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            continue
        if g["y"] or monday + timedelta(days=6) >= ctx.today - timedelta(days=RECENT_PAST_DAYS):
            return _week(monday)
    return None


def _h_ko_month_week(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """12월 셋째 주, 12월 3주차, 이번 달 마지막 주: Monday of that week of the month."""
    g = m.groupdict()
    year, month = _month_and_year(g, ctx)
    if month is None:
        return None
    nth = int(g["n"]) if g["n"] else _KO_ORDINALS.get(g["ord"].replace(" ", ""))
    monday = _month_week(year, month, nth) if nth else None
    return _week(monday) if monday else None


def _h_nth_weekday(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """first Monday of next month, last Friday in October, 3월 마지막 월요일, 7월 첫째주 금요일."""
    g = m.groupdict()
    year, month = _month_and_year(g, ctx)
    if month is None:
        return None
    weekday = _WEEKDAYS_KO[g["wd"]] if g.get("wd") else _weekday_en(g["ewd"])
    ordinal = g["ord"].replace(" ", "").lower()
    nth = _KO_ORDINALS.get(ordinal) or (-1 if ordinal == "last" else _number(re.sub(r"(?<=\d)\D+$", "", ordinal)))
    if not nth:
        return None
    return _day(_nth_weekday(year, month, weekday, nth))


def _month_and_year(g: dict, ctx: _Ctx) -> tuple[int, int | None]:
    """The month named by groups ``mon``/``km``/``mrel``/``erel`` (+ year ``y``)."""
    if g.get("mon"):
        month = _month_number(g["mon"])
    elif g.get("km"):
        month = int(g["km"])
    else:
        rel = g.get("mrel") or g.get("erel")
        table = _KO_MONTH_SHIFT if g.get("mrel") else _EN_SHIFT
        shift = 0 if rel and rel.strip().lower() in ("the", "this", "the current") else _shift(table, rel)
        return _add_months(ctx.today.year, ctx.today.month, shift)
    if not 1 <= month <= 12:
        return ctx.today.year, None
    year = int(g["y"]) if g.get("y") else _upcoming_year(ctx.today, month)
    return year, month


def _h_ko_date(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """12월 16일, 2026년 12월 16일(수), 이천십오년 삼월 삼일, 7월 13일 - 15일."""
    g = m.groupdict()
    month, day = _number(g["m"]), _number(g["d"])
    if not month or not day:
        return None
    if g["y"] or g["y2"]:
        year = _number(g["y"] or g["y2"])
        year = _expand_year(str(year)) if year and year < 100 else year
    elif g["yrel"]:
        year = ctx.today.year + _shift(_KO_YEAR_SHIFT, g["yrel"])
    else:
        year = _upcoming_year(ctx.today, month, day)
    start = _safe_date(year or 0, month, day) if year else None
    if start is None:
        return None
    if g["d2"]:
        month2 = _number(g["m2"]) if g["m2"] else month
        end = _safe_date(year, month2 or 0, _number(g["d2"]) or 0)
        if end and end < start:
            end = _safe_date(year + 1, month2 or 0, _number(g["d2"]) or 0)
        if end:
            return (start, end, "day")
    return (start, start, "day")


def _h_ko_bare_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """16일, 15일에, 19일 화요일, 16일(수): a day of this or next month."""
    wd = m.group("wd") or m.group("pwd")
    return _day(_upcoming_day(ctx.today, int(m.group("d")), _WEEKDAYS_KO[wd] if wd else None))


def _h_ko_month(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """12월, 2027년 1월, 내년 1월, 12월 초/중순/말, 다음 3월."""
    g = m.groupdict()
    month = int(g["m"])
    if not 1 <= month <= 12:
        return None
    if g["y"]:
        year = _expand_year(g["y"])
    elif g["yrel"]:
        year = ctx.today.year + _shift(_KO_YEAR_SHIFT, g["yrel"])
    elif g["rel"] and _shift(_KO_WEEK_SHIFT, g["rel"]) > 0:
        year = ctx.today.year if month > ctx.today.month else ctx.today.year + 1
    else:
        year = _upcoming_year(ctx.today, month)
    part = _mod_part(g["mod"])
    return _part_of_month(year, month, part) if part else _month(year, month)


def _h_ko_relative_day(m: re.Match, ctx: _Ctx) -> _Hit | None:
    offsets = {"오늘": 0, "금일": 0, "내일": 1, "명일": 1, "낼": 1, "모레": 2, "내일모레": 2,
               "낼모레": 2, "글피": 3, "어제": -1, "작일": -1, "어저께": -1, "그제": -2,
               "그저께": -2, "엊그제": -2}
    return _day(ctx.today + timedelta(days=offsets[m.group("w")]))


class _Anaphor(NamedTuple):
    """A word that names a day from the date before it ("당일", "익일", "그 전에")."""

    days: int        # days after that date (business days with ``business``)
    business: bool
    alone: bool      # with no date before it, counted from today ("익일" = tomorrow)
    form: str        # "day"; "by"/"before" a deadline on/before it; "after" the day after; "break" its 연휴


# Keys: the words lower-cased, without spaces or a leading "the".
_ANAPHORS = {
    "당일": _Anaphor(0, False, True, "day"), "익일": _Anaphor(1, False, True, "day"),
    "전일": _Anaphor(-1, False, True, "day"), "다음날": _Anaphor(1, False, True, "day"),
    "이튿날": _Anaphor(1, False, True, "day"), "전날": _Anaphor(-1, False, True, "day"),
    "익일영업일": _Anaphor(1, True, True, "day"), "익영업일": _Anaphor(1, True, True, "day"),
    "다음영업일": _Anaphor(1, True, True, "day"), "전영업일": _Anaphor(-1, True, True, "day"),
    "그날": _Anaphor(0, False, False, "day"), "그다음날": _Anaphor(1, False, False, "day"),
    "그전날": _Anaphor(-1, False, False, "day"),
    "그날까지": _Anaphor(0, False, False, "by"), "그때까지": _Anaphor(0, False, False, "by"),
    "그전에": _Anaphor(0, False, False, "before"), "그전까지": _Anaphor(0, False, False, "before"),
    "그이후": _Anaphor(0, False, False, "after"), "그후": _Anaphor(0, False, False, "after"),
    "그뒤": _Anaphor(0, False, False, "after"), "연휴": _Anaphor(0, False, False, "break"),
    "nextday": _Anaphor(1, False, True, "day"), "followingday": _Anaphor(1, False, True, "day"),
    "nextbusinessday": _Anaphor(1, True, True, "day"), "nextworkingday": _Anaphor(1, True, True, "day"),
    "followingbusinessday": _Anaphor(1, True, True, "day"), "followingworkingday": _Anaphor(1, True, True, "day"),
    "sameday": _Anaphor(0, False, False, "day"), "samemorning": _Anaphor(0, False, False, "day"),
    "sameafternoon": _Anaphor(0, False, False, "day"), "sameevening": _Anaphor(0, False, False, "day"),
}
_ANAPHOR_KEY_RE = re.compile(r"^the\s+|\s+")


def _anaphor(word: str) -> _Anaphor:
    return _ANAPHORS[_ANAPHOR_KEY_RE.sub("", word.lower())]


def _anaphor_hit(a: _Anaphor, first: date, last: date, korean: bool) -> _Hit:
    """What ``a`` names counted from a date running ``first`` to ``last``."""
    if a.form == "by":
        return (first, last, "day", "deadline")
    if a.form == "before":
        return (first - timedelta(days=1), first - timedelta(days=1), "day", "deadline")
    if a.form == "after":
        return _day(last + timedelta(days=1))
    if a.form == "break":
        return (first, last, "day") if first < last else (*_days_off(first), "day")
    return _day(_add_business_days(first, a.days, korean) if a.business else first + timedelta(days=a.days))


def _h_anaphor(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """당일, 익일, 익영업일, 전일, 다음날, 그날, 그 전에, 연휴, the next (business) day, the
    same day: counted from today here; ``_resolve_anaphora`` counts them from the
    date before them."""
    word = m.group(0)
    return _anaphor_hit(_anaphor(word), ctx.today, ctx.today, ctx.lang == "ko" or not word.isascii())


def _h_ko_weekday(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """금요일, 다음 주 수요일, 이번 주 금요일, 지난 일요일, 다다음 주 월요일."""
    rel = m.group("rel")
    weekday = _WEEKDAYS_KO[m.group("wd")]
    if not rel:
        return _weekday_hit(ctx.today, weekday, None)
    rel = rel.replace(" ", "")
    if rel in ("다가오는", "돌아오는", "오는"):
        return _weekday_hit(ctx.today, weekday, None)
    return _weekday_hit(ctx.today, weekday, _shift(_KO_WEEK_SHIFT, rel))


def _h_ko_week(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """이번 주, 다음주, 담주, 지난주, 다음 주 초/중/말, 이번 주말."""
    monday = _week_start(ctx.today) + timedelta(weeks=_shift(_KO_WEEK_SHIFT, m.group("rel")))
    mod = m.group("mod")
    part = _mod_part(mod) if mod and mod.strip() not in ("중", "중에", "중으로", "내", "내로", "안") else None
    return _part_of_week(monday, part) if part else _week(monday)


def _h_ko_weekend(m: re.Match, ctx: _Ctx) -> _Hit | None:
    monday = _week_start(ctx.today) + timedelta(weeks=_shift(_KO_WEEK_SHIFT, m.group("rel")))
    return _part_of_week(monday, "weekend")


def _h_ko_month_rel(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """이번 달, 다음 달, 다음 달 초, 이번 달 말, 월말, 다음 달 16일."""
    year, month = _add_months(ctx.today.year, ctx.today.month, _shift(_KO_MONTH_SHIFT, m.group("rel")))
    if m.group("d"):
        return _day(_safe_date(year, month, int(m.group("d"))))
    part = _mod_part(m.group("mod") or m.group("mod2"))
    return _part_of_month(year, month, part) if part else _month(year, month)


def _h_ko_year(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """연내, 올해 안, 연말, 내년 초, 2027년, 2026년 상반기, 3분기, 3사분기."""
    g = m.groupdict()
    if g["y"]:
        year = _expand_year(g["y"])
    elif g["yrel"]:
        year = ctx.today.year + _shift(_KO_YEAR_SHIFT, g["yrel"])
    else:
        return _upcoming_part(lambda year: _h_ko_year_of(g, year), ctx.today)
    return _h_ko_year_of(g, year)


def _h_ko_year_of(g: dict, year: int) -> _Hit | None:
    if g["q"] or g["q2"]:
        q = _number(g["q"] or g["q2"])
        return _quarter(year, q) if q and 1 <= q <= 4 else None
    mod = (g["mod"] or "").replace(" ", "")
    if mod in ("상반기",):
        return _part_of_year(year, "first_half")
    if mod in ("하반기",):
        return _part_of_year(year, "second_half")
    if mod in ("안", "안에", "안으로", "내", "내로", "중", "중으로", "중에") or g["within"]:
        return _part_of_year(year, "within")
    if mod in ("말", "말경") or g["eoy"]:
        return _part_of_year(year, "late")
    if mod in ("초", "초순") or g["boy"]:
        return _part_of_year(year, "early")
    return _part_of_year(year, "year")


# --- durations -------------------------------------------------------------

_UNIT_DAYS = {"day": 1, "week": 7}


def _span(today: date, n: float, unit: str, business: bool, korean: bool) -> date:
    """today + n units (business days skip weekends, and KR holidays for Korean text)."""
    if business:
        return _add_business_days(today, int(n), korean)
    if unit in _UNIT_DAYS:
        return today + timedelta(days=round(n * _UNIT_DAYS[unit]))
    months = round(n * (12 if unit == "year" else 1))
    return _shift_months(today, months)


def _duration_hit(today: date, n: float, unit: str, how: str, business: bool, korean: bool) -> _Hit:
    """how: after (point), ago (point), within (deadline), last/next (period), else duration."""
    target = _span(today, n, unit, business, korean)
    days = (target - today).days
    if how == "after":
        return (target, target, "day", "point", days)
    if how == "ago":
        past = _span(today, -n, unit, False, korean)
        return (past, past, "day", "point", (today - past).days)
    if how == "within":
        return (target, target, "day", "deadline", days)
    if how in ("last", "next"):
        return _period_window(today, int(n), unit, how)
    return (target, target, "day", "duration", days)


def _period_window(today: date, n: int, unit: str, how: str) -> _Hit:
    """'last 2 weeks' / '지난 2주' and 'next 3 months' / '다음 3달', calendar aligned."""
    if unit == "week":
        monday = _week_start(today)
        if how == "last":
            return (monday - timedelta(weeks=n), monday - timedelta(days=1), "week")
        return (monday + timedelta(weeks=1), monday + timedelta(weeks=n, days=_WORK_WEEK_LAST), "week")
    if unit in ("month", "year"):
        months = n * (12 if unit == "year" else 1)
        if how == "last":
            y, mo = _add_months(today.year, today.month, -months)
            return (date(y, mo, 1), date(today.year, today.month, 1) - timedelta(days=1), unit)
        y, mo = _add_months(today.year, today.month, 1)
        y2, mo2 = _add_months(today.year, today.month, months)
        return (date(y, mo, 1), _month_end(y2, mo2), unit)
    if how == "last":
        return (today - timedelta(days=n), today - timedelta(days=1), "day")
    return (today + timedelta(days=1), today + timedelta(days=n), "day")


_EN_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


def _h_en_duration(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """in 2 weeks, within 10 days, 3 business days, two weeks ago, slipped by a week, 4-6 weeks."""
    g = m.groupdict()
    n = _number(g["n2"] or g["n"])
    if g["n"][0].isdigit() and "." in g["n"]:
        n = float(g["n"])
    if not n:
        return None
    unit = _EN_UNITS[g["unit"][0].lower()]
    pre = (g["pre"] or "").lower().split()
    post = " ".join((g["post"] or "").lower().split())
    if post in ("ago", "back", "earlier"):
        how = "ago"
    elif post in ("from now", "from today", "later", "hence", "after") or pre[-1:] in (["in"], ["after"]):
        how = "after"
    elif "within" in pre or "inside" in pre:
        how = "within"
    elif "last" in pre or "past" in pre:
        how = "last"
    elif "next" in pre:
        how = "next"
    else:
        how = "duration"
    business = bool(g["biz"]) and g["biz"].lower() != "calendar"
    return _duration_hit(ctx.today, n, unit, how, business, ctx.lang == "ko")


_KO_UNITS = {"일": "day", "영업일": "day", "주": "week", "주일": "week", "개월": "month",
             "달": "month", "년": "year", "해": "year"}


def _h_ko_duration(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """2주, 2주간, 2주 후, 3일 뒤, 2주 이내, 영업일 기준 3일, 3영업일, 한 달, 1주일 정도 늦어질."""
    g = m.groupdict()
    post = (g["post"] or g["cue"] or "").strip()
    pre = (g["pre"] or "").replace(" ", "")
    if g["nd"]:
        # 사흘, 보름: always a length ("하루" alone is too common: "하루 빨리", "하루 종일")
        n, unit_word = _KO_NATIVE_DAYS[g["nd"]], "일"
        if g["nd"] == "하루" and not post:
            return None
        business = "영업일" in pre
    else:
        token = g["n"]
        n = _number(token)
        if g["n2"]:
            n = _number(g["n2"])
        if not n:
            return None
        unit_word = g["unit"]
        business = unit_word == "영업일" or "영업일" in pre
        sino = not token.isdigit() and token not in _KO_NATIVE
        if unit_word == "일" and not (post or business):
            return None  # a bare "16일" is a day of month
        if sino and not post and unit_word not in ("주일",) and not pre.startswith(("지난", "다음")):
            return None  # "이주", "사주", "오일" are words, not durations, without a cue
        if token in _KO_NATIVE and unit_word == "일":
            return None
    unit = _KO_UNITS[unit_word]
    cue = post.replace(" ", "")
    for hedge in ("정도", "가량", "쯤", "여", "내외"):
        if cue.startswith(hedge):
            cue = cue[len(hedge):]
            break
    if cue.startswith(("후", "뒤", "이후", "만에")):
        how = "after"
    elif cue.startswith(("전", "이전")):
        how = "ago"
    elif cue.startswith(("이내", "내", "안")):
        how = "within"
    elif pre.startswith("지난"):
        how = "last"
    elif pre.startswith(("다음", "향후", "앞으로")) and not cue:
        how = "next"
    else:
        how = "duration"
    return _duration_hit(ctx.today, n, unit, how, business, ctx.lang != "en")


# --- holidays ----------------------------------------------------------------

# (pattern, country, category, name in the holidays library, days added)
_HOLIDAYS: tuple[tuple[str, str, str, str, int], ...] = (
    (r"christmas\s+eve|x-?mas\s+eve|크리스마스\s*이브", "US", "unofficial", "Christmas Eve", 0),
    (r"christmas(?:\s+day)?|x-?mas|크리스마스|성탄절", "US", "public", "Christmas Day", 0),
    (r"new\s+years?'?s?\s+eve", "US", "unofficial", "New Year's Eve", 0),
    (r"new\s+years?'?s?(?:\s+day)?|신정", "US", "public", "New Year's Day", 0),
    (r"thanksgiving(?:\s+day)?|추수\s*감사절", "US", "public", "Thanksgiving Day", 0),
    (r"black\s+friday", "US", "public", "Thanksgiving Day", 1),
    (r"cyber\s+monday", "US", "public", "Thanksgiving Day", 4),
    (r"(?:mlk|martin\s+luther\s+king'?s?)(?:\s+jr\.?)?(?:'s)?\s+day|civil\s+rights\s+day", "US",
     "public", "Martin Luther King Jr. Day", 0),
    (r"president'?s'?\s+day|washington'?s\s+birthday", "US", "public", "Washington's Birthday", 0),
    (r"memorial\s+day", "US", "public", "Memorial Day", 0),
    (r"independence\s+day|(?:the\s+)?(?:4th|fourth)\s+of\s+july|july\s+4th", "US", "public",
     "Independence Day", 0),
    (r"labou?r\s+day", "US", "public", "Labor Day", 0),
    (r"columbus\s+day", "US", "public", "Columbus Day", 0),
    (r"veterans'?\s+day", "US", "public", "Veterans Day", 0),
    (r"valentine'?s?\s+day", "US", "unofficial", "Valentine's Day", 0),
    (r"hallowe'?en", "US", "unofficial", "Halloween", 0),
    (r"(?:st\.?|saint)\s+(?:patrick|paddy)'?s?\s+day", "US", "unofficial", "Saint Patrick's Day", 0),
    (r"mother'?s'?\s+day", "US", "unofficial", "Mother's Day", 0),
    (r"father'?s'?\s+day", "US", "unofficial", "Father's Day", 0),
    (r"groundhogs?'?\s+day", "US", "unofficial", "Groundhog Day", 0),
    (r"easter\s+mon(?:day)?", "US", "unofficial", "Easter Sunday", 1),
    (r"easter(?:\s+sunday)?", "US", "unofficial", "Easter Sunday", 0),
    (r"good\s+friday", "US", "unofficial", "Good Friday", 0),
    (r"설날|설\s*연휴|구정|(?:chinese|lunar)\s+new\s+years?'?s?(?:\s+day)?", "KR", "public",
     "Korean New Year", 0),
    (r"추석|한가위|chuseok", "KR", "public", "Chuseok", 0),
    (r"삼일절", "KR", "public", "Independence Movement Day", 0),
    (r"어린이날", "KR", "public", "Children's Day", 0),
    (r"현충일", "KR", "public", "Memorial Day", 0),
    (r"광복절", "KR", "public", "Liberation Day", 0),
    (r"개천절", "KR", "public", "National Foundation Day", 0),
    (r"한글날", "KR", "public", "Hangul Day", 0),
    (r"석가\s*탄신일|부처님\s*오신\s*날", "KR", "public", "Buddha's Birthday", 0),
)
_HOLIDAY_BY_INDEX = {f"h{i}": entry for i, entry in enumerate(_HOLIDAYS)}


def _holiday_date(entry: tuple[str, str, str, str, int], year: int) -> date | None:
    _, country, category, name, extra = entry
    day = _holiday_table(country, category, year).get(name)
    return day + timedelta(days=extra) if day else None


def _fixed_spans(entry: tuple[str, str, str, str, int], year: int) -> tuple[tuple[date, date], ...]:
    day = _holiday_date(entry, year)
    return ((day, day),) if day else ()


# 설날 and 추석 are days off in a row: "추석 전", "구정 이후" count from the whole 연휴.
_KR_LUNAR = frozenset(["Korean New Year", "Chuseok"])
_KO_BEFORE_AFTER = re.compile(r"\s?(?:이전|전|이후|직후|후)(?:에|까지|부터|로|인|(?![가-힣]))")
# "Happy new year", "Merry Christmas", "즐거운 추석 보내세요": a greeting, not a date.
_GREETING_BEFORE = re.compile(r"(?:\bhappy|\bmerry|메리|즐거운|행복한|풍성한)\s*$", re.IGNORECASE)


def _h_holiday(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """Christmas, Thanksgiving 2027, last Memorial Day, Christmas in 2 years, 추석, 내년 설날;
    설 연휴, 추석 연휴: the days off around it."""
    g = m.groupdict()
    if _GREETING_BEFORE.search(ctx.text, max(0, m.start() - 8), m.start()):
        return None
    entry = next(_HOLIDAY_BY_INDEX[k] for k, v in g.items() if k.startswith("h") and v)
    year = int(g["ky"]) if g["ky"] else ctx.today.year + _shift(_KO_YEAR_SHIFT, g["kyrel"]) if g["kyrel"] else None
    hit = _pick_occurrence(lambda y: _fixed_spans(entry, y), g, ctx.today, year)
    if hit is None:
        return None
    if g["brk"] or "연휴" in m.group(0) or entry[3] in _KR_LUNAR and _KO_BEFORE_AFTER.match(ctx.text, m.end()):
        return (*_days_off(hit[0]), "day")
    return _day(hit[0])


def _h_year_end_holidays(m: re.Match, ctx: _Ctx) -> _Hit | None:
    """the holidays, the Christmas break, year-end shutdown, 연말연시: 24 December to
    1 January, the coming (or current) one unless the last ended less than
    ``RECENT_PAST_DAYS`` ago."""
    year = ctx.today.year - (ctx.today <= date(ctx.today.year, 1, 1) + timedelta(days=RECENT_PAST_DAYS))
    return (date(year, 12, 24), date(year + 1, 1, 1), "day")


# --- holidays by name from the holidays library ------------------------------
#
# A holiday name is looked up, normalised, in these sources, the first that knows it
# wins:
#   1. the library's Islamic and Hebrew calendars (``_FaithCalendar``), so that Islamic
#      holidays always follow one calendar (the library's Umm al-Qura tables) and
#      Jewish ones begin on their eve, whichever country names them;
#   2. with a region hint, that country's calendar, then its subdivisions' (the date
#      most of them give: "Civic Holiday" in Canada, "Labour Day" in Australia);
#   3. the country calendars in ``_HOLIDAY_COUNTRIES`` order;
#   4. the library's other religious and lunar calendars (Christian, Hindu, Buddhist,
#      Chinese: "Palm Sunday", "Karwa Chauth", "Dragon Boat Festival").
# Every category a calendar supports is used (public, optional, unofficial, government,
# religious ...), so observances such as Mother's Day or Diwali are found too.

_HOLIDAY_COUNTRIES = ("US", "CA", "GB", "IE", "AU", "NZ", "IN", "ZA", "PH", "JM", "TT", "BZ", "IL", "SA", "KR")
# Calendars whose holidays begin at sundown the evening before (the Hebrew calendar).
_EVE_COUNTRIES = frozenset(["IL"])
_FAITH_GROUPS = (ChristianHolidays, IslamicHolidays, HebrewCalendarHolidays, HinduCalendarHolidays,
                 BuddhistCalendarHolidays, ChineseCalendarHolidays)
_FAITH_FIRST = (IslamicHolidays, HebrewCalendarHolidays)
# Group methods that are not a holiday of their own (helpers, second days of a feast).
_FAITH_SKIP = re.compile(r"calendar_holiday|_(?:two|three|four|five|multiday)$")
# Country and subdivision names are collected from these years' calendars (the dates
# always come from the year asked for).
_NAME_YEARS = (2020, 2026)
_HOLIDAY_DROP_WORDS = frozenset(["the", "day", "holiday", "national", "of"])
_HOLIDAY_DAY_WORDS = frozenset(["day", "holiday"])
# Names whose words differ from the library's ("Bakrid"; "Eid ul-Adha" and "Whit
# Monday" as other countries' calendars of the library write them; "Ramadan" for its
# first day; "Easter" for "Orthodox Easter"); both sides normalised.  The fixed table above already reads "xmas", "MLK" ...
_HOLIDAY_ALIASES = {
    "bakrid": "eid al adha", "eid ul adha": "eid al adha", "eid ul fitr": "eid al fitr",
    "ramadan": "ramadan beginning", "easter": "easter sunday", "whit monday": "pentecost monday",
}
# How much a name needs around it: "free" names are found alone ("Diwali"), "guard"
# names need the word day/holiday, a year or next/last ("Laylat al-Qadr 2026",
# "Corpus Christi Day"), "word" names need the day/holiday word the library writes
# ("Canada Day", "Civic Holiday": not "Canada", "Civic").
_NEEDS = ("free", "guard", "word")


def _stricter(a: str, b: str, loosest: bool = False) -> str:
    """The stricter of two needs (the looser with ``loosest``)."""
    return (min if loosest else max)(a, b, key=_NEEDS.index)


_Span = tuple  # (first day, last day) of one occurrence


def _holiday_word(word: str) -> str:
    """One word of a name, normalised: no apostrophes, -our as -or, no plural s,
    "jayanti" as "birthday" (the library writes both: "Guru Gobind Singh Jayanti",
    "Guru Gobind Singh's Birthday")."""
    if word == "jayanti":
        return "birthday"
    word = word.replace("’", "'")
    word = word[:-2] if word.endswith("'s") else word
    word = word.replace("'", "")
    if len(word) > 4 and word.endswith("our"):
        word = word[:-3] + "or"
    if word.endswith("oes"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


_NAME_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*['’]?")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# The one or two words right before a guard.
_WORDS_BEFORE_RE = re.compile(r"(?:([a-z]+)[ -])?([a-z]+(?:['’][a-z]+)*['’]?)[ -]$")


def _holiday_key(name: str) -> str:
    """A name normalised for lookup: lower case, no "(observed)", no day/the/of/national."""
    name = _QUALIFIER_RE.sub(" ", name.lower())
    words = (_holiday_word(w) for w in _NAME_TOKEN_RE.findall(name))
    return " ".join(w for w in words if w not in _HOLIDAY_DROP_WORDS)


# "(observed)", "(estimated)", "(in lieu)", "(from 2pm)", "(Day 2)": not part of a name.
_QUALIFIER_RE = re.compile(r"\([^)]*\b(?:observed|estimated|lieu|from|non-working|day \d)\b[^)]*\)"
                           r"|\b(?:observed|estimated)\b")
_BRACKETS_RE = re.compile(r"\(.*?\)")


def _name_parts(name: str) -> list[str]:
    """"A; B" (two holidays on one day), "A / B" and "A or B" (two names of one)."""
    return re.split(r"; | / | or ", name)


class _FaithCalendar(HolidayBase, *_FAITH_GROUPS):
    """One holiday of the library's religious and lunar calendars in one year: the
    group method ``method`` (``_add_eid_al_adha_day``), on the Julian calendar with
    ``julian`` (Orthodox Easter).  Islamic dates are the library's base (Umm
    al-Qura) tables, not one country's observed dates."""

    estimated_label = "%s (estimated)"

    def __init__(self, method: str, julian: bool, year: int):
        self._faith = (method, julian)
        for group in _FAITH_GROUPS:
            group.__init__(self)
        HolidayBase.__init__(self, years=year)

    def _populate_public_holidays(self) -> None:
        method, julian = self._faith
        add = getattr(self, method)
        if julian:
            add(method, JULIAN_CALENDAR)
        else:
            add(method)


class _Faith(NamedTuple):
    """A holiday method of the library's groups and how its name is read."""

    method: str    # "_add_palm_sunday"
    julian: bool   # "orthodox X": on the Julian calendar
    guarded: bool  # the method name ends in "day": "epiphany", "all saints" are ordinary words
    eve: bool      # Hebrew calendar: begins at sundown the evening before
    first: bool    # searched before the countries (see the source order above)


@lru_cache(maxsize=1)
def _faith_names() -> dict[str, _Faith]:
    """Normalised name -> its method, for every holiday method of the library's
    groups ("_add_palm_sunday" -> "palm sunday"); Christian holidays the library
    computes on either calendar are also "orthodox X".  The Islamic and Hebrew
    groups come first so that their dates never depend on which country knows the
    name; the others (Hindu, Chinese ...) hold several regional variants of a
    holiday, a country's own calendar knows which one it keeps."""
    names: dict[str, _Faith] = {}
    for group in _FAITH_GROUPS:
        for attr, function in vars(group).items():
            if not attr.startswith("_add_") or _FAITH_SKIP.search(attr):
                continue
            params = list(inspect.signature(function).parameters.values())
            if [p.name for p in params[:2]] != ["self", "name"] or any(p.default is p.empty for p in params[2:]):
                continue
            words = attr[5:].split("_")
            key, guarded, eve = _holiday_key(" ".join(words)), words[-1] == "day", group is HebrewCalendarHolidays
            first = group in _FAITH_FIRST
            names.setdefault(key, _Faith(attr, False, guarded, eve, first))
            if "calendar" in (p.name for p in params):
                names.setdefault(f"orthodox {key}", _Faith(attr, True, guarded, False, first))
    return names


@lru_cache(maxsize=1024)
def _faith_days(method: str, julian: bool, year: int) -> tuple[date, ...]:
    with warnings.catch_warnings():  # some lunar tables cover fewer years
        warnings.simplefilter("ignore")
        return tuple(sorted(_FaithCalendar(method, julian, year)))


@lru_cache(maxsize=512)
def _calendar_table(country: str, subdiv: str | None, year: int) -> dict[date, str]:
    """One country's (or subdivision's) holidays in ``year``, every category, in
    English when the calendar has it."""
    if country not in _supported_countries():
        return {}
    base = holidays.country_holidays(country)
    language = "en_US" if "en_US" in base.supported_languages else None
    with warnings.catch_warnings():  # "available only from 2001 to 2035" for some calendars
        warnings.simplefilter("ignore")
        return dict(holidays.country_holidays(country, subdiv=subdiv, years=year,
                                              categories=base.supported_categories, language=language))


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@lru_cache(maxsize=512)
def _calendar_names(country: str, subdiv: str | None, year: int) -> dict[str, tuple[date, ...]]:
    """Normalised name -> the first day of each run of days it names in ``year``.  A
    name's own words in brackets count ("Dussehra (Saptami)"), and the name without
    them is a fallback ("Surya Shashthi (Chhath Puja)" for "Surya Shashthi")."""
    table = sorted(_calendar_table(country, subdiv, year).items())
    full = _first_days((day, _holiday_key(part)) for day, name in table for part in _name_parts(name))
    bare = _first_days((day, _holiday_key(_BRACKETS_RE.sub(" ", part)))
                       for day, name in table for part in _name_parts(name))
    return bare | full


def _first_days(named_days: Iterable[tuple[date, str]]) -> dict[str, tuple[date, ...]]:
    firsts: dict[str, list[date]] = {}
    seen: dict[str, date] = {}
    for day, key in named_days:
        if key and seen.get(key) != day - timedelta(days=1):
            firsts.setdefault(key, []).append(day)
        seen[key] = day
    return {key: tuple(days) for key, days in firsts.items()}


@lru_cache(maxsize=256)
def _sample_names(country: str, subdiv: str | None) -> dict[str, str]:
    """The names a calendar uses in ``_NAME_YEARS`` -> their need ("word" when the
    library writes "Day"/"Holiday")."""
    names: dict[str, str] = {}
    for year in _NAME_YEARS:
        for name in _calendar_table(country, subdiv, year).values():
            for part in _name_parts(name):
                need = "word" if re.search(r"\b(?:day|holiday)\b", _QUALIFIER_RE.sub("", part), re.I) else "free"
                for key in (_holiday_key(part), _holiday_key(_BRACKETS_RE.sub(" ", part))):
                    names[key] = _stricter(need, names.get(key, need), loosest=True)
    return names


@lru_cache(maxsize=16)
def _name_subdivisions(country: str) -> dict[str, tuple[str, ...]]:
    """Name -> the subdivisions of ``country`` whose calendars use it."""
    where: dict[str, list[str]] = {}
    if country in _supported_countries():
        for subdiv in holidays.country_holidays(country).subdivisions:
            for key in _sample_names(country, subdiv):
                where.setdefault(key, []).append(subdiv)
    return {key: tuple(subdivs) for key, subdivs in where.items()}


def _subdivision_days(country: str, key: str, year: int) -> tuple[date, ...] | None:
    """The days most of the subdivisions that know a name give it (ties: the first's)."""
    votes = Counter(days for subdiv in _name_subdivisions(country).get(key, ())
                    if (days := _calendar_names(country, subdiv, year).get(key)))
    return votes.most_common(1)[0][0] if votes else None


def _holiday_spans(key: str, region: str | None, year: int) -> tuple[_Span, ...]:
    """Every occurrence of a holiday in ``year`` from the first source that knows it;
    a holiday that begins at sundown runs from its eve.  Only the calendars that use
    the name (in ``_NAME_YEARS``) are built, so a far year stays cheap."""
    key = _HOLIDAY_ALIASES.get(key, key)
    faith = _faith_names().get(key)
    if faith and faith.first:
        return _faith_spans(faith, year)
    sources = ((region, False), (region, True)) if region else ()
    for country, subdivisions in sources + tuple((c, False) for c in _HOLIDAY_COUNTRIES if c != region):
        if subdivisions:
            days = _subdivision_days(country, key, year)
        else:
            days = _calendar_names(country, None, year).get(key) if key in _sample_names(country, None) else None
        if days:
            eve = country in _EVE_COUNTRIES
            return tuple((d - timedelta(days=1), d) if eve else (d, d) for d in days)
    return _faith_spans(faith, year) if faith else ()


def _faith_spans(faith: _Faith, year: int) -> tuple[_Span, ...]:
    days = _faith_days(faith.method, faith.julian, year)
    return tuple((d - timedelta(days=1), d) if faith.eve else (d, d) for d in days)


_UNIT_WORDS = r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?)"
# After a holiday name: a year ("Diwali 2027", "of last year") or a shift of the day it
# is counted from ("Thanksgiving in 3 years", "Tax Day two years ago").
_HOLIDAY_TAIL = (rf"(?:,?\s*(?:of\s+|in\s+)?(?:(?P<y>{_YEAR4})(?!\d)|(?P<yrel>this|next|last)\s+year\b)"
                 rf"|\s+in\s+(?P<in_n>{_EN_NUM})\s+(?P<in_u>{_UNIT_WORDS})\b"
                 rf"|\s+(?P<ago_n>{_EN_NUM})\s+(?P<ago_u>{_UNIT_WORDS})\s+"
                 r"(?P<dir>ago|back|hence|from\s+now|later)\b)?")
_HOLIDAY_TAIL_RE = re.compile(_HOLIDAY_TAIL)
_HOLIDAY_REL_RE = re.compile(r"(?<![a-z])(?P<rel>next|last|this|previous|upcoming|coming)\s+$")


def _holiday_pivot(g: dict, today: date) -> date:
    """The day a holiday's next (or last) occurrence is counted from: today, or today
    moved by "in N years" / "N months ago"."""
    if g.get("in_n"):
        return _span(today, _number(g["in_n"]) or 0, _EN_UNITS[g["in_u"][0].lower()], False, False)
    if g.get("ago_n"):
        sign = -1 if g["dir"].lower() in ("ago", "back") else 1
        return _span(today, sign * (_number(g["ago_n"]) or 0), _EN_UNITS[g["ago_u"][0].lower()], False, False)
    return today


def _pick_occurrence(spans_in: Callable[[int], Iterable[_Span]], g: dict, today: date,
                     year: int | None = None) -> _Span | None:
    """The occurrence a holiday mention means: the first in ``year`` or in the year of
    the tail ("X 2027", "X next year"); "last X" the latest before the pivot; else
    the first on or after it (see ``_holiday_pivot``)."""
    if year is None and g.get("y"):
        year = int(g["y"])
    elif year is None and g.get("yrel"):
        year = today.year + _shift(_EN_SHIFT, g["yrel"])
    if year is not None:
        return next(iter(spans_in(year)), None)
    pivot = _holiday_pivot(g, today)
    if (g.get("rel") or "").lower() in ("last", "previous"):
        return max((s for y in (pivot.year - 1, pivot.year) for s in spans_in(y) if s[0] < pivot), default=None)
    return min((s for y in (pivot.year, pivot.year + 1) for s in spans_in(y) if s[1] >= pivot), default=None)


def _skeleton(key: str) -> str:
    """A spelling skeleton of a normalised name: no spaces or h, c/q as k, w as v, no
    doubled letters ("chanukah", "hannukkah" -> "kanuka", "anuka")."""
    letters = key.replace(" ", "").replace("ph", "f").replace("h", "").translate(_SKELETON_MAP)
    return re.sub(r"(.)\1+", r"\1", letters)


_SKELETON_MAP = str.maketrans("cqw", "kkv")
# Spelling variants are read only at this length (one letter off from 6 letters on).
_SKELETON_MIN, _SKELETON_FUZZY_MIN = 5, 6


def _deletions(skeleton: str) -> set[str]:
    return {skeleton[:i] + skeleton[i + 1:] for i in range(len(skeleton))}


@dataclass(frozen=True)
class _HolidayIndex:
    needs: dict[str, str]      # normalised name -> "free" | "guard" | "word"
    anchor: re.Pattern         # the word forms of each name's most distinctive word
    skeletons: dict[str, str]  # skeleton (or one with a letter dropped) -> name
    word_skeletons: frozenset[str]  # the same for each word of a name: a cheap first test


_COMMON_NAME_WORDS = ("january february march april june july august september october november december "
                      "new orthodox birthday")


@lru_cache(maxsize=16)
def _holiday_index(region: str | None) -> _HolidayIndex:
    """Every name the sources use (with a region, its subdivisions' names too)."""
    needs: dict[str, str] = {}

    def note(key: str, need: str) -> None:
        if len(key) >= 4 and not key.isdigit():
            needs[key] = need if key not in needs else _stricter(need, needs[key], loosest=True)

    for key, faith in _faith_names().items():
        note(key, "guard" if faith.guarded else "free")
    for country in dict.fromkeys(_HOLIDAY_COUNTRIES + ((region,) if region else ())):
        for key, need in _sample_names(country, None).items():
            note(key, need)
    if region:
        for key, subdivs in _name_subdivisions(region).items():
            note(key, min((_sample_names(region, s)[key] for s in subdivs), key=_NEEDS.index))
    for alias in _HOLIDAY_ALIASES:
        note(alias, "free")
    for key, need in needs.items():  # ... unless the fixed table knows the name alone ("Thanksgiving")
        if need == "word" and any(re.fullmatch(entry[0], key) for entry in _HOLIDAYS):
            needs[key] = "free"
    words = {_skeleton(word) for key in needs for word in key.split()}
    variants = {v for sk in words if len(sk) >= _SKELETON_FUZZY_MIN for v in _deletions(sk)}
    return _HolidayIndex(needs, _anchor_regex(needs), _skeleton_index(needs), frozenset(words | variants))


@lru_cache(maxsize=1)
def _common_name_words() -> frozenset[str]:
    return frozenset(_COMMON_NAME_WORDS.split() + _WEEKDAY_WORDS.split())


def _anchor_regex(needs: dict[str, str]) -> re.Pattern:
    """Each name's longest word outside weekdays/months (most names share "new",
    "saint" ...), with its plural and -our spellings."""
    common = _common_name_words()
    forms: set[str] = set()
    for key in needs:
        words = key.split()
        word = max((w for w in words if w not in common), key=len, default=max(words, key=len))
        stems = {word, word[:-2] + "our"} if word.endswith("or") and len(word) > 4 else {word}
        forms |= {form for stem in stems for form in (stem, stem + "s", stem + "es")}
    # no look-behind in front (it would be tried at every position): see _calendar_holidays
    return re.compile(r"(?:" + _trie(sorted(forms)) + r")(?![a-z0-9])")


def _skeleton_index(keys: Iterable[str]) -> dict[str, str]:
    exact = {_skeleton(key): key for key in sorted(keys, key=len, reverse=True)}
    index = {sk: key for sk, key in exact.items() if len(sk) >= _SKELETON_MIN}
    for sk, key in exact.items():
        if len(sk) >= _SKELETON_FUZZY_MIN:
            for variant in _deletions(sk):
                index.setdefault(variant, key)
    return index


# Names do not run across these.
_NAME_STOP_RE = re.compile(r"[,;:!?()\[\]\n]|\.(?:\s|$)")
_NAME_WINDOW = 64
_NAME_MAX_WORDS = 6


def _name_words(low: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, normalised word) of the words in low[start:end]."""
    return [(m.start(), m.end(), _holiday_word(m.group())) for m in _NAME_TOKEN_RE.finditer(low, start, end)]


def _window(low: str, at: int, end: int) -> tuple[int, int]:
    """The stretch around low[at:end] that a name holding it can cover."""
    lo, hi = max(0, at - _NAME_WINDOW), min(len(low), end + _NAME_WINDOW)
    stops = [m.end() for m in _NAME_STOP_RE.finditer(low, lo, at)]
    after = _NAME_STOP_RE.search(low, end, hi)
    return (stops[-1] if stops else lo), (after.start() if after else hi)


def _span_key(words: list[tuple[int, int, str]]) -> str:
    """The lookup key of consecutive words ("orthodox X" keeps X's library form)."""
    kept = [w for _s, _e, w in words if w not in _HOLIDAY_DROP_WORDS]
    if kept[:1] == ["orthodox"] and len(kept) > 1:
        rest = " ".join(kept[1:])
        return f"orthodox {_HOLIDAY_ALIASES.get(rest, rest)}"
    return " ".join(kept)


def _exact_name(words: list[tuple[int, int, str]], a: int, needs: dict[str, str]) -> tuple[int, int, str] | None:
    """The longest run of words around word ``a`` that is a known name (its edge words
    not dropped words): (first word, end word, key)."""
    best = None
    for i in range(a, max(-1, a - _NAME_MAX_WORDS), -1):
        if words[i][2] in _HOLIDAY_DROP_WORDS:
            continue
        for j in range(a + 1, min(len(words), i + _NAME_MAX_WORDS) + 1):
            if words[j - 1][2] in _HOLIDAY_DROP_WORDS:
                continue
            key = _span_key(words[i:j])
            if key in needs and (best is None or j - i > best[1] - best[0]):
                best = (i, j, key)
    return best


def _fuzzy_name(words: list[tuple[int, int, str]], index: _HolidayIndex) -> str | None:
    """The name these words spell with a letter added, dropped or changed."""
    if any(w.isdigit() for _s, _e, w in words) or words[0][2] in _HOLIDAY_DROP_WORDS:
        return None
    sk = _skeleton(_span_key(words))
    if len(sk) < _SKELETON_MIN:
        return None
    if sk in index.skeletons:
        return index.skeletons[sk]
    variants = sorted(_deletions(sk)) if len(sk) >= _SKELETON_FUZZY_MIN else ()
    return next((index.skeletons[v] for v in variants if v in index.skeletons), None)


def _may_be_name_word(word: str, index: _HolidayIndex) -> bool:
    """A cheap first test: ``word`` is (nearly) a word of some name."""
    sk = _skeleton(_holiday_word(word))
    return sk in index.word_skeletons or len(sk) >= _SKELETON_FUZZY_MIN and any(
        v in index.word_skeletons for v in _deletions(sk))


def _name_prefix(words: list[tuple[int, int, str]], k: int) -> bool:
    """words[k] belongs to the name that follows: "the", "national", "day of"."""
    word = words[k][2]
    if word == "of":
        return k > 0 and words[k - 1][2] in _HOLIDAY_DAY_WORDS
    return word in ("the", "national") or word in _HOLIDAY_DAY_WORDS and words[k + 1][2] == "of"


def _name_mention(low: str, words: list[tuple[int, int, str]], i: int, j: int, key: str, need: str,
                  ctx: _Ctx) -> _Cand | None:
    """Resolve words[i:j] naming ``key``: widen over "the", "national", "day of"
    before it and "day"/"holiday" after it, read next/last and the tail, check the name's need."""
    while i > 0 and words[i][0] - words[i - 1][1] <= 3 and _name_prefix(words, i - 1):
        i -= 1
    while j < len(words) and words[j][2] in _HOLIDAY_DAY_WORDS and words[j][0] - words[j - 1][1] <= 3:
        j += 1
    start, end = words[i][0], words[j - 1][1]
    if _GREETING_BEFORE.search(low, max(0, start - 8), start):
        return None
    rel = _HOLIDAY_REL_RE.search(low, max(0, start - 12), start)
    tail = _HOLIDAY_TAIL_RE.match(low, end)
    has_day = any(w in _HOLIDAY_DAY_WORDS for _s, _e, w in words[i:j])
    if need == "word" and not has_day or need == "guard" and not (has_day or rel or tail.group()):
        return None
    g = dict(tail.groupdict(), rel=rel.group("rel") if rel else None)
    hit = _pick_occurrence(lambda year: _holiday_spans(key, ctx.region, year), g, ctx.today)
    if hit is None:
        return None
    return _Cand(rel.start() if rel else start, tail.end(), hit[0], hit[1], "day", "point", None,
                 "calendar_holiday")


# Where a misspelt name may stand: a word right before "day", "holiday" or a year
# ("in 2027").
# (The space first: a pattern that starts with a look-behind is tried at every position.)
_HOLIDAY_GUARD_RE = re.compile(r"[ -](?<=[a-z'’][ -])(?P<guard>day|holiday|(?:(?:in|of) )?(?:19|20)\d\d)"
                               r"(?![a-z0-9/-])")


def _calendar_holidays(low: str, ctx: _Ctx) -> list[_Cand]:
    """Holiday names from the library's calendars ("Diwali", "Victoria Day", "Eid
    al-Adha 2027", "rosh hashana 2027"): the next occurrence on or after today, "last
    X" the previous one, "X 2027" / "X next year" that year, "X in 3 years" counted
    from that day."""
    index = _holiday_index(ctx.region)
    out: list[_Cand] = []
    for hit in index.anchor.finditer(low):
        if out and hit.start() < out[-1].end or hit.start() and low[hit.start() - 1] in _WORD_CHARS:
            continue
        lo, hi = _window(low, hit.start(), hit.end())
        words = _name_words(low, lo, hi)
        a = next((k for k, w in enumerate(words) if w[0] == hit.start()), None)
        found = _exact_name(words, a, index.needs) if a is not None else None
        if found and (cand := _name_mention(low, words, *found, index.needs[found[2]], ctx)):
            out.append(cand)
    return out + _misspelt_holidays(low, ctx, index, out)


def _misspelt_holidays(low: str, ctx: _Ctx, index: _HolidayIndex, taken: list[_Cand]) -> list[_Cand]:
    """Names written with another spelling ("hanukah 2027", "rosh hashana 2027"),
    read only right before a guard (see ``_HOLIDAY_GUARD_RE``)."""
    out: list[_Cand] = []
    for guard in _HOLIDAY_GUARD_RE.finditer(low):
        at = guard.start("guard")
        near = _WORDS_BEFORE_RE.search(low, max(0, at - 32), at)
        if near is None or not (_may_be_name_word(near.group(2), index)
                                or near.group(1) and _may_be_name_word(near.group(1) + near.group(2), index)):
            continue
        if any(c.start <= at < c.end for c in taken + out):
            continue
        lo, hi = _window(low, at, guard.end())
        words = _name_words(low, lo, hi)
        g = next((k for k, w in enumerate(words) if w[0] == at), 0)
        for n in range(min(4, g), 0, -1):
            key = _fuzzy_name(words[g - n:g], index)
            if key and (cand := _name_mention(low, words, g - n, g, key, _stricter(index.needs[key], "guard"), ctx)):
                out.append(cand)
                break
    return out


# ---------------------------------------------------------------------------
# The rule table
# ---------------------------------------------------------------------------

_NOT_NUM_BEFORE = r"(?<![0-9A-Za-z_.\-/:,#])"
_NOT_NUM_AFTER = r"(?![0-9A-Za-z_\-/]|[.:,]\d)"
_KO_PAREN_WD = r"(?:\s*\(\s*(?P<pwd>[월화수목금토일])(?:요일)?\s*\))"

_RULES_SPEC: tuple[tuple[str, str, Callable[[re.Match, _Ctx], _Hit | None]], ...] = (
    ("numeric", _NOT_NUM_BEFORE + r"(?:"
     r"(?P<y>(?:19|20)\d{2})(?P<s1>[-./])\s?(?P<m>\d{1,2})(?P=s1)\s?(?P<d>\d{1,2})\.?"
     r"|(?P<a>\d{1,2})(?P<s2>[-./])(?P<b>\d{1,2})(?P=s2)(?P<c>\d{4}|\d{2})"
     rf"|(?P<ym_y>{_YEAR4})[-/.](?P<ym_m>\d{{1,2}})"
     rf"|(?P<my_m>\d{{1,2}})/(?P<my_y>{_YEAR4})"
     r"|(?!24/7(?!\d))(?P<p>\d{1,2})\s?/\s?(?P<q>\d{1,2})(?!\s*(?:inch|in\b|\"|인치|mm|cm))"
     r"|(?P<r>\d{1,2})-(?P<t>\d{1,2})(?!\s*(?:days?|weeks?|wks?|months?|years?|business|working"
     r"|pcs|units?|ea|%|일|주|개|대|영업일|시|명|건|박|달|년))"
     r"|(?P<u>\d{1,2})\.(?P<v>\d{1,2})(?=\s*\(\s*[월화수목금토일]|\s*(?:까지|부터|~)))"
     + _NOT_NUM_AFTER + r"(?:\s*\(\s*[월화수목금토일A-Za-z]{1,3}\.?\s*\))?", _h_numeric),
    ("en_month_day", rf"\b(?:(?P<wd1>{_WD})\.?,?\s+(?:the\s+)?)?(?P<mon>{_MON})\.?[\s-]*(?:the\s+)?"
     rf"(?P<d>{_DAYNUM})(?![\d:])\b(?:\s*(?:-|–|~|to|thru|through|until|till)\s*"
     rf"(?:(?P<mon2>{_MON})\.?\s*)?(?P<d2>{_DAYNUM})\b)?(?:,?\s*(?P<y>{_YEAR4}|'\d{{2}})(?!\d))?"
     rf"(?:,?\s*(?P<wd2>{_WD})\b\.?)?", _h_en_month_day),
    ("en_day_month", rf"(?<![\d.,/-])\b(?:(?P<wd1>{_WD})\.?,?\s+)?(?:(?:from\s+)?the\s+)?(?P<d>{_DAYNUM})"
     rf"(?:\s*(?:-|–|~|to|thru|through|until|till)\s*(?:the\s+)?(?P<d2>{_DAYNUM}))?"
     rf"(?:\s+day)?[\s/-]*(?:of\s+)?(?P<mon>{_MON})\b\.?(?:[\s,/-]*(?P<y>{_YEAR4}|'?\d{{2}})(?![\d:]))?",
     _h_en_month_day),
    ("en_nth_weekday", rf"\b(?:the\s+)?(?P<ord>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)"
     rf"\s+(?P<ewd>{_WD})\s+(?:of|in)\s+(?:(?P<mon>{_MON})(?:\s+(?P<y>{_YEAR4}))?"
     r"|(?P<erel>the|this|next|last|the\s+next|the\s+current|the\s+following|the\s+previous)\s+month)\b",
     _h_nth_weekday),
    ("en_month_week", r"\b(?:the\s+)?(?:(?P<nlast>second|third|fourth|fifth|2nd|3rd|4th|5th)[\s-]+(?:to[\s-]+)?(?=last))?"
     r"(?P<ord>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+(?P<unit>week|day)\s+(?:of|in)\s+"
     rf"(?:(?P<mon>{_MON})\b\.?(?:,?\s+(?P<y>{_YEAR4})\b)?|(?P<yo>{_YEAR4})\b)", _h_en_month_week),
    ("en_weekday_day", rf"\b(?P<wd>{_WD})\.?,?\s+(?:the\s+)?(?P<d>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\b",
     _h_en_weekday_day),
    ("en_bare_day", r"\b(?:on\s+(?:the\s+)?|(?:by\s+)?the\s+)(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
     r"(?!\s*(?:of\b|day|week|month|year|[a-z]))(?!\s?[-./]\s?\d)", _h_en_bare_day),
    ("en_month", r"\b(?:(?P<mod>early|mid|middle\s+of|late|(?:at\s+)?(?:the\s+)?(?:end|beginning|start|middle)"
     r"\s+of)[\s-]+)?(?:(?P<rel>this|next|last|coming)\s+)?"
     rf"(?P<mon>{_MON})\b(?:(?<![a-z]{{5}})\.)?(?:,?\s+(?:of\s+)?(?P<y>{_YEAR4})\b)?", _h_en_month),
    ("en_relative_day", r"\b(?:(?:the\s+)?day\s+(?:after\s+tomorrow|before\s+yesterday)|today|tonight"
     r"|this\s+(?:morning|afternoon|evening)"
     r"|tomorrows?|tmrw?|yesterday|eod|cob|eob|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+)?day"
     r"|(?:the\s+)?(?:end|close)\s+of\s+business)\b", _h_en_relative_day),
    ("en_weekday", r"\b(?:(?P<rel>this\s+coming|this|next|last|coming|upcoming|past|previous|following)\s+)?"
     rf"(?P<wd>{_WD})(?:'s)?\b(?:(?<!day)\.)?(?:\s+(?P<post>after\s+next|next\s+week|this\s+week|last\s+week"
     r"|(?:of|from)\s+(?:this|next|last|the\s+following|the\s+next|the\s+coming)\s+week)\b)?", _h_en_weekday),
    ("en_weekday_count", r"\b(?P<n>\d{1,2}|a\s+couple\s+of|couple\s+of|a\s+few|two|three|four|five|six|seven|eight"
     r"|nine|ten)\s+(?P<wd>(?:mon|tues|wednes|thurs|fri|satur|sun)day)s\s+"
     r"(?P<dir>from\s+now|from\s+today|hence|later|ago|back)\b", _h_en_weekday_count),
    ("en_season", r"\b(?:(?P<rel>this|next|last|current|coming|upcoming|past|previous|the\s+coming|the\s+next"
     r"|the\s+last|the\s+past|the\s+current)\s+(?P<s>spring|summer|fall|autumn|winter|seasons?)"
     rf"|(?P<s2>spring|summer|fall|autumn|winter)\s+(?:of\s+)?(?P<y>{_YEAR4}))\b", _h_en_season),
    ("en_week", r"\b(?:(?P<mod>early|mid|late|(?:at\s+)?(?:the\s+)?(?:beginning|start|end|middle)\s+of)"
     r"[\s-]+)?(?:(?P<rel>this|next|last|coming|upcoming|current|past|previous|following|the\s+following"
     r"|the\s+coming|the\s+next|the\s+current|the\s+previous|the\s+past)\s+week|the\s+week\s+after\s+next"
     r"|(?P<eow>eow|(?:the\s+)?end\s+of\s+(?:the\s+)?week)"
     r"|(?P<rest>(?:the\s+)?rest\s+of\s+(?:the|this)\s+week|all\s+week))\b", _h_en_week),
    ("en_month_rel", r"\b(?:(?:the\s+)?(?P<d>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?)\s+(?:day\s+)?of\s+(?:the\s+)?"
     r"(?P<drel>this|next|last|current|previous|following|coming)\s+month"
     r"|(?:(?P<mod>early|mid|late|(?:at\s+)?(?:the\s+)?(?:beginning|start|end|middle)\s+of)[\s-]+)?"
     r"(?:(?P<rel>this|next|last|coming|current|past|previous|following|the\s+following|the\s+next"
     r"|the\s+previous)\s+month|the\s+month\s+after\s+next)"
     r"|(?:at\s+)?(?:the\s+)?(?P<eom>eom|bom|month[\s-]end|end\s+of\s+(?:the\s+)?month"
     r"|(?:beginning|start)\s+of\s+(?:the\s+)?month))\b", _h_en_month_rel),
    ("en_year", r"\b(?:(?:the\s+)?(?P<q>[1-4]|first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
     rf"(?:\s+(?:of\s+)?(?P<y>{_YEAR4}))?"
     rf"|q(?P<qq>[1-4])(?:\s*(?:'|fy)?\s*(?P<yy>{_YEAR4}|\d{{2}}))?"
     r"|h(?P<h>[12])"
     rf"|(?:in|during|by|until|through|for)\s+(?P<yin>{_YEAR4})"
     r"|(?P<eoy>eoy|year[\s-]end|(?:(?:the|this)\s+)?end\s+of\s+(?:the\s+|this\s+)?year)"
     r"|(?P<boy>boy|(?:(?:the|this)\s+)?(?:beginning|start)\s+of\s+(?:the\s+|this\s+)?year)"
     r"|(?:(?P<mod>early|mid|late|(?:the\s+)?(?:beginning|start|end|middle)\s+of)[\s-]+)"
     rf"(?:(?P<rel>this|next|last|the\s+following|the\s+next|current)\s+year|(?P<ym>{_YEAR4})(?![\w/-]|[.,]\d))"
     r"|(?P<rel2>this|next|last|the\s+following|the\s+next|current)\s+year"
     r")\b", _h_en_year),
    ("week_number", rf"(?<![\w-])(?:(?P<y>{_YEAR4})\s*[-년]?\s*)?(?:(?:cw|ww|kw|wk|w)\s?|week\s*#?\s*|제\s*)"
     r"(?P<w>\d{1,2})(?:\s*주차)?(?![\w-])|(?<![\d])(?P<kw>\d{1,2})\s*주차", _h_week_number),
    ("ko_date", r"(?<![\d가-힣])(?:(?P<y>\d{4}|\d{2}|[일이삼사오육칠팔구십백천]{2,6})\s*년\s*,?\s*"
     rf"|(?P<yrel>{_KO_YEAR_REL})\s*)?"
     r"(?P<m>1[0-2]|0?[1-9]|[일이삼사오육칠팔구십]{1,3})\s*월\s*-?\s*(?P<d>[12]\d|3[01]|0?[1-9]|[일이삼사오육칠팔구십]{1,4})\s*일"
     r"(?:\s*\(\s*[월화수목금토일](?:요일)?\s*\)|,?\s*[월화수목금토일]요일)?(?:,?\s*(?P<y2>(?:19|20)\d{2})(?:년)?)?"
     r"(?:\s*(?:~|-|–|부터|에서)\s*(?:(?P<m2>1[0-2]|0?[1-9])\s*월\s*)?(?P<d2>[12]\d|3[01]|0?[1-9])\s*일"
     r"(?:\s*\(\s*[월화수목금토일]\s*\)|\s*[월화수목금토일]요일)?(?:\s*(?:까지|사이))?)?", _h_ko_date),
    ("ko_nth_weekday", rf"(?:(?:(?P<y>\d{{4}})\s*년\s*)?(?P<km>1[0-2]|0?[1-9])\s*월|(?P<mrel>{_KO_MONTH_REL}))"
     rf"\s*(?:의\s*)?(?P<ord>{_KO_ORD})\s*(?P<wk>주\s*)?(?P<wd>[월화수목금토일])(?:요일|욜)", _h_nth_weekday),
    ("ko_month_week", rf"(?:(?:(?P<y>\d{{4}})\s*년\s*)?(?P<km>1[0-2]|0?[1-9])\s*월|(?P<mrel>{_KO_MONTH_REL}))"
     rf"\s*(?:의\s*)?(?:(?P<ord>{_KO_ORD})\s*주|(?P<n>[1-5])\s*주차)", _h_ko_month_week),
    ("ko_bare_day", r"(?<![\d가-힣.,\-/])(?P<d>[12]\d|3[01]|0?[1-9])\s*일(?!\s*(?:간|동안|정도|가량|쯤|내외|이내|내에|내로"
     r"|안에|안으로|후|뒤|만에|소요|걸|지연|연기|늦|밀|씩|분|이상|전(?!까지)|영업|차|자로|자\b|치))"
     rf"(?:{_KO_PAREN_WD}|,?\s*(?P<wd>[월화수목금토일])요일)?", _h_ko_bare_day),
    ("ko_month", rf"(?<![\d가-힣.,])(?:(?P<y>\d{{4}}|\d{{2}})\s*년\s*|(?P<yrel>{_KO_YEAR_REL})\s*)?"
     r"(?:(?P<rel>다음|이번|오는|돌아오는)\s*)?(?P<m>1[0-2]|0?[1-9])\s*월(?!\s*\d)"
     r"(?:\s*(?P<mod>초순|초|상순|중순|중|하순|말경|말일|마지막\s*날|말|경|내|안))?" + _KO_AFTER, _h_ko_month),
    ("ko_relative_day", r"(?<![가-힣])(?P<w>내일모레|낼모레|오늘|금일|내일|명일|모레|글피|어제|작일|어저께|엊그제"
     r"|그저께|그제|낼(?=$|[^가-힣]|까지|은|도|중|이나|쯤|오전|오후))" + _KO_AFTER, _h_ko_relative_day),
    ("anaphor", r"(?<![가-힣])(?:당일|익일\s*영업일|익\s*영업일|익일|전일|전\s*영업일|다음\s*영업일|(?:그\s*)?다음\s*날"
     r"|이튿날|(?:그\s*)?전날|그\s*날(?:까지)?|그\s*때까지|그\s*전(?:에|까지)|그\s*이후|그\s*후|그\s*뒤|연휴)"
     r"(?=$|[^가-힣]|[에은는도의로와과엔쯤경께중내안까이입전후오가를을부])"
     r"|\b(?:the\s+)?(?:next|following)\s+(?:business\s+|working\s+)?day\b|\bthe\s+same\s+(?:day|morning|afternoon|evening)\b",
     _h_anaphor),
    ("year_end_holidays", r"\bthe\s+(?:christmas\s+|xmas\s+|year[\s-]end\s+|festive\s+)?holidays\b"
     r"|\b(?:the\s+)?(?:holiday|festive|christmas|xmas|year[\s-]end|winter)\s+(?:break|shutdown|closure|holidays)\b"
     r"|연말\s*연시(?:\s*(?:연휴|휴무|휴가))?", _h_year_end_holidays),
    ("ko_weekday", rf"(?:(?P<rel>{_KO_WEEK_REL}|이번|다음|지난|저번|오는|다가오는|돌아오는)\s*)?{_KO_WD}",
     _h_ko_weekday),
    ("ko_weekend", r"(?:(?P<rel>이번|다음|담|지난|저번|다다음|오는)\s*)?주말(?!\s*까지)?", _h_ko_weekend),
    ("ko_week", rf"(?<![가-힣])(?P<rel>{_KO_WEEK_REL})(?:\s*(?P<mod>초반|초|중반|중으로|중에|중|후반|말|내로|내|안))?"
     + _KO_AFTER, _h_ko_week),
    ("ko_month_rel", rf"(?<![가-힣])(?:(?P<rel>{_KO_MONTH_REL})(?:\s*(?P<d>[12]\d|3[01]|0?[1-9])\s*일"
     r"|\s*(?P<mod>초순|초|상순|중순|하순|말경|말일|말))?|월(?P<mod2>말|초|중순))" + _KO_AFTER, _h_ko_month_rel),
    ("ko_year", rf"(?<![\d가-힣])(?:(?:(?P<y>(?:19|20)\d{{2}}|\d{{2}})\s*년(?:도)?|(?P<yrel>{_KO_YEAR_REL}))"
     r"(?:\s*(?:(?P<q>[1-4]|일|이|삼|사)\s*(?:사)?분기|(?P<mod>상반기|하반기|안에|안으로|안|내로|내|중으로|중에|중"
     r"|말경|말|초순|초)))?(?!\s*\d{1,2}\s*월)"
     r"|(?P<within>연내|년내)|(?P<eoy>연말|년말)|(?P<boy>연초|년초)"
     r"|(?P<q2>[1-4]|일|이|삼|사)\s*(?:사)?분기)" + _KO_AFTER, _h_ko_year),
    ("en_duration", r"\b(?P<pre>(?:(?:in|within|inside(?:\s+of)?|after|for|by|about|around|approximately"
     r"|approx\.?|roughly|up\s+to|at\s+least|another|additional|an\s+additional|extra|the\s+next|next"
     r"|the\s+last|last|the\s+past|past|over|of)\s+){0,3})"
     rf"(?P<n>{_EN_NUM})(?:\s*(?:-|–|~|to|or)\s*(?P<n2>\d{{1,3}}|two|three|four|five|six|eight|ten|twelve))?"
     r"[\s-]*(?P<biz>business|working|work|calendar)?[\s-]*(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?)\b"
     r"(?:\s+(?P<post>from\s+now|from\s+today|later|hence|ago|back|earlier|out|after))?\b", _h_en_duration),
    ("ko_duration", r"(?<![가-힣\d.,])(?P<pre>(?:영업일\s*기준(?:으로)?\s*|영업일로\s*|지난\s*|다음\s*|향후\s*"
     r"|앞으로\s*|지금으로부터\s*|오늘로부터\s*|오늘부터\s*|약\s*|대략\s*|최소\s*|최대\s*)*)"
     rf"(?:(?P<n>{_KO_NUM})(?:\s*(?:~|-|–)\s*(?P<n2>\d{{1,3}}))?\s*(?P<unit>영업일|주일|주(?!차|년|말)|개월|달|년|일)"
     rf"|(?P<nd>{_KO_NATIVE_DAYS_RE})(?!달|날|밤|\s*반)"  # 보름달; "이틀 반" (2.5) is not read
     r")"
     r"(?:(?P<post>\s*(?:정도|가량|쯤|여|내외)?\s*(?:후에?|뒤에?|이후|만에|전(?!까지)|이전(?!까지)|이내로?|이내에"
     r"|내에?|내로|안에|안으로|간|동안))|(?=(?P<cue>\s*(?:정도|가량|쯤|내외)?\s*(?:소요|걸|지연|연기|늦|밀|딜레이|씩"
     r"|정도|가량|쯤|내외))))?", _h_ko_duration),
)


def _h_holiday_rule() -> str:
    """One pattern holding every holiday name, each in its own group h0, h1, ..."""
    names = "|".join(f"(?P<h{i}>{entry[0]})" for i, entry in enumerate(_HOLIDAYS))
    return (rf"(?:(?P<rel>next|last|this|previous)\s+|(?:(?P<ky>\d{{4}})\s*년\s*|(?P<kyrel>{_KO_YEAR_REL})\s*))?"
            rf"(?<![\w])(?:{names})(?![a-z])(?P<brk>\s*연휴)?{_HOLIDAY_TAIL}")


_RULES: tuple[tuple[str, re.Pattern, Callable[[re.Match, _Ctx], _Hit | None]], ...] = tuple(
    (name, re.compile(pattern), handler)
    for name, pattern, handler in _RULES_SPEC + (("holiday", _h_holiday_rule(), _h_holiday),)
)
# ---------------------------------------------------------------------------
# Anchors: a rule runs only on small windows around its anchors
# ---------------------------------------------------------------------------
# Every match of a rule contains one of its anchor tokens, at most ``lookback``
# characters after the match start.  Literal tokens are found with one alternation
# regex (every alternative starts with a literal character, so the regex engine
# skips ahead with a character-set prefilter), digit anchors with a second one: "#num" a digit followed by -, ., / and a digit; "#year" 19xx/20xx;
# "#bare" a digit after "on"/"the"; "#wnum" a digit after "w"/"k".  A check narrows
# a token for one rule (e.g. "day" counts for durations only after a number).

_KO_NUMERAL_CHARS = frozenset("0123456789한두세석네넉섯곱덟홉열일이삼사오육칠팔구십백천")
_EN_YEAR_PRE = frozenset(["in", "during", "by", "until", "through", "for", "early", "mid", "late", "of",
                          "middle"])


def _prev_char(low: str, at: int) -> str:
    i = at - 1
    while i >= 0 and low[i] in " \t":
        i -= 1
    return low[i] if i >= 0 else ""


def _prev_word(low: str, at: int) -> str:
    head = low[max(0, at - 24):at].rstrip(" \t-")
    i = len(head)
    while i > 0 and "a" <= head[i - 1] <= "z":
        i -= 1
    return head[i:]


def _ck_word_start(low: str, at: int, end: int) -> bool:
    return at == 0 or not ("a" <= low[at - 1] <= "z")


_ck_word_start.word_start = True


def _ck_ko_number_before(low: str, at: int, end: int) -> bool:
    return _prev_char(low, at) in _KO_NUMERAL_CHARS


def _ck_digit_before(low: str, at: int, end: int) -> bool:
    return _prev_char(low, at).isdigit()


def _ck_year_pre(low: str, at: int, end: int) -> bool:
    return _prev_word(low, at) in _EN_YEAR_PRE


_NUMERIC_BEFORE_BAD = frozenset("0123456789abcdefghijklmnopqrstuvwxyz_.-/:,#")


def _ck_numeric(low: str, at: int, end: int) -> bool:
    """The digit run ending at ``at`` can start a numeric date (1-2 digits or a 19xx/20xx year)."""
    start = at
    while start > 0 and low[start - 1].isdigit():
        start -= 1
    run = at + 1 - start
    if run > 2 and not (run == 4 and low[start:start + 2] in ("19", "20")):
        return False
    return start == 0 or low[start - 1] not in _NUMERIC_BEFORE_BAD


def _ck_ko_week(low: str, at: int, end: int) -> bool:
    """주 after one of the _KO_WEEK_REL words (이번 주, 금주, 다음주, 차주, 지난 주 ...)."""
    return _prev_char(low, at) in "번금이음담차내는난"


_HOLIDAY_BREAK_WORDS = frozenset(["holiday", "festive", "christmas", "xmas", "end", "winter"])


def _ck_holiday_break(low: str, at: int, end: int) -> bool:
    """shutdown/closure/break after holiday, Christmas, year-end, winter ..."""
    return _prev_word(low, at) in _HOLIDAY_BREAK_WORDS


_ck_holiday_break.word_start = True


def _ck_next_digit(low: str, at: int, end: int) -> bool:
    return low[end:end + 2].lstrip()[:1].isdigit()


_SEPARATORS = frozenset(" \t,.-–~/")
_DAYNUM_RE = re.compile(r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?|\d{1,3}(?:\.5)?")


class _Back:
    """A check that walks back from the anchor over the words a rule's optional prefix
    may hold (``vocab``; day numbers too with ``numbers``) and returns the earliest
    start, or False when a word from ``need`` (or a number: "#") is missing."""

    word_start = True

    vocabulary: set[str] = set()  # every word any instance accepts

    def __init__(self, vocab: str, numbers: bool = False, need: str | None = None):
        self.words = frozenset(vocab.split())
        _Back.vocabulary |= self.words
        self.needed = frozenset(need.split()) if need else frozenset()
        self.need_number = "#" in self.needed
        self.numbers = numbers

    def __call__(self, low: str, at: int, end: int):
        return self.judge(_words_before(low, at), at)

    def judge(self, before: list[tuple[int, str]] | None, at: int):
        if before is None:
            return False
        begin, found = at, False
        words, needed = self.words, self.needed
        for start, word in before:
            if word in words:
                found = found or word in needed
            elif self.numbers and _DAYNUM_RE.fullmatch(word):
                found = found or self.need_number
            else:
                break
            begin = start
        if needed and not found:
            return False
        return begin


def _words_before(low: str, at: int) -> list[tuple[int, str]] | None:
    """The ASCII words before ``at`` (nearest first, within 72 characters, up to the
    first one no _Back check accepts) with their starts; None when ``at`` is inside
    a word."""
    if at and "a" <= low[at - 1] <= "z":
        return None
    vocabulary = _Back.vocabulary
    out, i = [], at
    while at - i < 72:
        j = i
        while j > 0 and low[j - 1] in _SEPARATORS:
            j -= 1
        k = j
        while k > 0 and low[k - 1].isascii() and low[k - 1].isalnum():
            k -= 1
        if k == j:
            break
        word = low[k:j]
        out.append((k, word))
        if word not in vocabulary and not _DAYNUM_RE.fullmatch(word):
            break
        i = k
    return out


_back = _Back

_WEEKDAY_WORDS = "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday"
_REL_WORDS = "this next last coming upcoming current past previous following"
_MOD_WORDS = "early mid middle late at the end beginning start of"
_EN_NUM_WORDS = ("a an one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
                 "couple of few")
_ORDINAL_WORDS = " ".join(_EN_ORDINALS)

_MONTH_TOKENS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAY_TOKENS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOLIDAY_TOKENS_EN = ("christmas", "xmas", "x-mas", "new year", "thanksgiving", "black fri", "cyber mon", "mlk",
                      "martin", "civil rights", "president", "washington", "memorial", "independence", "of july",
                      "july 4", "labor", "labour", "columbus", "veteran", "valentine", "hallowe", "patrick",
                      "paddy", "mother", "father", "groundhog", "easter", "good fri", "lunar", "chinese")
_HOLIDAY_TOKENS_KO = ("크리스마스", "성탄", "신정", "추수", "설날", "설 연휴", "설연휴", "구정", "추석", "한가위",
                      "삼일절", "어린이날", "현충일", "광복절", "개천절", "한글날", "석가", "부처님")
_ws = _ck_word_start
_KO_WEEKDAY_TOKENS = tuple(f"{d}요일" for d in "월화수목금토일") + tuple(f"{d}욜" for d in "월화수목금토일")

# (tokens, rule, lookback, check)
_ANCHOR_SPEC: tuple[tuple[tuple[str, ...], str, int, Callable | None], ...] = (
    (("#num",), "numeric", 4, _ck_numeric),
    (_MONTH_TOKENS, "en_month_day", 24, _back(_WEEKDAY_WORDS + " the")),
    (_MONTH_TOKENS, "en_day_month", 64, _back(f"{_WEEKDAY_WORDS} {_ORDINAL_WORDS} from the to thru through until "
                                              "till day of", numbers=True, need=f"# {_ORDINAL_WORDS}")),
    (_WEEKDAY_TOKENS, "en_nth_weekday", 20, _back("the first second third fourth fifth last 1st 2nd 3rd 4th 5th",
                                                  need="first second third fourth fifth last 1st 2nd 3rd 4th 5th")),
    (("week", "day"), "en_month_week", 32, _back("the first second third fourth fifth last 1st 2nd 3rd 4th 5th to",
                                                  need="first second third fourth fifth last 1st 2nd 3rd 4th 5th")),
    (_WEEKDAY_TOKENS, "en_weekday_day", 0, _ws),
    (("#bare",), "en_bare_day", 12, None),
    (_MONTH_TOKENS, "en_month", 40, _back(f"{_MOD_WORDS} this next last coming")),
    (("today", "tonight", "tomorrow", "tmr", "yesterday", "eod", "cob", "eob", "end of", "close of"),
     "en_relative_day", 16, _ws),
    (("morning", "afternoon", "evening"), "en_relative_day", 6, _ws),
    (("당일", "익일", "전일", "다음날", "다음 날", "이튿날", "전날", "그날", "그 날", "그때", "그 때", "그전",
      "그 전", "그이후", "그 이후", "그후", "그 후", "그뒤", "그 뒤", "연휴"), "anaphor", 4, None),
    (("익영업일", "익 영업일", "전영업일", "전 영업일", "다음영업일", "다음 영업일"), "anaphor", 0, None),
    (("next day", "following day", "next business", "next working", "following business", "following working",
      "same day", "same morning", "same afternoon", "same evening"), "anaphor", 4, _ws),
    (("holidays",), "year_end_holidays", 24, _ws),
    (("shutdown", "closure", "break"), "year_end_holidays", 24, _ck_holiday_break),
    (("연시",), "year_end_holidays", 4, None),
    (_WEEKDAY_TOKENS, "en_weekday", 24, _back(_REL_WORDS)),
    (_WEEKDAY_TOKENS, "en_weekday_count", 24, _back(_EN_NUM_WORDS, numbers=True, need=f"# {_EN_NUM_WORDS}")),
    (("spring", "summer", "fall", "autumn", "winter", "season"), "en_season", 16,
     _back(f"{_REL_WORDS} the")),
    (("week",), "en_week", 44, _back(f"{_MOD_WORDS} {_REL_WORDS} rest all", need=f"{_REL_WORDS} the of all")),
    (("eow",), "en_week", 12, _ws),
    (("month",), "en_month_rel", 44, _back(f"{_MOD_WORDS} {_REL_WORDS} day", numbers=True,
                                          need=f"{_REL_WORDS} the of")),
    (("month-end", "month end", "eom", "bom"), "en_month_rel", 12, _ws),
    (("quarter", "q1", "q2", "q3", "q4", "h1", "h2", "eoy", "boy", "year-end", "year end"), "en_year", 36, _ws),
    (("year",), "en_year", 36, _back(f"{_MOD_WORDS} {_REL_WORDS}", need=f"{_REL_WORDS} the of")),
    (("#year",), "en_year", 24, _ck_year_pre),
    (("week", "wk", "#wnum"), "week_number", 12, None),
    (("제",), "week_number", 0, _ck_next_digit),
    (("주차",), "week_number", 12, None),
    (("월",), "ko_date", 24, _ck_ko_number_before),
    (("첫", "째", "마지막"), "ko_nth_weekday", 16, None),
    (("첫", "째", "마지막", "주차"), "ko_month_week", 16, None),
    (("일",), "ko_bare_day", 4, _ck_digit_before),
    (("월",), "ko_month", 24, _ck_digit_before),
    (("내일", "낼", "오늘", "금일", "명일", "모레", "글피", "어제", "작일", "어저께", "엊그제", "그저께", "그제"),
     "ko_relative_day", 0, None),
    (("요일", "욜") + _KO_WEEKDAY_TOKENS, "ko_weekday", 14, None),
    (("주말",), "ko_weekend", 8, None),
    (("주",), "ko_week", 10, _ck_ko_week),
    (("달", "금월", "당월", "익월", "차월", "전월", "월말", "월초", "월중순"), "ko_month_rel", 10, None),
    (("년", "올해", "올 해", "지난해", "지난 해", "다음해", "다음 해", "연내", "연말", "연초", "분기"), "ko_year", 10, None),
    (("day", "week", "wk", "month", "mo", "year", "yr"), "en_duration", 56,
     _back(f"{_EN_NUM_WORDS} business working work calendar in within inside after for by about around "
           "approximately approx roughly up to at least another additional extra the next last past over or",
           numbers=True, need=f"# {_EN_NUM_WORDS}")),
    (("일", "주", "개월", "달", "년", "영업일"), "ko_duration", 32, _ck_ko_number_before),
    (tuple(_KO_NATIVE_DAYS), "ko_duration", 32, None),
    (_HOLIDAY_TOKENS_EN, "holiday", 12, _back("next last this previous the 4th fourth st saint")),
    (_HOLIDAY_TOKENS_KO, "holiday", 12, None),
)


def _build_anchor_index():
    """The English and Hangul token regexes, token -> entries, "#class" -> entries.

    An entry is (rule index, lookback, check, offset of the token inside the found one).
    The regex consumes what it finds, so a token that can hide another one ("요일"
    hides "일", "month" hides "mon") also carries the hidden token's entries, at the
    hidden token's offset.
    """
    index = {name: i for i, (name, *_rest) in enumerate(_RULES)}
    entries: dict[str, list[tuple[int, int, Callable | None, int]]] = {}
    for tokens, rule, lookback, check in _ANCHOR_SPEC:
        for token in tokens:
            entries.setdefault(token, []).append((index[rule], lookback, check, 0))
    literals = [t for t in entries if not t.startswith("#")]
    own = {t: list(entries[t]) for t in literals}
    for t in literals:
        for u in literals:
            if u == t:
                continue
            # u inside t, or u starting inside t and running past its end
            offsets = {i for i in range(len(t)) if t.startswith(u, i) or (i and u.startswith(t[i:]))}
            for off in sorted(offsets):
                entries[t].extend((r, lb, ck, off) for r, lb, ck, _ in own[u]
                                  if not any(r == r2 and ck2 is None for r2, _, ck2, _ in own[t])
                                  # a check that wants a word start fails after a letter
                                  and not (off and getattr(ck, "word_start", False) and "a" <= t[off - 1] <= "z"))
    tokens = {t: tuple(dict.fromkeys(entries[t])) for t in literals}
    classes = {t: tuple(v) for t, v in entries.items() if t.startswith("#")}
    english = [t for t in literals if t.isascii()]
    hangul = [t for t in literals if not t.isascii()]
    return re.compile(_trie(english)), re.compile(_trie(hangul)), tokens, classes


def _trie(words: list[str]) -> str:
    """An alternation of ``words`` as a prefix tree: the longest word wins, and the
    regex engine tries one branch per first character instead of one per word."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return "|".join(re.escape(ch) + emit(child) for ch, child in sorted(root.items()))


_EN_ANCHOR_RE, _KO_ANCHOR_RE, _TOKENS, _CLASS_TOKENS = _build_anchor_index()
# A digit before -, ., / and a digit, or the first digit of 19xx/20xx.  \d first:
# charset prefilter; the empty group that matched names the class.
_DIGIT_ANCHOR_RE = re.compile(r"\d(?:(?=\s?[-./]\s?\d)()|(?<=1)(?=9\d\d)()|(?<=2)(?=0\d\d)())")
_DIGIT_CLASSES = (None, "#num", "#year", "#year")
# A day number after "on"/"the", a week number after "w"/"k" (digit = last character).
_WORD_DIGIT_ANCHOR_RE = re.compile(r"(?:on|the)\s*\d()|[wk]\s?\d()")
_WORD_DIGIT_CLASSES = (None, "#bare", "#wnum")
# How far past its anchor a search may look before a match is re-checked on the whole text.
_WINDOW_AHEAD = 32
_RECHECK_MARGIN = 12


def _anchors(low: str) -> list[list[tuple[int, int]]]:
    """For each rule, (anchor offset, earliest start) pairs."""
    found: list[list[tuple[int, int]]] = [[] for _ in _RULES]
    tokens = _TOKENS
    hits = [m for m in _EN_ANCHOR_RE.finditer(low)]
    if not low.isascii():
        hits += _KO_ANCHOR_RE.finditer(low)
    for m in hits:
        at, end = m.span()
        before, before_at = None, -1
        for rule, lookback, check, off in tokens[m.group()]:
            start = at + off
            if check is None:
                found[rule].append((start, start - lookback))
                continue
            if type(check) is _Back:
                if before_at != start:
                    before, before_at = _words_before(low, start), start
                ok = check.judge(before, start)
            else:
                ok = check(low, start, end)
            if ok is True:
                found[rule].append((start, start - lookback))
            elif ok is not False:  # the check found the earliest start itself
                found[rule].append((start, ok))
    if any(ch in low for ch in "0123456789"):
        classes = _CLASS_TOKENS
        for regex, names, shift in ((_DIGIT_ANCHOR_RE, _DIGIT_CLASSES, 0),
                                    (_WORD_DIGIT_ANCHOR_RE, _WORD_DIGIT_CLASSES, 1)):
            for m in regex.finditer(low):
                at = m.end() - shift if shift else m.start()
                for rule, lookback, check, _off in classes[names[m.lastindex]]:
                    if check is None or check(low, at, at + 1):
                        found[rule].append((at, at - lookback))
    return found


def _rule_matches(low: str, pattern: re.Pattern, anchors: list[tuple[int, int]]) -> list[re.Match]:
    """What ``pattern.finditer(low)`` would give, searching only near ``anchors``.

    A match starts at most its anchor's lookback before the anchor, so every search
    starts there (never before the end of the previous match): the leftmost match
    found is the next one finditer would give.  A search stops ``_WINDOW_AHEAD``
    characters after the anchor; a match that ends near that limit is matched again
    on the whole text.
    """
    out: list[re.Match] = []
    pos, size = 0, len(low)
    if len(anchors) > 1:
        anchors.sort()
    for at, begin in anchors:
        if at < pos:
            continue
        begin = max(pos, begin, 0)
        limit = min(size, at + _WINDOW_AHEAD)
        while begin <= at:
            m = pattern.search(low, begin, limit)
            if m is None:
                break
            if m.end() + _RECHECK_MARGIN >= limit and limit < size:
                full = pattern.match(low, m.start())
                if full is None:
                    begin = m.start() + 1
                    continue
                m = full
            out.append(m)
            pos = begin = m.end() if m.end() > m.start() else m.start() + 1
    return out


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# Deadline markers around a match: English before it, Korean after it.
# "before X" / "prior to X" / "X 전에" / "X 이전까지" end the day before X (group ``excl``);
# "by X" / "X까지" end on X.  "not before X" is the earliest day, not a deadline.
# "after X" / "X 이후", "X 직후", "X 후" (group ``later``) is no deadline: the day after X.
_EN_DEADLINE_BEFORE = re.compile(
    r"\b(?:by|no\s+later\s+than|not\s+later\s+than|until|till|(?P<excl>(?<!not\s)before|prior\s+to)"
    r"|due(?:\s+(?:on|by))?|deadline(?:\s+is)?:?"
    r"|(?P<later>(?<!not\s)(?<!week\s)(?<!weeks\s)(?<!month\s)(?<!months\s)(?<!year\s)(?<!years\s)after))"
    r"\s+(?:the\s+)?$", re.IGNORECASE)
# The last word before a match that can end an English marker: the pattern above is
# searched only then (most dates have none).
_EN_MARKER_ENDS = ("by", "than", "until", "till", "before", "to", "due", "due on", "deadline", "deadline:", "is",
                   "is:", "after", "the")
# After a bare "X 전" (not "전에"/"전까지") only an action counts: "크리스마스 전 납품",
# not "16일 전 수량 출고" ("the whole quantity").
_KO_BEFORE_ACTS = r"(?:납품|입고|출고|배송|배달|도착|발송|선적|출하|완료|회신|확정|처리|마감|설치|결제)"
_KO_DEADLINE_AFTER = re.compile(
    rf"\s?(?:(?P<excl>(?:이전(?:까지|에|으로)?|전(?:까지|에|으로)|전(?!\s*[가-힣])|전(?=\s+{_KO_BEFORE_ACTS}))(?=$|[^가-힣]|[는도만은]))"
    r"|까지|이내로|이내|내로|안으로|중으로|(?P<later>(?:이후|직후|후|뒤)(?:에는|에|로는|로|부터|인|엔)?(?![가-힣])))")
# "before the end of the month", "월말 전에": the boundary is the period's own end.
_END_FORM = re.compile(r"\bend\s+of\b|\beo[dwmyb]\b|\b(?:year|month)[\s-]end\b|(?<!주)말(?:경)?$",
                       re.IGNORECASE)
# Two dates joined as a range.
_RANGE_JOIN = re.compile(r"\s*(?:-|–|~|〜|to|through|thru|until|till|부터|에서)\s*(?:the\s+)?$", re.IGNORECASE)
_RANGE_TAIL = re.compile(r"\s*(?:까지|사이)")
_RANGE_GRAINS = ("day",)


# A match waiting for its handler: (start, end, order, rule index, match), or a
# calendar holiday already resolved: (start, end, order, -1, _Cand).
_Pending = tuple


def _candidates(text: str, ctx: _Ctx) -> list[_Pending]:
    """Every rule match (not yet resolved); patterns run on lower-cased text."""
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased
        low = text.translate(_ASCII_LOWER)
    found: list[_Pending] = []
    calendar = [(c.start, c.end, -1, c) for c in _calendar_holidays(low, ctx)]
    if ctx.region:  # with a region hint its calendar wins ties against the fixed holiday table
        found.extend(calendar)
    for index, anchors in enumerate(_anchors(low)):
        if not anchors:
            continue
        for m in _rule_matches(low, _RULES[index][1], anchors):
            start, end = m.span()
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                found.append((start, end, index, m))
    if not ctx.region:
        found.extend(calendar)
    return found


def _resolve(index: int, m: re.Match, start: int, end: int, ctx: _Ctx) -> _Cand | None:
    name, _pattern, handler = _RULES[index]
    hit = handler(m, ctx)
    if hit is None:
        return None
    value, last, grain, kind, days = hit + ("point", None)[len(hit) - 3:]
    second = 0
    if value < last and "d2" in m.re.groupindex and m.group("d2"):
        second = next(m.start(g) for g in ("mon2", "m2", "d2") if g in m.re.groupindex and m.group(g))
    return _Cand(start, end, value, last, grain, kind, days, name, second)


def _select(found: list[_Pending], ctx: _Ctx) -> list[_Cand]:
    """Longest match wins; ties go to the earlier rule in the table.  A match is
    resolved only when nothing chosen overlaps it (a handler may still reject it)."""
    chosen: list[_Cand] = []
    taken = bytearray(max((f[1] for f in found), default=0))
    order = sorted(range(len(found)), key=lambda i: (found[i][0] - found[i][1], found[i][0], i))
    for i in order:
        start, end, index, item = found[i]
        if taken.find(1, start, end) >= 0:
            continue
        cand = item if index < 0 else _resolve(index, item, start, end, ctx)
        if cand is None:
            continue
        taken[start:end] = b"\1" * (end - start)
        chosen.append(cand)
    chosen.sort(key=lambda c: c.start)
    return chosen


# A change of date, not a period: "changed/moved/pushed ... from X to Y", "X에서 Y로".
# (Case-sensitive, run on lower-cased text: with IGNORECASE the engine tries every position.)
_CHANGE_WORD = re.compile(r"chang|mov|push|slip|slid|postpon|reschedul|delay|shift|revis|updat|pull|brought|bump"
                          r"|advanc|amend|adjust|extend")
_CLAUSE_STOP = re.compile(r"[.!?\n;:]")
_FROM_BEFORE = re.compile(r"\bfrom\s+(?:the\s+)?$", re.IGNORECASE)
_FROM_LEAD = re.compile(r"from\s+(?:the\s+)?", re.IGNORECASE)
_CHANGE_TO_KO = re.compile(r"\s*(?:경|쯤|께|정도)?\s*(?:으로|로)")


def _is_change(text: str, start: int, sep: str, end: int) -> bool:
    """Two dates at ``start`` and ending at ``end``, joined by ``sep``, name a change
    from one to the other: a change word before "from X", or "X에서 Y로"."""
    if "에서" in sep:
        return _CHANGE_TO_KO.match(text, end) is not None
    lead = _FROM_LEAD.match(text, start)
    word_from = lead or _FROM_BEFORE.search(text, max(0, start - 10), start)
    if not word_from:
        return False
    clause = text[max(0, word_from.start() - 44):word_from.start()].lower()
    verbs = [m for m in _CHANGE_WORD.finditer(clause) if not (m.start() and clause[m.start() - 1].isalpha())]
    return bool(verbs) and _CLAUSE_STOP.search(clause, verbs[-1].end()) is None


def _part(text: str, start: int, end: int, ctx: _Ctx) -> _Cand | None:
    """text[start:end] resolved on its own, when one mention covers all of it."""
    sub = text[start:end]
    sub_ctx = _Ctx(ctx.today, ctx.lang, sub, ctx.region)
    found = [c for c in _select(_candidates(sub, sub_ctx), sub_ctx) if c.start == 0 and c.end == len(sub)]
    if not found:
        return None
    cand = found[0]
    cand.start, cand.end = start, end
    return cand


def _split_change(text: str, cand: _Cand, ctx: _Ctx) -> list[_Cand] | None:
    """A range one rule matched ("Dec 18 to Jan 8", "12월 14일에서 24일") that names a
    change: its two dates, each resolved on its own (a day alone takes the first
    date's month)."""
    if not _is_change(text, cand.start, text[cand.start:cand.second], cand.end):
        return None
    sep = _RANGE_JOIN.search(text, max(cand.start, cand.second - 16), cand.second)
    if sep is None:
        return None
    lead = _FROM_LEAD.match(text, cand.start)
    start = lead.end() if lead else cand.start
    old = _part(text, start, sep.start(), ctx) or _Cand(start, sep.start(), cand.value, cand.value, "day")
    new = _part(text, cand.second, cand.end, ctx) or _Cand(cand.second, cand.end, cand.last, cand.last, "day")
    if new.rule in ("ko_bare_day", "en_bare_day"):
        new.value = new.last = _safe_date(old.value.year, old.value.month, new.value.day) or new.value
    return [old, new]


def _join_ranges(text: str, cands: list[_Cand], ctx: _Ctx) -> list[_Cand]:
    """12/16~12/18, 8월 8일부터 8월 13일까지, Aug 8 - Aug 12: one mention from first to
    last day, unless the two name a change ("moved from 11/20 to 12/4", "12/14에서 12/24로";
    a range one rule matched is split then, see ``_split_change``)."""
    out: list[_Cand] = []
    for cand in cands:
        if cand.second and (parts := _split_change(text, cand, ctx)):
            out += parts
            continue
        prev = out[-1] if out else None
        if (prev and prev.kind == "point" and cand.kind in ("point", "deadline")
                and prev.grain in _RANGE_GRAINS and cand.grain in _RANGE_GRAINS
                and _RANGE_JOIN.fullmatch(text, prev.end, cand.start)
                and not _is_change(text, prev.start, text[prev.end:cand.start], cand.end)):
            last = cand.last
            if cand.rule == "ko_bare_day":
                last = _safe_date(prev.value.year, prev.value.month, cand.last.day) or cand.last
                if last < prev.value:
                    last = _shift_months(last, 1)
            if last >= prev.value:
                end = cand.end
                tail = _RANGE_TAIL.match(text, end)
                if tail:
                    end = tail.end()
                out[-1] = _Cand(prev.start, end, prev.value, last, "day", "point", None, "range")
                continue
        out.append(cand)
    return out


# "three days after Easter", "2 weeks before Dec 16": a day moved by a length.
_OFFSET_RE = re.compile(rf"(?P<n>{_EN_NUM})[\s-]*(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?)"
                        r"(?:\s+(?P<after>after))?", re.IGNORECASE)
_BEFORE_AFTER_GAP = re.compile(r"\s+(?P<dir>before|after)\s+(?:the\s+)?", re.IGNORECASE)


def _join_neighbours(cands: list[_Cand], join) -> list[_Cand]:
    """Each candidate merged with the one kept before it when ``join(prev, cand)`` makes one
    candidate of the two (it returns None when they stay apart)."""
    out: list[_Cand] = []
    for cand in cands:
        merged = join(out[-1], cand) if out else None
        if merged is None:
            out.append(cand)
        else:
            out[-1] = merged
    return out


def _join_offsets(text: str, cands: list[_Cand]) -> list[_Cand]:
    """A calendar length right before "after X"/"before X" moves day X by it."""
    return _join_neighbours(cands, lambda prev, cand: _offset_day(text, prev, cand))


def _offset_day(text: str, prev: _Cand, cand: _Cand) -> _Cand | None:
    offset = prev.rule == "en_duration" and _OFFSET_RE.fullmatch(text, prev.start, prev.end)
    if not (offset and cand.kind == "point" and cand.grain == "day" and cand.value == cand.last):
        return None
    gap = text[prev.end:cand.start]
    joined = gap.isspace() if offset.group("after") else _BEFORE_AFTER_GAP.fullmatch(gap)
    if not joined:
        return None
    after = bool(offset.group("after")) or joined.group("dir").lower() == "after"
    n = _number(offset.group("n")) or 0
    day = _span(cand.value, n if after else -n, _EN_UNITS[offset.group("unit")[0].lower()], False, False)
    return _Cand(prev.start, cand.end, day, day, "day", "point", None, "offset")


# "from Dec 18 for 10 days", "for 10 days from Dec 18": a day and a length.
_FOR_LENGTH = re.compile(r"for\s+(?!.*\b(?:business|working|work)\b)", re.IGNORECASE)
_FROM_GAP = re.compile(r"\s+from\s+(?:the\s+)?", re.IGNORECASE)


def _join_lengths(text: str, cands: list[_Cand]) -> list[_Cand]:
    """A day and a length in calendar days next to it become one range from that day."""
    return _join_neighbours(cands, lambda prev, cand: _day_for_length(text, prev, cand))


def _day_for_length(text: str, prev: _Cand, cand: _Cand) -> _Cand | None:
    if {prev.kind, cand.kind} != {"point", "duration"}:
        return None
    day, length = (prev, cand) if prev.kind == "point" else (cand, prev)
    gap = text[prev.end:cand.start]
    joined = (gap.isspace() if day is prev else _FROM_GAP.fullmatch(gap))
    if not (joined and day.grain == "day" and day.value == day.last and length.days
            and _FOR_LENGTH.match(text, length.start, length.end)):
        return None
    last = day.value + timedelta(days=length.days - 1)
    return _Cand(prev.start, cand.end, day.value, last, "day", "point", None, "range")


# "the week of Oct 6th", "the week of Thanksgiving": that day's (working) week.
_WEEK_OF = re.compile(r"\b(?:the\s+)?week\s+of\s+(?:the\s+)?$", re.IGNORECASE)


def _weeks_of(text: str, cands: list[_Cand]) -> None:
    """"the week of X": the working week holding day X; a Sunday names the week it
    starts (weeks are named by their first day)."""
    prev_end = 0
    for cand in cands:
        week_of = "eek of" in text[max(prev_end, cand.start - 16):cand.start] and _WEEK_OF.search(
            text, max(prev_end, cand.start - 16), cand.start)
        if week_of and cand.kind == "point" and cand.grain == "day" and cand.value == cand.last:
            cand.value, cand.last, cand.grain = _week(_week_start(cand.value + timedelta(days=cand.value.weekday() == 6)))
            cand.start, cand.rule = week_of.start(), "week_of"
        prev_end = cand.end


# "N days after invoice", "3 weeks after PO receipt": a length counted from an event.
_AFTER_END = re.compile(r"\bafter$", re.IGNORECASE)
_WORD_NEXT = re.compile(r"\s+[a-z]", re.IGNORECASE)


def _lengths_after_events(text: str, cands: list[_Cand]) -> None:
    """"30 days after invoice" is a length (``kind="duration"``), not a day: only a
    date after it ("three days after Easter") makes a day of it (``_join_offsets``)."""
    for cand in cands:
        if (cand.rule == "en_duration" and cand.kind == "point" and _AFTER_END.search(text, cand.start, cand.end)
                and _WORD_NEXT.match(text, cand.end)):
            cand.kind = "duration"


# "COB Friday", "EOD on Dec 16", "Monday EOD": the end of that day.
_EOD_RE = re.compile(r"(?:the\s+)?(?:eod|cob|eob|end\s+of|close\s+of)\b", re.IGNORECASE)
_EOD_GAP = re.compile(r"\s*,?\s*(?:on\s+)?(?:the\s+)?", re.IGNORECASE)


def _join_end_of_day(text: str, cands: list[_Cand]) -> list[_Cand]:
    """The end of a business day written next to a day is that day."""
    return _join_neighbours(cands, lambda prev, cand: _end_of_day(text, prev, cand))


def _end_of_day(text: str, prev: _Cand, cand: _Cand) -> _Cand | None:
    if not ("en_relative_day" in (prev.rule, cand.rule) and _EOD_GAP.fullmatch(text, prev.end, cand.start)):
        return None
    eod, day = ((prev, cand) if prev.rule == "en_relative_day" and _EOD_RE.match(text, prev.start, prev.end)
                else (cand, prev))
    if not (eod.rule == "en_relative_day" and eod is not day and _EOD_RE.match(text, eod.start, eod.end)
            and day.kind == "point" and day.grain == "day" and day.value == day.last):
        return None
    return _Cand(prev.start, cand.end, day.value, day.last, "day", "point", None, "eod")


# An anaphor's date is in its sentence or the one before.
_SENTENCE_BREAK = re.compile(r"(?:[.!?。](?=\s|$)|\n)\s*")
# Right before a day word with no date before it: the day of an undated event or
# condition ("입고 당일", "발주 주시면 당일 출고"), not today.
_EVENT_BEFORE = re.compile(r"(?:입고|출고|도착|납품|설치|발주|주문|배송|발송|선적|출하|수령|접수|결제|방문|배차|회수)\s*$"
                           r"|[가-힣]면\s*$|(?<![가-힣])시\s*$")
_HOLIDAY_RULES = frozenset(["holiday", "calendar_holiday", "year_end_holidays"])


def _deadline_marker(marker: re.Match | None) -> bool:
    return marker is not None and not marker.group("later")


def _antecedent(text: str, cand: _Cand, before: list[_Cand]) -> _Cand | None:
    """The date an anaphor is counted from: the nearest point before it in its
    sentence or the one before (a deadline, "12월 31일까지", is none)."""
    for prev in reversed(before):
        if len(_SENTENCE_BREAK.findall(text, prev.end, cand.start)) > 1:
            return None
        if prev.kind == "point" and not (_deadline_marker(_KO_DEADLINE_AFTER.match(text, prev.end)) or _deadline_marker(
                _EN_DEADLINE_BEFORE.search(text, max(0, prev.start - 24), prev.start))):
            return prev
    return None


def _resolve_anaphora(text: str, cands: list[_Cand], ctx: _Ctx) -> list[_Cand]:
    """Count each anaphor from the date before it: "12월 9일 입고 확정입니다. 당일 오전 직배송"
    (9 December), "1/8이라 그 전에는" (7 January), "설 연휴(2/6~2/9) … 연휴 이후"; with no
    date before it, from today when the word allows ("익일 도착" = tomorrow), else it
    is dropped.  A day word counts only from a single day."""
    if not any(c.rule == "anaphor" for c in cands):
        return cands
    out: list[_Cand] = []
    for cand in cands:
        if cand.rule == "anaphor":
            word = text[cand.start:cand.end]
            a = _anaphor(word)
            if a.form == "break":
                ante = next((c for c in reversed(out) if c.rule in _HOLIDAY_RULES), None)
            else:
                ante = _antecedent(text, cand, out)
            if ante is None:
                if not a.alone or _EVENT_BEFORE.search(text, max(0, cand.start - 12), cand.start):
                    continue
            elif a.form == "day" and ante.value != ante.last:
                continue
            else:
                hit = _anaphor_hit(a, ante.value, ante.last, ctx.lang == "ko" or not word.isascii())
                cand.value, cand.last, cand.grain, cand.kind = hit + ("point",)[len(hit) - 3:]
        out.append(cand)
    return out


def _mark_after(cand: _Cand, marker: re.Match, in_front: bool) -> None:
    """"after X" / "X 이후": the day after X ends (a working week ends on Sunday)."""
    if cand.days is None:
        day = cand.value + timedelta(weeks=1) if cand.grain == "week" else cand.last + timedelta(days=1)
        cand.value, cand.last, cand.grain = day, day, "day"
        cand.start, cand.end = (marker.start(), cand.end) if in_front else (cand.start, marker.end())


def _mark_deadlines(text: str, cands: list[_Cand]) -> None:
    """Widen a point to "by X" / "X까지" and mark it a deadline.  "before X" / "X 전에"
    ends the day before X (before a period: the day before it starts; before "the end
    of" a period: on its last day).  "after X" / "X 이후" is the day after it."""
    prev_end = 0
    for cand in cands:
        if cand.kind == "point" and cand.rule != "range":
            window_start = max(prev_end, cand.start - 24)
            before = (_EN_DEADLINE_BEFORE.search(text, window_start, cand.start)
                      if text[window_start:cand.start].rstrip().lower().endswith(_EN_MARKER_ENDS) else None)
            after = _KO_DEADLINE_AFTER.match(text, cand.end)
            later = next((mark for mark in (before, after) if mark and mark.group("later")), None)
            if later:
                _mark_after(cand, later, later is before)
                prev_end = cand.end
                continue
            exclusive = bool(before and before.group("excl")) or bool(after and after.group("excl"))
            if exclusive and cand.days is None and not _END_FORM.search(text, cand.start, cand.end):
                cand.last = cand.value - timedelta(days=1)
                cand.value, cand.grain = cand.last, "day"
            if before:
                cand.start, cand.kind = before.start(), "deadline"
            if after:
                cand.end, cand.kind = after.end(), "deadline"
        prev_end = cand.end


def find_dates(text: str, now: datetime, lang: str | None = None, *,
               region: str | None = None) -> list[DateMention]:
    """All date expressions in ``text`` resolved against ``now`` (tz-aware), sorted by start.

    ``lang`` ("ko", "en" or None) only changes which holidays count as
    non-business days; both languages are always searched.
    """
    ctx = _Ctx(now.date(), lang, text, region.upper() if region else None)
    chosen = _join_ranges(text, _select(_candidates(text, ctx), ctx), ctx)
    chosen = _join_lengths(text, _join_offsets(text, chosen))
    _lengths_after_events(text, chosen)
    chosen = _join_end_of_day(text, chosen)
    _weeks_of(text, chosen)
    chosen = _resolve_anaphora(text, chosen, ctx)
    _mark_deadlines(text, chosen)
    return [DateMention(text[c.start:c.end], c.start, c.end, c.value, c.last, c.grain, c.kind, c.days)
            for c in chosen]


def resolve(expr: str, now: datetime, lang: str | None = None, *,
            region: str | None = None) -> DateMention | None:
    """The single mention covering most of ``expr`` (the earliest on a tie), or None."""
    mentions = find_dates(expr, now, lang, region=region)
    return max(mentions, key=lambda d: (d.end - d.start, -d.start)) if mentions else None
