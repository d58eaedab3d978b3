"""The weekly summary reads every "截至期末" figure as things stood at the period's end, by business
dates, and all its sections agree (issue 17): the overdue list's status is the status then, not
today's; a 补正 running over the end stops the clock; nothing overdue shows 0 overdue days."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from ledger.summary import Period, build_summary
from projects import services
from projects.models import ProjectMatter
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, StageFactory

S, R = ProjectMatter.Status, ProjectMatter.Result
WEEK = Period.week(2026, 45)  # Monday 2 November to Sunday 8 November 2026


def move(pm, to, on, **extra):
    pm.refresh_from_db()
    return services.matter_move(
        actor=pm.project.specialist, request=None, project_matter_id=pm.pk, version=pm.version, to_status=to, on=on,
        **extra,
    )  # fmt: skip


@pytest.fixture
def moved_after_the_week(db):
    """Matters entered today with their business dates: accepted before week 45, moved on after it
    (so nothing in the history was recorded before the week's end: only the dates tell)."""
    stage = StageFactory(number=2, name="工程建设许可阶段")
    unit = DepartmentFactory(name="区住房城乡建委")
    project = ProjectFactory(name="江北嘴安置房", registered_on=date(2026, 10, 20))
    matters = {}
    for key in "ABCDEF":
        catalogue = MatterFactory(name=f"事项{key}", stage=stage, unit=unit, time_limit_workdays=3)
        matters[key] = ProjectMatterFactory(project=project, matter=catalogue)
    # A: accepted Mon 26 Oct (due Thu 29 Oct), entered review only after the week
    move(matters["A"], S.ACCEPTED, date(2026, 10, 26))
    move(matters["A"], S.REVIEWING, date(2026, 11, 10))
    # B: asked for materials in time (the clock stops), supplied after the week
    move(matters["B"], S.ACCEPTED, date(2026, 10, 26))
    move(matters["B"], S.SUPPLEMENT, date(2026, 10, 27), reason="缺施工图")
    move(matters["B"], S.REVIEWING, date(2026, 11, 12))
    # C: in review before the week, done after it
    move(matters["C"], S.ACCEPTED, date(2026, 10, 26))
    move(matters["C"], S.REVIEWING, date(2026, 10, 27))
    move(matters["C"], S.DONE, date(2026, 11, 11), result=R.PASSED)
    # D: done (late) in the week
    move(matters["D"], S.ACCEPTED, date(2026, 10, 26))
    move(matters["D"], S.DONE, date(2026, 11, 4), result=R.PASSED)
    # E: materials asked for after its due date (the clock keeps running), supplied after the week
    move(matters["E"], S.ACCEPTED, date(2026, 10, 26))
    move(matters["E"], S.REVIEWING, date(2026, 10, 27))
    move(matters["E"], S.SUPPLEMENT, date(2026, 11, 4), reason="补充消防专篇")
    move(matters["E"], S.REVIEWING, date(2026, 11, 13))
    # F: accepted Tue 3 Nov, due Fri 6 Nov: at Sunday's end no working day has passed since
    move(matters["F"], S.ACCEPTED, date(2026, 11, 3))
    move(matters["F"], S.REVIEWING, date(2026, 11, 5))
    return matters


def test_every_section_reads_the_state_at_the_end_of_the_week(moved_after_the_week):
    summary = build_summary(WEEK)
    figures = dict(summary.figures)

    # 九: the overdue list, with each matter's status at the end of the week (not today's)
    overdue = summary.table("overdue")
    columns = overdue.columns
    listed = {row[1]: row for row in overdue.rows}
    status_then = {name: row[columns.index("期末状态")] for name, row in listed.items()}
    assert status_then == {"事项A": S.ACCEPTED, "事项C": S.REVIEWING, "事项E": S.SUPPLEMENT}
    # due Thu 29 Oct: Fri 30 Oct and Mon 2 – Fri 6 Nov are working days past it
    assert {row[columns.index("逾期工作日")] for row in overdue.rows} == {6}
    assert all(row[columns.index("逾期工作日")] >= 1 for row in overdue.rows)

    # 六: matters by status at the end, the same states
    matters = summary.table("matters")
    totals = dict(zip(matters.columns, matters.rows[-1], strict=True))
    assert (totals[S.ACCEPTED], totals[S.REVIEWING], totals[S.SUPPLEMENT], totals[S.DONE]) == (1, 2, 2, 1)
    for status, n in Counter(status_then.values()).items():
        assert n <= totals[status], f"{status}：逾期清单 {n} 项，分布表只有 {totals[status]} 项"

    # 概况, 七, 八 and the workload: the same three overdue and five open matters
    assert figures["期末逾期事项"] == overdue.count == 3
    for key in ("units", "stages"):
        table = summary.table(key)
        assert sum(row[table.columns.index("期末逾期")] for row in table.rows) == 3
        assert sum(row[table.columns.index("期末在办")] for row in table.rows) == 5
    workload = summary.table("workload")
    assert sum(row[workload.columns.index("期末逾期事项")] for row in workload.rows) == 3
    assert sum(row[workload.columns.index("期末在办事项")] for row in workload.rows) == 5
    # the chart of matters by stage and status draws the same counts
    assert "审查中：2" in str(summary.charts[1])
    assert "补正材料：2" in str(summary.charts[1])


def test_a_matter_due_on_the_last_working_day_is_not_yet_overdue(moved_after_the_week):
    """F is due on Friday 6 November; the week ends on Sunday: it shows in no overdue figure."""
    summary = build_summary(WEEK)
    assert "事项F" not in [row[1] for row in summary.table("overdue").rows]
    # the next week it is (Monday 9 November is a working day past its due date)… unless it was done by then
    following = build_summary(Period.week(2026, 46))
    assert "事项F" in [row[1] for row in following.table("overdue").rows]


def test_today_the_same_matters_read_as_they_are_now(moved_after_the_week):
    """The week of the moves: the states are today's (B and E back in review, C done)."""
    summary = build_summary(Period.of(date(2026, 11, 9), date(2026, 11, 15)))
    matters = summary.table("matters")
    totals = dict(zip(matters.columns, matters.rows[-1], strict=True))
    assert (totals[S.REVIEWING], totals[S.SUPPLEMENT], totals[S.DONE]) == (4, 0, 2)
