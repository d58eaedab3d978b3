"""Working days: DOMAIN.md's examples, a year with no published calendar, pauses, the admin's calendar."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from qinqing import calendar_text
from qinqing.models import AuditEntry, CalendarDay, CalendarYear
from qinqing.roles import Role
from qinqing.workdays import Source, WorkCalendar, add_workdays, is_workday, workdays_between

D = date.fromisoformat


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accepted", "limit", "due"),
    [
        ("2026-02-12", 5, "2026-02-26"),  # Spring Festival; 2026-02-14 is a make-up workday
        ("2026-04-30", 3, "2026-05-08"),  # Labour Day
        ("2026-11-20", 1, "2026-11-23"),  # Friday + 1 → Monday
        ("2026-11-23", 0, "2026-11-23"),  # by contract: no working days added
    ],
)
def test_domain_examples(accepted, limit, due):
    deadline = add_workdays(D(accepted), limit)
    assert deadline.date == D(due)
    assert not deadline.provisional


@pytest.mark.django_db
def test_make_up_saturday_is_a_workday():
    assert is_workday(D("2026-02-14"))
    assert not is_workday(D("2026-02-16"))
    assert not is_workday(D("2026-11-28"))  # an ordinary Saturday


@pytest.mark.django_db
def test_year_without_published_calendar_is_provisional_and_never_raises():
    calendar = WorkCalendar()
    assert calendar.source(D("2027-03-01")) is Source.PROVISIONAL
    deadline = calendar.add_workdays(D("2026-12-29"), 5)  # crosses 2026 → 2027; 元旦 is off in any year
    assert deadline.date == D("2027-01-06")
    assert deadline.provisional
    assert deadline.label == "2027-01-06（暂按）"
    assert not calendar.add_workdays(D("2026-12-01"), 5).provisional


@pytest.mark.django_db
def test_pause_for_supplementing_materials_stops_the_clock():
    # accepted Mon 2026-11-02, 5 working days → Mon 2026-11-09; paused 11-03, resumed 11-05 (2 days lost)
    assert add_workdays(D("2026-11-02"), 5).date == D("2026-11-09")
    assert add_workdays(D("2026-11-02"), 5, pauses=[(D("2026-11-03"), D("2026-11-05"))]).date == D("2026-11-11")
    open_pause = add_workdays(D("2026-11-02"), 5, pauses=[(D("2026-11-03"), None)])
    assert open_pause.paused
    assert open_pause.date is None
    assert "暂停计时" in open_pause.label


@pytest.mark.django_db
def test_workdays_between():
    assert workdays_between(D("2026-02-12"), D("2026-02-26")) == 5
    assert workdays_between(D("2026-02-26"), D("2026-02-12")) == -5
    assert workdays_between(D("2026-11-02"), D("2026-11-09"), pauses=[(D("2026-11-03"), D("2026-11-05"))]) == 3


@pytest.mark.django_db
def test_database_calendar_overrides_for_its_year():
    year = CalendarYear.objects.create(year=2027, source="测试")
    CalendarDay.objects.create(calendar_year=year, date=D("2027-01-01"), kind="holiday", name="元旦")
    CalendarDay.objects.create(calendar_year=year, date=D("2027-01-02"), kind="workday", name="调休")
    calendar = WorkCalendar()
    assert calendar.source(D("2027-05-01")) is Source.DATABASE
    assert not calendar.is_workday(D("2027-01-01"))
    assert calendar.is_workday(D("2027-01-02"))  # a Saturday worked
    deadline = calendar.add_workdays(D("2026-12-31"), 2)
    assert deadline.date == D("2027-01-04")
    assert not deadline.provisional


def test_calendar_text_round_trip_and_errors():
    text = "2027-02-06~2027-02-13 休 春节\n2027-02-14 班 春节调休\n# 注释\n\n2027-01-01 休 元旦"
    entries = calendar_text.parse(text, 2027)
    assert len(entries) == 10
    assert calendar_text.render(entries) == "2027-01-01 休 元旦\n2027-02-06~2027-02-13 休 春节\n2027-02-14 班 春节调休"
    with pytest.raises(calendar_text.CalendarTextError) as error:
        calendar_text.parse("2027-13-01 休 坏\n2027-01-04 班 周一\n2026-01-01 休 去年\n乱写\n2027-01-01 休 <b>", 2027)
    messages = "\n".join(error.value.errors)
    assert "第 1 行的日期不存在" in messages
    assert "第 2 行：2027-01-04 是星期一" in messages
    assert "第 3 行的日期不在 2027 年内" in messages
    assert "第 4 行格式不对" in messages
    assert "第 5 行的名称" in messages


def test_official_entries_match_the_package():
    entries = calendar_text.official_entries(2026)
    assert calendar_text.Entry(D("2026-02-14"), "workday", "春节调休") in entries
    assert calendar_text.Entry(D("2026-10-01"), "holiday", "国庆节") in entries
    assert calendar_text.official_entries(2030) == []


def test_admin_enters_a_new_year(client_for):
    admin = client_for(Role.ADMIN)
    page = admin.get(reverse("staff:calendar_list")).content.decode()
    assert "未公布：暂按法定节假日和周一至周五计算" in page  # 2027 is not published in the package
    form = admin.get(reverse("staff:calendar_edit", args=[2026])).content.decode()
    assert "2026-02-14 班 春节调休" in form  # prefilled from the package, ready to correct

    response = admin.post(
        reverse("staff:calendar_edit", args=[2027]),
        {
            "source": "国务院办公厅关于2027年部分节假日安排的通知",
            "days": "2027-01-01 休 元旦\n2027-02-06~2027-02-13 休 春节\n2027-02-14 班 春节调休",
        },
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(calendar_year__year=2027).count() == 10
    assert not WorkCalendar().add_workdays(D("2026-12-31"), 1).provisional
    assert WorkCalendar().add_workdays(D("2026-12-31"), 1).date == D("2027-01-04")
    entry = AuditEntry.objects.get(object_type="qinqing.calendaryear")
    assert entry.action == AuditEntry.Action.CREATE
    assert "春节" in entry.after["节假日与调休"]

    # a second save from a stale form is refused; a current one replaces the list
    stale = {"source": "改", "days": "2027-01-01 休 元旦", "version": ""}
    response = admin.post(reverse("staff:calendar_edit", args=[2027]), stale)
    assert "已被他人修改" in response.content.decode()
    current = {"source": "改", "days": "2027-01-01 休 元旦", "version": "0"}
    assert admin.post(reverse("staff:calendar_edit", args=[2027]), current).status_code == 302
    assert CalendarDay.objects.filter(calendar_year__year=2027).count() == 1


def test_bad_calendar_input_saves_nothing(client_for):
    admin = client_for(Role.ADMIN)
    response = admin.post(reverse("staff:calendar_edit", args=[2027]), {"source": "通知", "days": "2027-01-04 班 周一"})
    assert response.status_code == 200
    assert "本来就是工作日" in response.content.decode()
    assert not CalendarYear.objects.exists()
    assert admin.get(reverse("staff:calendar_edit", args=[1900])).status_code == 404


def test_counting_by_table_agrees_with_walking_day_by_day(db):
    """The running-count table gives the same answer as walking the days, over year ends, into a
    provisional year, and with overlapping, open and out-of-range pauses."""
    import random
    from datetime import date, timedelta

    from qinqing.workdays import WorkCalendar

    calendar = WorkCalendar()

    def walked(start, end, pauses):
        spans = [(p, r if r is not None else date.max) for p, r in pauses]
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if not any(p < day <= r for p, r in spans) and calendar.is_workday(day):
                count += 1
        return count

    rng = random.Random(7)
    base = date(2024, 11, 1)
    for _ in range(300):
        start = base + timedelta(days=rng.randint(0, 900))
        end = start + timedelta(days=rng.randint(0, 500))
        pauses = []
        for _ in range(rng.randint(0, 3)):
            paused = start + timedelta(days=rng.randint(-30, 400))
            pauses.append((paused, None if rng.random() < 0.2 else paused + timedelta(days=rng.randint(0, 60))))
        assert calendar.workdays_between(start, end, pauses) == walked(start, end, pauses), (start, end, pauses)
        assert calendar.workdays_between(end, start, pauses) == -walked(start, end, pauses)
