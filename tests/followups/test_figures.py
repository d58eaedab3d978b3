"""The supervision figures of the weekly summary, against a hand count on a small data set."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from followups import selectors
from followups.models import Escalation, Inspection, Notice, Rectification, Visit
from ledger.summary import Period, build_summary
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = Period.week(2026, 45)  # 2–8 November 2026


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


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
    assert figures.rectifications_opened == 1
    assert figures.rectifications_closed == 1
    # two opened by the week's end; one rectified (and called back), one overdue and not rectified
    assert figures.rectified_rate == Decimal("50.0")
    assert figures.callback_rate == Decimal("100.0")
    assert figures.rectifications_overdue == 1
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
    assert supervision["期末逾期未整改"] == 1
    assert supervision["整改完成率（截至期末，%）"] == Decimal("50.0")
