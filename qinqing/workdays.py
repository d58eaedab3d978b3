"""Chinese working days: weekends and statutory holidays off, make-up days (调休) on.

Sources, in order, for each year: the administrator's calendar in the database (``CalendarYear``),
the ``chinesecalendar`` package (official data up to the last year it ships), and for a year with
no published calendar Monday–Friday less the statutory holidays of 《全国年节及纪念日放假办法》 (as
amended by 国务院令第795号, in force from 2025-01-01), flagged as provisional: no 调休 make-up day
nor 补假 is guessed (the State Council publishes them each year). Nothing here raises for a year.

Deadlines count from the day after acceptance. Days while a matter waits for the applicant to
supplement materials (补正材料) do not count: a pause from day ``p`` to resumption on day ``r``
excludes the days ``p+1 … r``; an open pause stops the clock.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from types import MappingProxyType

import chinese_calendar

# The one wording of the provisional mark, wherever a due date computed on a provisional calendar is
# shown (pages through the ``provisional_mark`` filter, Excel through ``ProvisionalDate``, texts).
PROVISIONAL_MARK = "（暂按）"
PROVISIONAL_TITLE = "当年节假日安排未发布，暂按法定节假日和周一至周五计算"
PROVISIONAL_NOTE = f"标“{PROVISIONAL_MARK}”的到期日：{PROVISIONAL_TITLE}，该年日历录入后自动重算。"

logger = logging.getLogger(__name__)


class Source(Enum):
    DATABASE = "database"
    OFFICIAL = "official"
    PROVISIONAL = "provisional"


@dataclass(frozen=True)
class Deadline:
    date: date | None
    provisional: bool = False
    paused: bool = False

    @property
    def label(self) -> str:
        if self.paused:
            return "暂停计时（补正材料）"
        if self.date is None:
            return "—"
        text = f"{self.date:%Y-%m-%d}"
        return f"{text}{PROVISIONAL_MARK}" if self.provisional else text


class ProvisionalDate(date):
    """A due date computed on a provisional calendar: a date everywhere (sorts, compares, is written to
    Excel as a date), shown with the 暂按 mark (``ledger``'s ``cell`` tag, ``qinqing.xlsx``)."""

    __slots__ = ()

    @classmethod
    def of(cls, day: date | None, provisional: bool) -> date | None:
        if day is None or not provisional:
            return day
        return cls(day.year, day.month, day.day)


Pause = tuple[date, date | None]

_MAX_SCAN_DAYS = 3660  # ten years: a guard against a malformed calendar


@functools.cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The statutory holidays of ``year`` by 《全国年节及纪念日放假办法》 as amended in 2024 (国务院令
    第795号, art. 2): 元旦 1 Jan; 春节 4 days, 农历除夕 and 正月初一 to 初三; 清明 the day of the 清明 solar
    term; 劳动节 1–2 May; 端午 lunar 5/5; 中秋 lunar 8/15; 国庆 1–3 Oct. The lunar dates and the solar term
    come from ``lunar-python``. A holiday on a weekend is not moved to a weekday (补假) and no make-up day
    (调休) is guessed; where two fall on one day (中秋 on 国庆) the day is off once. A pure function of the
    year, kept for the process (about 10 ms a year)."""
    days = {date(year, 1, 1): "元旦", date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"}
    days.update({date(year, 10, day): "国庆节" for day in (1, 2, 3)})
    try:
        lunar = _lunar_holidays(year)
    except Exception:  # a year the library cannot convert keeps its fixed-date holidays: never raise for a year
        logger.warning("农历节日无法换算：%s 年，暂只按元旦、劳动节、国庆节计算", year, exc_info=True)
        lunar = {}
    for day, name in lunar.items():
        days.setdefault(day, name)  # 中秋 on 国庆: the day is off once
    return MappingProxyType({day: name for day, name in sorted(days.items()) if day.year == year})


def _lunar_holidays(year: int) -> dict[date, str]:
    from lunar_python import Lunar, Solar

    def solar(month: int, day: int) -> date:
        found = Lunar.fromYmd(year, month, day).getSolar()
        return date(found.getYear(), found.getMonth(), found.getDay())

    new_year = solar(1, 1)
    # 除夕 is the day before 正月初一, whether the twelfth month has 29 or 30 days
    days = {new_year + timedelta(days=offset): "春节" for offset in range(-1, 3)}
    for day in range(3, 8):
        if Solar.fromYmd(year, 4, day).getLunar().getJieQi() == "清明":
            days[date(year, 4, day)] = "清明节"
            break
    days[solar(5, 5)] = "端午节"
    days[solar(8, 15)] = "中秋节"
    return days


def _official_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Answers working-day questions; loads each year once. Share one instance across a page."""

    def __init__(self) -> None:
        self._years: dict[int, tuple[Source, dict[date, bool]]] = {}
        self._tables: dict[int, tuple[bytes, list[int]]] = {}

    def _year(self, year: int) -> tuple[Source, dict[date, bool]]:
        cached = self._years.get(year)
        if cached is None:
            cached = self._load(year)
            self._years[year] = cached
        return cached

    def _load(self, year: int) -> tuple[Source, dict[date, bool]]:
        from qinqing.models import CalendarDay, CalendarYear

        if CalendarYear.objects.filter(year=year).exists():
            days = CalendarDay.objects.filter(calendar_year__year=year).values_list("date", "kind")
            return Source.DATABASE, {d: kind == CalendarDay.Kind.WORKDAY for d, kind in days}
        if _official_year(year):
            return Source.OFFICIAL, {}
        return Source.PROVISIONAL, {}

    def _table(self, year: int) -> tuple[bytes, list[int]]:
        """The year's days as working (1) or not (0), by day of the year, and the running count of
        working days up to and including each day: built once, so a count over years of days is a
        subtraction, not a walk (the weekly summary counts thousands of such spans)."""
        table = self._tables.get(year)
        if table is None:
            source, exceptions = self._year(year)
            holidays = statutory_holidays(year) if source is Source.PROVISIONAL else {}
            day, flags = date(year, 1, 1), bytearray()
            while day.year == year:
                if source is Source.DATABASE:
                    working = exceptions.get(day, day.weekday() < 5)
                elif source is Source.OFFICIAL:
                    working = chinese_calendar.is_workday(day)
                else:
                    working = day.weekday() < 5 and day not in holidays
                flags.append(1 if working else 0)
                day += timedelta(days=1)
            running, total = [], 0
            for flag in flags:
                total += flag
                running.append(total)
            table = self._tables[year] = (bytes(flags), running)
        return table

    def source(self, day: date) -> Source:
        return self._year(day.year)[0]

    def is_provisional(self, day: date) -> bool:
        return self.source(day) is Source.PROVISIONAL

    def is_workday(self, day: date) -> bool:
        return bool(self._table(day.year)[0][day.timetuple().tm_yday - 1])

    def _upto(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year to ``day``, inclusive."""
        return self._table(day.year)[1][day.timetuple().tm_yday - 1]

    def _count(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``, ``start <= end``, no pauses."""
        total = 0
        while start.year < end.year:
            total += self._upto(date(start.year, 12, 31)) - self._upto(start)
            start = date(start.year + 1, 1, 1)
            total += self._table(start.year)[0][0]
        return total + self._upto(end) - self._upto(start)

    def add_workdays(self, start: date, count: int, pauses: Iterable[Pause] = ()) -> Deadline:
        """The ``count``-th working day after ``start``, not counting paused days."""
        pauses = list(pauses)
        if any(resumed is None for _, resumed in pauses):
            return Deadline(None, paused=True)
        if count <= 0:
            return Deadline(start, provisional=self.is_provisional(start))
        day = start
        counted = 0
        provisional = False
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if any(paused < day <= resumed for paused, resumed in pauses):
                continue
            if self.is_workday(day):
                provisional = provisional or self.is_provisional(day)
                counted += 1
                if counted == count:
                    return Deadline(day, provisional=provisional)
        return Deadline(None, provisional=True)

    def workdays_between(self, start: date, end: date, pauses: Iterable[Pause] = ()) -> int:
        """Working days in ``(start, end]`` not inside a pause; negative if ``end`` is before ``start``."""
        if end < start:
            return -self.workdays_between(end, start, pauses)
        count = self._count(start, end)
        # the paused spans (p, r], clipped to (start, end] and merged where they overlap
        spans = sorted((max(p, start), min(r if r is not None else end, end)) for p, r in pauses)
        merged: list[list[date]] = []
        for low, high in spans:
            if low >= high:
                continue
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        return count - sum(self._count(low, high) for low, high in merged)


def is_workday(day: date) -> bool:
    return WorkCalendar().is_workday(day)


def add_workdays(start: date, count: int, pauses: Iterable[Pause] = ()) -> Deadline:
    return WorkCalendar().add_workdays(start, count, pauses)


def workdays_between(start: date, end: date, pauses: Iterable[Pause] = ()) -> int:
    return WorkCalendar().workdays_between(start, end, pauses)
