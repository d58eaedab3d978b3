"""The weekly summary (周报): the period, every figure against a hand count, states as they were at the
period's end, the page, its Excel and PDF, the archive of both, and flat query counts."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from openpyxl import load_workbook

from ledger import charts
from ledger.filters import PeriodForm
from ledger.models import Export
from ledger.summary import Period, build_summary
from projects.models import Consultation, Project
from qinqing.roles import Role
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_text, require_cjk_font
from windows.models import Decision, Handoff, Meeting, Problem

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = Period.week(2026, 45)  # Monday 2 November to Sunday 8 November 2026


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def _history_before(obj, when: datetime) -> None:
    """Back-date every history row of ``obj`` so far (as if it had been recorded at ``when``)."""
    obj.history.all().update(history_date=when)


# --- the period -------------------------------------------------------------------------------------


def test_a_week_is_monday_to_sunday_and_labelled_with_its_number():
    assert (WEEK.start, WEEK.end) == (date(2026, 11, 2), date(2026, 11, 8))
    assert WEEK.label == "2026年第45周（2026年11月2日至2026年11月8日）"
    assert WEEK.short == "2026年第45周"
    assert Period.last_week(date(2026, 11, 11)) == WEEK
    assert Period.of(date(2026, 11, 2), date(2026, 11, 8)) == WEEK
    assert Period.of(date(2026, 11, 1), date(2026, 11, 30)).label == "2026年11月1日至2026年11月30日"
    # the last week of 2026 and the first of 2027 cross the new year
    assert Period.week(2026, 53).end == date(2027, 1, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"week": "2026-W54"}, "周次格式应为"),
        ({"week": "第45周"}, "周次格式应为"),
        ({"start": "2026-11-08", "end": "2026-11-02"}, "结束日期不能早于开始日期"),
        ({"start": "2026-11-08"}, "请同时填写开始日期和结束日期"),
        ({"start": "2024-01-01", "end": "2026-11-01"}, "日期范围最长"),
        ({"start": "2026-12-07", "end": "2026-12-13"}, "尚未开始"),
        ({"start": "2026-13-01", "end": "2026-12-13"}, "日期"),
    ],
)
def test_bad_periods_say_why(data, message):
    form = PeriodForm(data, today=date(2026, 11, 25))
    assert not form.is_valid()
    assert message in str(form.errors)


def test_a_bad_period_on_the_page_shows_the_message_and_no_figures(client_for):
    office = client_for(Role.OFFICE)
    response = office.get(reverse("ledger:summary"), {"start": "2026-11-08", "end": "2026-11-02"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert response.context["summary"] is None


def test_an_export_with_a_bad_period_is_refused_and_archives_nothing(client_for):
    office = client_for(Role.OFFICE)
    for name in ("ledger:summary_xlsx", "ledger:summary_pdf"):
        response = office.get(reverse(name), {"week": "2026-W99"}, follow=True)
        assert "期间有误，未导出" in response.content.decode()
    assert not Export.objects.exists()


# --- the figures against a hand count ---------------------------------------------------------------


@pytest.fixture
def week_data(db):
    """A small district: what happened in week 45, just before it and just after it."""
    stage1, stage2 = (
        StageFactory(number=1, name="立项用地规划许可阶段"),
        StageFactory(number=2, name="工程建设许可阶段"),
    )
    fire, plan = DepartmentFactory(name="区住房城乡建委"), DepartmentFactory(name="市规划自然资源局江北区分局")
    li, liu = (
        UserFactory(display_name="李晓帮", roles=[Role.SPECIALIST]),
        UserFactory(display_name="刘清", roles=[Role.SPECIALIST]),
    )
    old = ProjectFactory(
        name="老项目", specialist=li, registered_on=date(2026, 10, 12), current_stage=stage1, status="在办"
    )
    new = ProjectFactory(
        name="新项目", specialist=liu, registered_on=date(2026, 11, 3), current_stage=stage1, status="咨询中"
    )
    later = ProjectFactory(
        name="下周项目", specialist=li, registered_on=date(2026, 11, 10), current_stage=stage2, status="咨询中"
    )
    # walk-ins: three in the week (one general enquiry), one before, one after
    for when, kind, project, who in (
        (at(date(2026, 11, 2)), "咨询", old, li),
        (at(date(2026, 11, 4)), "报件", old, li),
        (at(date(2026, 11, 8), 23), "咨询", None, liu),
        (at(date(2026, 11, 1), 23), "咨询", None, liu),
        (at(date(2026, 11, 9), 0), "咨询", None, liu),
    ):
        Consultation.objects.create(
            project=project, visited_at=when, kind=kind, visitor_name="王先生", question="问", recorded_by=who
        )
    m_fire = MatterFactory(name="消防设计审查", stage=stage2, unit=fire)
    m_plan = MatterFactory(name="用地预审", stage=stage1, unit=plan)
    # done on time in the week (accepted Mon 2nd, due Fri 6th, done Thu 5th)
    on_time = ProjectMatterFactory(project=old, matter=m_plan, status="已办结", accepted_on=date(2026, 11, 2),
                                   due_on=date(2026, 11, 6), finished_on=date(2026, 11, 5), time_limit_workdays=4)  # fmt: skip
    # done late in the week (due Tue 3rd, done Fri 6th)
    late = ProjectMatterFactory(project=old, matter=m_fire, status="已办结", accepted_on=date(2026, 10, 27),
                                due_on=date(2026, 11, 3), finished_on=date(2026, 11, 6), time_limit_workdays=5)  # fmt: skip
    # overdue at the end of the week, done only afterwards (history says it was open then)
    overdue = ProjectMatterFactory(project=new, matter=m_fire, status="审查中", accepted_on=date(2026, 11, 3),
                                   due_on=date(2026, 11, 5), time_limit_workdays=2)  # fmt: skip
    _history_before(overdue, at(date(2026, 11, 3)))
    overdue.status, overdue.finished_on = "已办结", date(2026, 11, 10)
    overdue.save()
    # open, not yet due at the end of the week
    ProjectMatterFactory(project=new, matter=m_plan, status="已受理", accepted_on=date(2026, 11, 6),
                         due_on=date(2026, 11, 20), time_limit_workdays=10)  # fmt: skip
    # the old project moved on to stage 2 after the week: the week's summary still shows stage 1
    _history_before(old, at(date(2026, 10, 12)))
    old.current_stage = stage2
    old.save()
    # problems: raised in the week and still open; solved in the week; raised after the week
    p_open = Problem.objects.create(project=old, stage=stage1, description="红线冲突", owner_unit=plan,
                                    due_on=date(2026, 11, 5), raised_by=li)  # fmt: skip
    p_solved = Problem.objects.create(project=new, stage=stage2, description="意见不一", owner_unit=fire,
                                      due_on=date(2026, 11, 9), raised_by=liu, status="已解决", resolution="已统一")  # fmt: skip
    p_after = Problem.objects.create(project=new, stage=stage2, description="下周的问题", owner_unit=fire,
                                     due_on=date(2026, 11, 20), raised_by=liu)  # fmt: skip
    Problem.objects.filter(pk=p_open.pk).update(raised_at=at(date(2026, 11, 3)))
    Problem.objects.filter(pk=p_solved.pk).update(raised_at=at(date(2026, 11, 2)), closed_at=at(date(2026, 11, 4)))
    Problem.objects.filter(pk=p_after.pk).update(raised_at=at(date(2026, 11, 10)))
    # a joint meeting with two decisions, one carried out
    meeting = Meeting.objects.create(convened_by=fire, stage=stage2, held_on=date(2026, 11, 4), topic="消防会商",
                                     year=2026, serial=1, created_by=li)  # fmt: skip
    meeting.projects.set([old, new])
    Decision.objects.create(meeting=meeting, content="统一意见", unit=fire, due_on=date(2026, 11, 6),
                            status="已落实", closed_at=at(date(2026, 11, 6)))  # fmt: skip
    Decision.objects.create(meeting=meeting, content="补正材料", unit=plan, due_on=date(2026, 11, 20))
    # hand-offs: accepted on time, accepted late, still waiting
    for project, handed, accept_by, accepted in (
        (old, at(date(2026, 11, 2)), date(2026, 11, 3), at(date(2026, 11, 3))),
        (new, at(date(2026, 11, 2)), date(2026, 11, 3), at(date(2026, 11, 5))),
        (later, at(date(2026, 11, 6)), date(2026, 11, 9), None),
    ):
        Handoff.objects.create(project=project, stage=stage2, note="移交", handed_by=li, handed_at=handed,
                               accept_by=accept_by, accepted_at=accepted, status="已接收" if accepted else "待接收")  # fmt: skip
    return {"on_time": on_time, "late": late, "overdue": overdue, "li": li, "liu": liu}


def test_every_figure_matches_a_hand_count(week_data):
    summary = build_summary(WEEK)
    figures = dict(summary.figures)
    assert figures["来访登记"] == 3
    assert figures["其中报件"] == 1
    assert figures["未建档的一般咨询"] == 1
    assert figures["新建项目档案"] == 1
    assert figures["受理事项"] == 3  # accepted 2nd, 3rd and 6th
    assert figures["办结事项"] == 2
    assert figures["按时办结率"] == "50.0%"
    assert figures["期末逾期事项"] == 1
    assert figures["新提出难点堵点"] == 2
    assert figures["已解决难点堵点"] == 1
    assert figures["期末未解决难点堵点"] == 1
    assert figures["联席会议"] == 1
    assert figures["本期到期议定事项"] == 1
    assert figures["本期落实议定事项"] == 1
    assert figures["首问移交接收"] == 2
    assert figures["其中逾期接收"] == 1


def test_tables_list_what_a_reader_needs(week_data):
    summary = build_summary(WEEK)
    consultations = summary.table("consultations").rows
    assert consultations[-1][0] == "合计"
    assert consultations[-1][-1] == 3
    assert [r[1] for r in summary.table("new_projects").rows] == ["新项目"]
    # the old project was in stage 1 at the end of the week, although it is in stage 2 now
    projects = {r[0]: r for r in summary.table("projects").rows}
    assert projects["立项用地规划许可阶段"][-1] == 2
    assert projects["工程建设许可阶段"][-1] == 0
    # the overdue matter is listed by name with its working days late (due Thu 5th, end Sun 8th: Fri 6th)
    overdue = summary.table("overdue").rows
    assert [(r[0], r[1], r[3], r[4]) for r in overdue] == [("新项目", "消防设计审查", date(2026, 11, 5), 1)]
    # matters by stage and status, as they stood: the overdue one was still 审查中
    matters = {r[0]: r for r in summary.table("matters").rows}
    columns = summary.table("matters").columns
    assert matters["工程建设许可阶段"][columns.index("审查中")] == 1
    assert matters["工程建设许可阶段"][columns.index("已办结")] == 1
    # timeliness per unit: the fire unit finished one matter, late; planning one, on time in 3 working days
    units = {r[0]: r for r in summary.table("units").rows}
    assert units["区住房城乡建委"][2:6] == [1, 1, 0, Decimal("0.0")]
    assert units["区住房城乡建委"][-1] == 1  # overdue at the end of the week
    assert units["市规划自然资源局江北区分局"][2:7] == [1, 1, 1, Decimal("100.0"), Decimal("3.0")]
    problems = summary.table("problems").rows
    assert [(r[0], r[2], r[6]) for r in problems] == [("老项目", "红线冲突", "是")]
    assert summary.table("meetings").rows[0][2:] == ["消防会商", "区住房城乡建委", 2, 2, 1]
    handoffs = {r[0]: r for r in summary.table("handoffs").rows}
    assert handoffs["工程建设许可阶段"][1:] == [3, 2, 1, 1]
    workload = {r[0]: r for r in summary.table("workload").rows}
    assert workload["李晓帮"][1] == 2  # two walk-ins logged in the week
    assert workload["刘清"][1:3] == [1, 1]  # one walk-in, one new dossier
    assert workload["刘清"][-1] == 1  # the overdue matter is on his project


def test_the_per_stage_table_matches_a_hand_count(week_data):
    """GIVEN week 45's district plus a stage-2 matter paused for 补正材料 and a stage with no matters
    WHEN the summary is built
    THEN each stage's row (accepted, done, timed, on time, on-time rate, average working days net of
    the pause, open and overdue at the end) is what a clerk counts by hand."""
    from projects.models import MatterPause

    stage2 = week_data["late"].matter.stage
    StageFactory(number=4, name="竣工验收阶段")
    # accepted Mon 2nd, 补正 notified Tue 3rd, materials back Thu 5th, done Fri 6th, due Mon 9th:
    # working days in (2nd, 6th] are the 3rd, 4th, 5th and 6th; the 4th and 5th are paused → 2
    paused = ProjectMatterFactory(project=week_data["overdue"].project,
                                  matter=MatterFactory(name="人防设计审查", stage=stage2,
                                                       unit=DepartmentFactory(name="区人防办")),
                                  status="已办结", accepted_on=date(2026, 11, 2), due_on=date(2026, 11, 9),
                                  finished_on=date(2026, 11, 6), time_limit_workdays=5)  # fmt: skip
    MatterPause.objects.create(project_matter=paused, paused_on=date(2026, 11, 3), resumed_on=date(2026, 11, 5),
                               reason="补充人防计算书")  # fmt: skip
    table = build_summary(WEEK).table("stages")
    assert table.columns == ("阶段", "本期受理", "本期办结", "有时限的办结", "按时办结", "按时办结率（%）",
                             "平均办理工作日", "期末在办", "期末逾期")  # fmt: skip
    rows = {r[0]: r[1:] for r in table.rows}
    # stage 1: accepted the 2nd (done the 5th, on time, 3 working days) and the 6th (open, not due)
    assert rows["立项用地规划许可阶段"] == [2, 1, 1, 1, Decimal("100.0"), Decimal("3.0"), 1, 0]
    # stage 2: accepted in the week the 3rd (overdue at the end) and the 2nd (the paused one);
    # done: the late one (27 Oct → 6 Nov: 28, 29, 30 Oct and 2–6 Nov = 8 days) and the paused one
    # (2 days, on time): rate 1 of 2 = 50.0 %, average (8 + 2) / 2 = 5.0
    assert rows["工程建设许可阶段"] == [1 + 1, 2, 2, 1, Decimal("50.0"), Decimal("5.0"), 1, 1]
    # a stage where nothing happened still has its row, with dashes where nothing can be computed
    assert rows["竣工验收阶段"] == [0, 0, 0, 0, "—", "—", 0, 0]
    assert [r[0] for r in table.rows] == ["立项用地规划许可阶段", "工程建设许可阶段", "竣工验收阶段"]


def test_a_matter_finished_after_the_week_no_longer_counts_as_overdue_this_week(week_data):
    this_week = build_summary(Period.week(2026, 46))
    assert dict(this_week.figures)["期末逾期事项"] == 0
    assert dict(this_week.figures)["办结事项"] == 1  # finished on the 10th


def test_trend_counts_walk_ins_per_week(db):
    from ledger.summary import consultation_trend

    assert consultation_trend(WEEK, weeks=3) == [("第43周", 0), ("第44周", 0), ("第45周", 0)]


def test_trend_with_data(week_data):
    from ledger.summary import consultation_trend

    # week 44 had the walk-in of Sunday 1st at 23:00 (Shanghai time), week 45 three, week 46 one
    assert consultation_trend(Period.week(2026, 46), weeks=3) == [("第44周", 1), ("第45周", 3), ("第46周", 1)]


# --- the page, the Excel, the PDF -------------------------------------------------------------------


def test_only_the_reform_office_reads_the_summary(client_for):
    for role in (Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.ADMIN):
        client = client_for(role)
        for name in ("ledger:summary", "ledger:summary_xlsx", "ledger:summary_pdf"):
            assert client.get(reverse(name)).status_code == 403, (role, name)


def test_the_page_defaults_to_last_week_with_figures_charts_and_tables(client_for, week_data):
    office = client_for(Role.OFFICE)
    response = office.get(reverse("ledger:summary"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.period == Period.last_week(timezone.localdate())
    page = office.get(reverse("ledger:summary"), {"week": "2026-W45"}).content.decode()
    assert "2026年第45周" in page
    assert page.count("<svg") == 3
    for title in ("每周来访登记", "办理事项按阶段和状态", "各责任单位按时办结率"):
        assert title in page
    assert "红线冲突" in page  # the open problem and the overdue matter by name
    assert "消防设计审查" in page
    assert 'value="2026-W45"' in page  # the form shows the period


def test_charts_escape_labels():
    svg = charts.rate_bars([("<script>alert(1)</script>", Decimal("50.0"), 2)], "率")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    svg = charts.stacked_bars(["<b>"], [("已受理", [1])])
    assert "<b>" not in svg
    assert charts.column_chart([("第1周", 0)]).count("<rect") == 1


def test_excel_has_one_sheet_per_section_with_real_numbers(client_for, week_data):
    office = client_for(Role.OFFICE)
    response = office.get(reverse("ledger:summary_xlsx"), {"week": "2026-W45"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    summary = build_summary(WEEK)
    # the page's order: 概况, the three charts (issue 17: each a native chart beside its figures), the sections
    charts = [f"图{n} {data.title}"[:31] for n, data in enumerate(summary.chart_data, start=1)]
    assert book.sheetnames == ["概况", *charts, *(t.title for t in summary.tables)]
    overview = book["概况"]
    assert "亲清帮办服务周报" in overview["A1"].value
    assert "2026年第45周" in overview["A2"].value
    assert [c.value for c in overview[4]] == ["指标", "数值"]
    assert [c.value for c in overview[5]] == ["来访登记", 3]
    units = book["各责任单位办理时效"]
    assert units.freeze_panes == "A5"
    header = [c.value for c in units[4]]
    assert header[0] == "责任单位"
    assert "按时办结率" in header  # the cell carries the percent format (issue 17)
    rows = {r[0].value: [c.value for c in r] for r in units.iter_rows(min_row=5)}
    assert rows["市规划自然资源局江北区分局"][5] == 1  # a number (100 %), not text
    overdue = book["逾期未办结事项（截至期末）"]
    assert overdue["A5"].value == "新项目"
    assert overdue["D5"].value.date() == date(2026, 11, 5)


def test_pdf_is_a_formal_document_with_a_cjk_font(client_for, week_data):
    require_cjk_font()
    office = client_for(Role.OFFICE, display_name="赵督查")
    response = office.get(reverse("ledger:summary_pdf"), {"week": "2026-W45"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_cjk_fonts_embedded(response.content)
    text = flat(pdf_text(response.content))
    for expected in (
        "亲清帮办服务周报",
        "2026年第45周",
        "区工改办",
        "制表人：赵督查",
        "第1页",
        "红线冲突",
        "每周来访登记",
    ):
        assert expected in text, expected


# --- the archive ---------------------------------------------------------------------------------------


def test_every_export_is_archived_and_downloads_again_byte_for_byte(client_for, week_data):
    office = client_for(Role.OFFICE)
    issued = office.get(reverse("ledger:summary_pdf"), {"week": "2026-W45"})
    export = Export.objects.get()
    assert export.kind == Export.Kind.SUMMARY_PDF
    assert export.created_by == office.user
    assert export.title == "周报 2026年第45周"
    assert export.described == WEEK.label
    assert export.params == "week=2026-W45"
    assert export.row_count == build_summary(WEEK).row_count
    # the data changes afterwards; the archived document does not
    ProjectFactory(name="后来的项目", registered_on=date(2026, 11, 4))
    again = office.get(reverse("ledger:export_download", args=[export.pk]))
    assert again.status_code == 200
    assert again.content == issued.content
    assert escape_uri_path("亲清帮办周报-2026年第45周.pdf") in again["Content-Disposition"]
    # another office member sees it; a specialist does not even learn it exists
    colleague = client_for(Role.OFFICE)
    assert colleague.get(reverse("ledger:export_download", args=[export.pk])).content == issued.content
    specialist = client_for(Role.SPECIALIST)
    assert specialist.get(reverse("ledger:export_download", args=[export.pk])).status_code == 404
    assert "周报 2026年第45周" not in specialist.get(reverse("ledger:export_list")).content.decode()


def test_the_archive_lists_ones_own_exports_and_the_office_sees_all(client_for):
    specialist = client_for(Role.SPECIALIST, display_name="李晓帮")
    specialist.get(reverse("ledger:export_xlsx"))
    office = client_for(Role.OFFICE)
    office.get(reverse("ledger:export_xlsx"), {"q": "滨江"})
    assert Export.objects.count() == 2
    own = specialist.get(reverse("ledger:export_list"))
    assert [e.created_by for e in own.context["page"]] == [specialist.user]
    everything = office.get(reverse("ledger:export_list")).content.decode()
    assert "李晓帮" in everything
    assert "查找：滨江" in everything
    filtered = office.get(reverse("ledger:export_list"), {"kind": "summary_pdf"})
    assert list(filtered.context["page"]) == []
    assert client_for(Role.ADMIN).get(reverse("ledger:export_list")).status_code == 403


def test_a_failing_export_leaves_nothing_behind(client_for, monkeypatch, settings):
    office = client_for(Role.OFFICE)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("ledger.exports.summary_pdf", broken)
    with pytest.raises(RuntimeError):
        office.get(reverse("ledger:summary_pdf"), {"week": "2026-W45"})
    assert not Export.objects.exists()


def test_a_failure_after_the_file_is_stored_removes_the_file(client_for, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    office = client_for(Role.OFFICE)

    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("ledger.archive.audit.record", refuse)
    with pytest.raises(RuntimeError):
        office.get(reverse("ledger:summary_xlsx"), {"week": "2026-W45"})
    assert not Export.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_altered_archive_file_is_not_served(client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    office = client_for(Role.OFFICE)
    office.get(reverse("ledger:summary_xlsx"), {"week": "2026-W45"})
    export = Export.objects.get()
    (tmp_path / export.file.name).write_bytes(b"tampered")
    response = office.get(reverse("ledger:export_download", args=[export.pk]))
    assert response.status_code == 410
    assert "校验不符" in response.content.decode()


def test_archive_rows_cannot_be_changed_or_deleted(client_for):
    office = client_for(Role.OFFICE)
    office.get(reverse("ledger:summary_xlsx"), {"week": "2026-W45"})
    export = Export.objects.get()
    export.title = "改过的"
    with pytest.raises(PermissionError):
        export.save()
    with pytest.raises(PermissionError):
        Export.objects.all().delete()


# --- query counts and the office's workbench -----------------------------------------------------


def _grow(n: int) -> None:
    stage = StageFactory()
    project = ProjectFactory(registered_on=date(2026, 11, 3), current_stage=stage)
    for i in range(n):
        unit = DepartmentFactory()
        pm = ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage, unit=unit), unit=unit,
                                  status="已办结", accepted_on=date(2026, 11, 2), due_on=date(2026, 11, 4),
                                  finished_on=date(2026, 11, 4 + i % 2))  # fmt: skip
        _history_before(pm, at(date(2026, 11, 2)))
        pm.status = "已办结"
        pm.save()  # changed after the week: read from history
        Consultation.objects.create(project=project, visited_at=at(date(2026, 11, 3)), kind="咨询",
                                    visitor_name="甲", question="问", recorded_by=project.specialist)  # fmt: skip
        Problem.objects.create(project=project, stage=stage, description=f"问题{i}", owner_unit=unit,
                               due_on=date(2026, 11, 6), raised_by=project.specialist)  # fmt: skip


def test_the_summary_costs_the_same_queries_for_2_and_30_records(client_for):
    office = client_for(Role.OFFICE)
    office.get(reverse("ledger:summary"), {"week": "2026-W45"})  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = office.get(reverse("ledger:summary"), {"week": "2026-W45"})
        assert response.status_code == 200
        return len(queries)

    _grow(2)
    small = count()
    _grow(28)
    assert count() == small


def test_the_office_workbench_shows_this_weeks_figures_and_charts(client_for):
    office = client_for(Role.OFFICE)
    page = office.get(reverse("ledger:workbench")).content.decode()
    assert "本周概况" in page
    assert page.count("<svg") == 2
    assert "来访登记" in page
    assert "按时办结率" in page
    assert reverse("ledger:summary") in page
    specialist_page = client_for(Role.SPECIALIST).get(reverse("ledger:workbench")).content.decode()
    assert "本周概况" not in specialist_page


def test_projects_counted_by_their_registration_when_history_is_later(db):
    """Imported projects (history written today, registered last month) count by their dates."""
    ProjectFactory(registered_on=date(2026, 11, 2), status="在办")
    assert Project.objects.count() == 1
    rows = build_summary(WEEK).table("projects").rows
    assert rows[-1][0] == "合计"
    assert rows[-1][-1] == 1
    assert build_summary(Period.week(2026, 44)).table("projects").rows[-1][-1] == 0


# --- states at the period's end, judged by business dates (review findings) ------------------------


def test_a_matter_added_after_the_week_is_not_in_that_weeks_distribution(db):
    project = ProjectFactory(registered_on=date(2026, 10, 1))
    ProjectMatterFactory(project=project, status="已办结", accepted_on=date(2026, 11, 20), due_on=date(2026, 11, 27),
                         finished_on=date(2026, 11, 23))  # fmt: skip
    ProjectMatterFactory(project=project, status="审查中", accepted_on=date(2026, 11, 20), due_on=date(2026, 11, 21))
    summary = build_summary(WEEK)
    assert summary.table("matters").rows[-1][-1] == 0
    assert dict(summary.figures)["期末逾期事项"] == 0


def test_an_acceptance_entered_late_with_an_earlier_date_counts_at_that_date(db):
    pm = ProjectMatterFactory(project=ProjectFactory(registered_on=date(2026, 10, 1)), status="待申报")
    _history_before(pm, at(date(2026, 11, 1)))
    pm.status, pm.accepted_on, pm.due_on = "审查中", date(2026, 11, 3), date(2026, 11, 5)
    pm.save()  # entered on a later day, dated the 3rd (due Thursday the 5th: overdue by Friday the 6th)
    summary = build_summary(WEEK)
    matters = summary.table("matters")
    assert summary.table("matters").rows[-1][matters.columns.index("已受理")] == 1
    assert dict(summary.figures)["期末逾期事项"] == 1
    assert dict(summary.figures)["受理事项"] == 1


def test_a_project_completed_after_a_week_is_not_done_in_that_week(db):
    ProjectFactory(registered_on=date(2026, 3, 1), status="已办结", completed_on=date(2026, 9, 30))
    june = build_summary(Period.week(2026, 25)).table("projects")
    totals = june.rows[-1]
    assert totals[june.columns.index("已办结")] == 0
    assert totals[june.columns.index("在办")] == 1
    october = build_summary(Period.week(2026, 40)).table("projects").rows[-1]
    assert october[june.columns.index("已办结")] == 1


def test_a_week_still_running_counts_overdue_as_of_today(db):
    today = timezone.localdate()
    this_week = Period.last_week(today + timedelta(days=7))
    project = ProjectFactory(registered_on=today - timedelta(days=30))
    ProjectMatterFactory(project=project, status="审查中", accepted_on=today - timedelta(days=3),
                         due_on=today + timedelta(days=1))  # fmt: skip
    # past its due date by more than the longest run of days off (a week's end never hides it)
    ProjectMatterFactory(project=project, status="审查中", accepted_on=today - timedelta(days=25),
                         due_on=today - timedelta(days=15))  # fmt: skip
    assert dict(build_summary(this_week).figures)["期末逾期事项"] == 1


@pytest.mark.parametrize("data", [{"week": "0001-W01"}, {"start": "0001-01-01", "end": "0001-01-10"}])
def test_dates_before_2000_are_refused(data):
    form = PeriodForm(data, today=date(2026, 11, 25))
    assert not form.is_valid()
    assert "2000" in str(form.errors)


def test_a_phone_number_searched_for_is_masked_in_the_archive_and_the_log(client_for):
    from qinqing.models import AuditEntry

    specialist = client_for(Role.SPECIALIST)
    specialist.get(reverse("ledger:export_xlsx"), {"q": "13983012345"})
    export = Export.objects.get()
    assert "13983012345" not in export.described
    assert "139****2345" in export.described
    assert "13983012345" not in export.params
    for entry in AuditEntry.objects.all():
        assert "13983012345" not in entry.detail
        assert "13983012345" not in entry.path


def test_a_dossier_pdf_is_not_downloadable_after_the_project_is_handed_on(client_for):
    specialist = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=specialist.user)
    specialist.get(reverse("ledger:dossier_pdf", args=[project.pk]))
    export = Export.objects.get()
    assert specialist.get(reverse("ledger:export_download", args=[export.pk])).status_code == 200
    project.specialist = UserFactory(roles=[Role.SPECIALIST])
    project.save()
    assert specialist.get(reverse("ledger:export_download", args=[export.pk])).status_code == 404
    assert client_for(Role.OFFICE).get(reverse("ledger:export_download", args=[export.pk])).status_code == 200


def test_the_archive_keeps_dates_in_its_parameters_and_masks_only_typed_numbers(client_for):
    """A date range is not mistaken for a phone number (the parameters must still say which period
    was exported); a phone typed into the search is masked, also when typed with spaces."""
    from urllib.parse import parse_qs

    office = client_for(Role.OFFICE)
    office.get(reverse("ledger:summary_xlsx"), {"start": "2026-11-01", "end": "2026-11-30"})
    assert Export.objects.get().params == "start=2026-11-01&end=2026-11-30"
    office.get(reverse("ledger:export_xlsx"), {"q": "139 8301 2345", "registered_from": "2026-01-01"})
    export = Export.objects.get(kind=Export.Kind.LEDGER_XLSX)
    assert parse_qs(export.params) == {"q": ["139****2345"], "registered_from": ["2026-01-01"]}
    assert export.described == "查找：139****2345；登记日期从：2026-01-01"


def test_a_long_overdue_list_is_cut_on_the_page_and_in_the_pdf_but_whole_in_excel(client_for, week_data, monkeypatch):
    """A weekly report names the longest-overdue matters; past OVERDUE_SHOWN the page and the PDF
    say how many more there are, and the Excel sheet lists every one."""
    from ledger import summary

    monkeypatch.setattr(summary, "OVERDUE_SHOWN", 0)
    office = client_for(Role.OFFICE)
    page = office.get(reverse("ledger:summary"), {"week": "2026-W45"}).content.decode()
    assert "共 1 项，此处列出前 0 项（逾期最久的在前），其余 1 项见周报 Excel" in page
    assert "新项目" not in page.split('data-testid="summary-overdue"')[1].split("</section>")[0]
    book = load_workbook(io.BytesIO(office.get(reverse("ledger:summary_xlsx"), {"week": "2026-W45"}).content))
    assert book["逾期未办结事项（截至期末）"]["A5"].value == "新项目"
    monkeypatch.setattr(summary, "OVERDUE_SHOWN", 100)
    page = office.get(reverse("ledger:summary"), {"week": "2026-W45"}).content.decode()
    assert 'data-testid="summary-overdue-cut"' not in page


def test_the_page_reads_only_the_listed_overdue_matters_longest_overdue_first(week_data, monkeypatch):
    """GIVEN three matters overdue at the end of the week, due on different days, and a page that lists two
    THEN the page's summary holds the two longest overdue, knows there are three, and leaves one to the
    Excel; the full summary (for the Excel) holds all three in the same order; the Excel refuses a
    summary built for the page rather than silently writing a short sheet."""
    from ledger import exports, summary

    overdue = week_data["overdue"]
    for due in (date(2026, 11, 2), date(2026, 11, 4)):
        matter = ProjectMatterFactory(project=overdue.project, status="已受理", accepted_on=date(2026, 10, 26),
                                      due_on=due, time_limit_workdays=3)  # fmt: skip
        _history_before(matter, at(date(2026, 10, 26)))
    monkeypatch.setattr(summary, "OVERDUE_SHOWN", 2)
    page = build_summary(WEEK).table("overdue")
    assert [row[3] for row in page.rows] == [date(2026, 11, 2), date(2026, 11, 4)]
    assert (page.count, len(page.listed), page.cut, page.complete) == (3, 2, 1, False)
    assert dict(build_summary(WEEK).figures)["期末逾期事项"] == 3
    whole = build_summary(WEEK, full=True).table("overdue")
    assert [row[3] for row in whole.rows] == [date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5)]
    assert (whole.count, whole.cut, whole.complete) == (3, 1, True)
    assert build_summary(WEEK).row_count == build_summary(WEEK, full=True).row_count
    with pytest.raises(ValueError, match="逾期未办结事项"):
        exports.summary_workbook(build_summary(WEEK), exporter="测试")
    book = load_workbook(io.BytesIO(exports.summary_workbook(build_summary(WEEK, full=True), exporter="测试")))
    assert [book["逾期未办结事项（截至期末）"][f"D{r}"].value.date() for r in (5, 6, 7)] == [
        date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5),
    ]  # fmt: skip


def test_the_summary_reads_as_many_queries_with_a_long_overdue_list(week_data, monkeypatch):
    """Reading the listed overdue matters' names is one query, however many are overdue."""
    from ledger import summary

    monkeypatch.setattr(summary, "OVERDUE_SHOWN", 2)
    with CaptureQueriesContext(connection) as one:
        build_summary(WEEK)
    overdue = week_data["overdue"]
    for day in range(2, 5):
        matter = ProjectMatterFactory(project=overdue.project, status="已受理", accepted_on=date(2026, 10, 26),
                                      due_on=date(2026, 11, day), time_limit_workdays=3)  # fmt: skip
        _history_before(matter, at(date(2026, 10, 26)))
    with CaptureQueriesContext(connection) as many:
        result = build_summary(WEEK)
    assert result.table("overdue").count == 4
    assert len(many) == len(one)
