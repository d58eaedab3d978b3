"""The text form in which an administrator enters a year's holidays and make-up workdays.

One line per day or range, as the State Council's notice lists them::

    2027-01-01 休 元旦
    2027-02-06~2027-02-13 休 春节
    2027-02-14 班 春节调休
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

_LINE = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})(?:\s*[~～至]\s*(?P<end>\d{4}-\d{2}-\d{2}))?\s+(?P<kind>[休班])(?:\s+(?P<name>.*))?$"
)
_KIND = {"休": "holiday", "班": "workday"}
_WEEKDAYS = "一二三四五六日"

OFFICIAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class Entry:
    date: date
    kind: str  # "holiday" or "workday"
    name: str


class CalendarTextError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(text: str, year: int) -> list[Entry]:
    """Parse the lines; every problem is reported with its line number, and nothing is returned."""
    errors: list[str] = []
    entries: dict[date, Entry] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            errors.append(
                f"第 {number} 行格式不对：“{line}”。应为“2027-01-01 休 元旦”或“2027-02-06~2027-02-13 休 春节”。"
            )
            continue
        try:
            start = date.fromisoformat(match["start"])
            end = date.fromisoformat(match["end"]) if match["end"] else start
        except ValueError:
            errors.append(f"第 {number} 行的日期不存在：“{line}”。")
            continue
        name = (match["name"] or "").strip()
        if len(name) > 30 or "<" in name or ">" in name:
            errors.append(f"第 {number} 行的名称须在 30 字以内且不含 < >。")
            continue
        if end < start:
            errors.append(f"第 {number} 行的结束日期早于开始日期。")
            continue
        if start.year != year or end.year != year:
            errors.append(f"第 {number} 行的日期不在 {year} 年内。")
            continue
        kind = _KIND[match["kind"]]
        day = start
        while day <= end:
            if kind == "workday" and day.weekday() < 5:
                errors.append(
                    f"第 {number} 行：{day:%Y-%m-%d} 是星期{_WEEKDAYS[day.weekday()]}，本来就是工作日，不必列为调休上班。"
                )
            elif day in entries:
                errors.append(f"第 {number} 行：{day:%Y-%m-%d} 已在前面列过。")
            else:
                entries[day] = Entry(day, kind, name)
            day += timedelta(days=1)
    if errors:
        raise CalendarTextError(errors)
    return sorted(entries.values(), key=lambda entry: entry.date)


def render(entries: list[Entry]) -> str:
    """Entries back to text, with consecutive days of one kind and name joined into a range."""
    lines: list[str] = []
    run: list[Entry] = []

    def flush() -> None:
        if not run:
            return
        kind = "休" if run[0].kind == "holiday" else "班"
        span = f"{run[0].date:%Y-%m-%d}" if len(run) == 1 else f"{run[0].date:%Y-%m-%d}~{run[-1].date:%Y-%m-%d}"
        lines.append(f"{span} {kind} {run[0].name}".rstrip())
        run.clear()

    for entry in entries:
        if run and (
            entry.kind != run[-1].kind or entry.name != run[-1].name or entry.date != run[-1].date + timedelta(days=1)
        ):
            flush()
        run.append(entry)
    flush()
    return "\n".join(lines)


def official_entries(year: int) -> list[Entry]:
    """What the chinesecalendar package knows of a year (empty beyond its data)."""
    entries = [
        Entry(day, "holiday", OFFICIAL_NAMES.get(name, name or ""))
        for day, name in chinese_calendar.holidays.items()
        if day.year == year
    ]
    entries += [
        Entry(day, "workday", f"{OFFICIAL_NAMES.get(name, name or '')}调休".strip())
        for day, name in chinese_calendar.workdays.items()
        if day.year == year and day.weekday() >= 5
    ]
    return sorted(entries, key=lambda entry: entry.date)
