"""A year with no published calendar: Monday–Friday less the statutory holidays of 《全国年节及纪念日放假办法》
(as amended in 2024), lunar dates from lunar-python, still provisional; official data and the administrator's
calendar still win; and the command that brings stored due dates in line after an upgrade."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from django.core.management import call_command

from qinqing import workdays
from qinqing.models import CalendarYear
from qinqing.workdays import PROVISIONAL_MARK, Source, WorkCalendar, statutory_holidays
from tests.factories import MatterFactory, ProjectMatterFactory

D = date.fromisoformat


def test_the_statutory_holidays_of_2027_by_the_2024_rule():
    # 2027: 正月初一 is 6 February (so 除夕 5 February), 端午 9 June, 中秋 15 September, 清明 5 April
    assert dict(statutory_holidays(2027)) == {
        D("2027-01-01"): "元旦",
        D("2027-02-05"): "春节",
        D("2027-02-06"): "春节",
        D("2027-02-07"): "春节",
        D("2027-02-08"): "春节",
        D("2027-04-05"): "清明节",
        D("2027-05-01"): "劳动节",
        D("2027-05-02"): "劳动节",
        D("2027-06-09"): "端午节",
        D("2027-09-15"): "中秋节",
        D("2027-10-01"): "国庆节",
        D("2027-10-02"): "国庆节",
        D("2027-10-03"): "国庆节",
    }
    # 2028: 中秋 falls on 3 October, inside 国庆: the day is off once (12 days, not 13)
    assert statutory_holidays(2028)[D("2028-10-03")] == "国庆节"
    assert len(statutory_holidays(2028)) == 12
    # 2030: 除夕 2 February, 中秋 12 September
    assert [d for d, name in statutory_holidays(2030).items() if name == "春节"][0] == D("2030-02-02")
    assert D("2030-09-12") in statutory_holidays(2030)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_agrees_with_the_published_years(year):
    """Every day the rule gives for a published year is a holiday in the State Council's arrangement: the
    lunar conversion and the 2024 amendment (除夕, 劳动节 two days) are right."""
    days = statutory_holidays(year)
    assert len(days) == 13
    assert all(not chinese_calendar.is_workday(day) for day in days), [
        d for d in days if chinese_calendar.is_workday(d)
    ]


@pytest.mark.django_db
def test_a_deadline_across_the_spring_festival_of_2027_moves_and_stays_provisional():
    calendar = WorkCalendar()
    assert calendar.source(D("2027-02-05")) is Source.PROVISIONAL
    assert not calendar.is_workday(D("2027-02-05"))  # 除夕, a Friday
    assert not calendar.is_workday(D("2027-02-08"))  # 初三, a Monday
    assert calendar.is_workday(D("2027-02-09"))
    # accepted Wednesday 3 February, 5 working days: Thursday 4, then 9, 10, 11, 12 February
    deadline = calendar.add_workdays(D("2027-02-03"), 5)
    assert deadline.date == D("2027-02-12")  # Monday–Friday alone would give 10 February
    assert deadline.provisional
    assert deadline.label == f"2027-02-12{PROVISIONAL_MARK}"
    assert calendar.workdays_between(D("2027-02-03"), D("2027-02-12")) == 5


@pytest.mark.django_db
def test_a_deadline_across_the_mid_autumn_festival_of_2030_moves():
    calendar = WorkCalendar()
    # accepted Tuesday 10 September 2030, 3 working days: 11, (12 is 中秋), 13, 16
    deadline = calendar.add_workdays(D("2030-09-10"), 3)
    assert deadline.date == D("2030-09-16")
    assert deadline.provisional
    # 元旦 and 国庆 of a provisional year too; no make-up Saturday is guessed
    assert not calendar.is_workday(D("2030-01-01"))
    assert not calendar.is_workday(D("2030-10-03"))
    assert all(not calendar.is_workday(D("2030-01-05") + timedelta(days=7 * n)) for n in range(52))


@pytest.mark.django_db
def test_a_published_year_follows_the_official_data_only():
    calendar = WorkCalendar()
    day = D("2026-01-01")
    while day.year == 2026:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    deadline = calendar.add_workdays(D("2026-02-12"), 5)
    assert (deadline.date, deadline.provisional) == (D("2026-02-26"), False)


@pytest.mark.django_db
def test_the_administrators_calendar_wins_over_the_rule():
    CalendarYear.objects.create(year=2027, source="测试：春节只放初一")
    calendar = WorkCalendar()
    assert calendar.source(D("2027-02-05")) is Source.DATABASE
    assert calendar.is_workday(D("2027-02-05"))  # 除夕 is a working day in this (made-up) calendar
    assert calendar.is_workday(D("2027-09-15"))
    deadline = calendar.add_workdays(D("2027-02-03"), 5)
    assert (deadline.date, deadline.provisional) == (D("2027-02-10"), False)


@pytest.mark.django_db
def test_a_year_the_library_cannot_convert_keeps_its_fixed_holidays_and_never_raises(monkeypatch):
    def broken(year):
        raise ValueError("out of range")

    monkeypatch.setattr(workdays, "_lunar_holidays", broken)
    statutory_holidays.cache_clear()
    try:
        assert set(statutory_holidays(2040)) == {
            D("2040-01-01"), D("2040-05-01"), D("2040-05-02"), D("2040-10-01"), D("2040-10-02"), D("2040-10-03")
        }  # fmt: skip
        assert not WorkCalendar().is_workday(D("2040-10-01"))
    finally:
        statutory_holidays.cache_clear()


@pytest.mark.django_db
def test_recompute_deadlines_brings_stored_dates_in_line(capsys):
    # stored as an earlier release computed it (Monday–Friday only): due 10 February 2027
    pm = ProjectMatterFactory(
        matter=MatterFactory(time_limit_workdays=5),
        status="已受理",
        accepted_on=D("2027-02-03"),
        time_limit_workdays=5,
        due_on=D("2027-02-10"),
        warn_on=D("2027-02-03"),
        due_provisional=True,
    )
    call_command("recompute_deadlines", year=[2027])
    pm.refresh_from_db()
    assert (pm.due_on, pm.due_provisional) == (D("2027-02-12"), True)
    assert "2027 年：1 个未办结事项的到期日按新日历改变" in capsys.readouterr().out
    # the change is in the matter's history, with its reason (an update in bulk writes none by itself)
    latest = pm.history.first()
    assert (latest.due_on, latest.history_change_reason) == (D("2027-02-12"), "2027年工作日历调整，重新计算到期日")
    # run again: nothing changes, no new history row
    rows = pm.history.count()
    call_command("recompute_deadlines", year=[2027])
    assert pm.history.count() == rows
    assert "2027 年：0 个未办结事项" in capsys.readouterr().out
