"""The supervision figures of the weekly summary, against a hand count on a small data set."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import selectors, services
from followups.models import Escalation, Inspection, Notice, Rectification, Visit
from ledger.summary import Period, build_summary
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from windows.todo import todo_for

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = Period.week(2026, 45)  # 2–8 November 2026


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def dated_history(obj, *days: date) -> None:
    """Date each history row of ``obj`` so far, oldest first, as if each step had been taken on that day."""
    rows = list(obj.history.order_by("history_id"))
    for row, day in zip(rows, days, strict=True):
        type(row).objects.filter(history_id=row.history_id).update(history_date=at(day))


@pytest.fixture
def supervised(db):
    office = UserFactory(roles=[Role.OFFICE])
    fire, plan = DepartmentFactory(name="区住房城乡建委"), DepartmentFactory(name="市规划自然资源局江北区分局")
    a, b, c = ProjectFactory(name="甲"), ProjectFactory(name="乙"), ProjectFactory(name="丙")
    ProjectMatterFactory(project=a, matter=MatterFactory(unit=fire), unit=fire)
    ProjectMatterFactory(project=a, matter=MatterFactory(unit=plan), unit=plan)
    ProjectMatterFactory(project=b, matter=MatterFactory(unit=fire), unit=fire)

    def visit(project, when, status="已回访", **ratings):
        values = {"overall": "满意", "efficiency": "满意", "competence": "满意", "attitude": "满意", **ratings}
        if status != "已回访":
            values = dict.fromkeys(values, "")
        return Visit.objects.create(project=project, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                                    status=status, method="电话", respondent="王", visited_at=when, **values)  # fmt: skip

    visit(a, at(date(2026, 11, 2)))  # all satisfied
    bad = visit(b, at(date(2026, 11, 3)), overall="不满意", attitude="非常不满意")
    visit(c, at(date(2026, 11, 4)), status="无法联系")
    visit(c, at(date(2026, 11, 9)))  # the week after
    Visit.objects.create(project=c, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))  # planned
    # rectifications: one opened in the week and rectified and called back in it; one opened before, still open
    Rectification.objects.create(source="回访", visit=bad, project=b, unit=fire, owner="张", problem="态度差",
                                 opened_on=date(2026, 11, 3), due_on=date(2026, 11, 24), status="已办结",
                                 measures="已约谈", rectified_on=date(2026, 11, 5), callback="满意",
                                 callback_on=date(2026, 11, 6), closing_check="核实", closed_on=date(2026, 11, 6),
                                 created_by=office)  # fmt: skip
    Rectification.objects.create(source="回访", unit=plan, owner="李", problem="超期", opened_on=date(2026, 10, 12),
                                 due_on=date(2026, 11, 2), created_by=office)  # fmt: skip
    # sent back in the week: reported on the 4th, returned on the 5th, still not reported again at the
    # end and past its deadline (the 6th): not rectified and overdue, though a report once stood
    sent_back = Rectification.objects.create(source="回访", unit=fire, owner="赵", problem="告知不全",
                                             opened_on=date(2026, 11, 2), due_on=date(2026, 11, 6), created_by=office)  # fmt: skip
    sent_back = services.rectification_report(actor=office, request=None, rectification_id=sent_back.pk,
                                              version=sent_back.version, measures="已补充告知",
                                              rectified_on=date(2026, 11, 4))  # fmt: skip
    services.rectification_return(actor=office, request=None, rectification_id=sent_back.pk,
                                  version=sent_back.version, reason="未逐项补充")  # fmt: skip
    dated_history(sent_back, date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5))
    notice = Notice.objects.create(unit=fire, title="通报", facts="事实", period_start=date(2026, 10, 1),
                                   period_end=date(2026, 10, 31), source="回访", drafted_by=office,
                                   status="已印发", year=2026, serial=1, issued_at=at(date(2026, 11, 5)))  # fmt: skip
    Notice.objects.create(unit=plan, title="草稿", facts="事实", period_start=date(2026, 10, 1),
                          period_end=date(2026, 10, 31), source="其他", drafted_by=office)  # fmt: skip
    esc_rect = Rectification.objects.create(source="督查督办", unit=fire, owner="王", problem="督办",
                                            opened_on=date(2026, 11, 20), due_on=date(2026, 12, 10), created_by=office)  # fmt: skip
    escalation = Escalation.objects.create(unit=fire, reason="多次差评", referred_on=date(2026, 11, 20),
                                           rectification=esc_rect, created_by=office)  # fmt: skip
    escalation.notices.set([notice])
    inspection = Inspection.objects.create(inspected_on=date(2026, 11, 6), subject="窗口作风", findings="良好",
                                           result="合格", recorded_by=office)  # fmt: skip
    inspection.units.set([fire])


def test_figures_match_a_hand_count(supervised):
    figures = selectors.summary_figures(WEEK.start, WEEK.end)
    assert figures.visits_done == 2
    assert figures.unreachable == 1
    assert figures.bad_visits == 1
    assert dict(figures.satisfaction) == {
        "整体满意度": Decimal("50.0"),
        "服务效率": Decimal("100.0"),
        "服务水平": Decimal("100.0"),
        "服务态度": Decimal("50.0"),
    }
    # 甲 (fire and planning matters) satisfied, 乙 (fire) not: fire 1 of 2, planning 1 of 1
    assert figures.by_unit == [
        ("区住房城乡建委", 2, 1, Decimal("50.0")),
        ("市规划自然资源局江北区分局", 1, 1, Decimal("100.0")),
    ]
    assert figures.rectifications_opened == 2
    assert figures.rectifications_closed == 1
    # three opened by the week's end: one rectified (and called back); one never reported and one sent
    # back, both past their deadline: not rectified, overdue
    assert figures.rectified_rate == Decimal("33.3")
    assert figures.callback_rate == Decimal("100.0")
    assert figures.rectifications_overdue == 2
    assert figures.notices_issued == 1
    assert figures.escalations == 0  # referred on the 20th, after the week
    assert figures.inspections == 1
    assert selectors.summary_figures(date(2026, 11, 16), date(2026, 11, 22)).escalations == 1


def test_the_weekly_summary_carries_them(supervised):
    summary = build_summary(WEEK)
    figures = dict(summary.figures)
    assert figures["完成回访"] == 2
    assert figures["回访整体满意率"] == "50.0%"
    assert figures["回访差评"] == 1
    assert figures["印发通报"] == 1
    units = {row[0]: row for row in summary.table("unit_satisfaction").rows}
    assert units["区住房城乡建委"][1:] == [2, 1, Decimal("50.0")]
    supervision = dict(summary.table("supervision").rows)
    assert supervision["期末逾期未整改"] == 2
    assert supervision["整改完成率（截至期末，%）"] == Decimal("33.3")


def test_the_sent_back_rectification_is_one_thing_everywhere(supervised):
    """GIVEN a report sent back and not reported again WHEN the figures, the overdue list and the
    model are asked THEN all three say: not rectified, overdue; and the earlier report is not lost."""
    rectification = Rectification.objects.get(problem="告知不全")
    assert rectification.status == Rectification.Status.OPEN
    assert rectification.rectified_on is None
    assert rectification.overdue_on(date(2026, 11, 8))
    assert rectification in Rectification.objects.overdue(date(2026, 11, 8))
    assert rectification not in Rectification.objects.rectified()
    # the earlier report stays: its text in the measures, its date in the marker and the history
    assert "已补充告知" in rectification.measures
    assert "原填报：整改完成日期 2026-11-04" in rectification.measures
    reported = rectification.history.filter(status=Rectification.Status.RECTIFIED).get()
    assert reported.rectified_on == date(2026, 11, 4)


def test_a_report_sent_back_after_the_end_still_counts_for_that_period(db):
    """GIVEN a report made in week 45 and sent back in week 46 WHEN each week is summed up THEN week 45
    counts it rectified (it was then), week 46 counts it overdue (it was no longer)."""
    office = UserFactory(roles=[Role.OFFICE])
    unit = DepartmentFactory()
    rectification = Rectification.objects.create(source="回访", unit=unit, owner="钱", problem="超时",
                                                 opened_on=date(2026, 11, 3), due_on=date(2026, 11, 12),
                                                 created_by=office)  # fmt: skip
    rectification = services.rectification_report(actor=office, request=None, rectification_id=rectification.pk,
                                                  version=rectification.version, measures="已整改",
                                                  rectified_on=date(2026, 11, 6))  # fmt: skip
    services.rectification_return(actor=office, request=None, rectification_id=rectification.pk,
                                  version=rectification.version, reason="未回复申请人")  # fmt: skip
    dated_history(rectification, date(2026, 11, 3), date(2026, 11, 6), date(2026, 11, 10))
    week45 = selectors.summary_figures(WEEK.start, WEEK.end)
    assert (week45.rectified_rate, week45.rectifications_overdue) == (Decimal("100.0"), 0)
    week46 = selectors.summary_figures(date(2026, 11, 9), date(2026, 11, 15))
    assert (week46.rectified_rate, week46.rectifications_overdue) == (Decimal("0.0"), 1)


def test_a_period_still_running_is_judged_as_of_today(db, client_for):
    """GIVEN a period that ends next week, one rectification past its deadline and one due tomorrow
    WHEN the figures are read today THEN only the first is overdue, as the list and the to-do say."""
    today = timezone.localdate()
    office = client_for(Role.OFFICE)
    unit = DepartmentFactory()

    def open_one(problem, due_on):
        return Rectification.objects.create(source="回访", unit=unit, owner="孙", problem=problem,
                                            opened_on=today - timedelta(days=3), due_on=due_on,
                                            created_by=office.user)  # fmt: skip

    late = open_one("已过期限", today - timedelta(days=1))
    open_one("明天到期", today + timedelta(days=1))
    period = Period.of(today - timedelta(days=3), today + timedelta(days=7))
    figures = selectors.summary_figures(period.start, period.end)
    assert figures.rectifications_overdue == 1
    assert dict(build_summary(period).table("supervision").rows)["期末逾期未整改"] == 1
    # the same one is flagged on the overdue list and the office's to-do
    listed = office.get(reverse("followups:rectification_list"), {"overdue": "1"}).content.decode()
    assert "已过期限" in listed
    assert "明天到期" not in listed
    late_section = {s.key: s for s in todo_for(office.user, today)}["rectifications_late"]
    assert late_section.count == 1
    assert late_section.items[0].url == reverse("followups:rectification_detail", args=[late.pk])
