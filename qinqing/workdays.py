"""Chinese working days: weekends and statutory holidays off, make-up days (调休) on.

Sources, in order, for each year: the administrator's calendar in the database (``CalendarYear``),
the ``chinesecalendar`` package (official data up to the last year it ships), and for a year with
no published calendar Monday–Friday, flagged as provisional. Nothing here raises for a year.

Deadlines count from the day after acceptance. Days while a matter waits for the applicant to
supplement materials (补正材料) do not count: a pause from day ``p`` to resumption on day ``r``
excludes the days ``p+1 … r``; an open pause stops the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

import chinese_calendar


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
        return f"{text}（暂按周一至周五计算）" if self.provisional else text


Pause = tuple[date, date | None]

_MAX_SCAN_DAYS = 3660  # ten years: a guard against a malformed calendar


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
            day, flags = date(year, 1, 1), bytearray()
            while day.year == year:
                if source is Source.DATABASE:
                    working = exceptions.get(day, day.weekday() < 5)
                elif source is Source.OFFICIAL:
                    working = chinese_calendar.is_workday(day)
                else:
                    working = day.weekday() < 5
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
