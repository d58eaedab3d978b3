"""The ledger's Excel export: exactly the filtered rows, read back column by column."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ledger.models import Export
from projects import services
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_page_size, pdf_text, require_cjk_font
from tests.xlsx import shown_fill
from windows import services as window_services

LEDGER_HEADER = [
    "序号", "登记日期", "项目名称", "项目代码", "建设单位", "联系人及电话", "投资类型", "建设性质", "总投资（万元）",
    "重点项目", "所处阶段", "帮办专员", "咨询/报件事项", "一次性告知情况", "办理进度", "存在问题", "协调解决情况", "办结时间", "备注",
    "预警状态",
]  # fmt: skip
MATTER_HEADER = [
    "项目", "事项", "责任单位", "办理方式", "受理日期", "承诺时限（工作日）", "到期日", "状态", "办结日期", "是否逾期",
    "预警状态",
]  # fmt: skip
# Excel's 好 / 适中 / 差 fills: what an office reader knows as green, amber and red
FILLS = {"正常": "C6EFCE", "预警": "FFEB9C", "逾期": "FFC7CE"}


def _book(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def _values(sheet, row: int) -> list:
    return [c.value for c in sheet[row]]


def _open_matter(project, *, due_on, warn_on, name=None):
    """An open matter (已受理) with the given deadline and warning day, as the services would set them."""
    return ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name=name or f"{project.name}的事项"),
        status="已受理",
        accepted_on=due_on - timedelta(days=10),
        due_on=due_on,
        warn_on=warn_on,
        time_limit_workdays=5,
    )


def test_export_matches_the_filter_column_by_column(client_for):
    office = client_for(Role.OFFICE)
    project = ProjectFactory(
        name="滨江花园", code="2601-500105-04-01-38271X", contact_name="陈建国", contact_phone="13983012345"
    )
    pm = ProjectMatterFactory(project=project, matter=MatterFactory(name="消防设计审查", time_limit_workdays=5))
    services.matter_move(
        actor=project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    ProjectFactory(name="观音桥改造")
    response = office.get(reverse("ledger:export_xlsx"), {"q": "滨江"})
    book = _book(response)
    assert book.sheetnames == ["工作台账", "办理事项"]
    sheet = book["工作台账"]
    assert "工作台账" in sheet["A1"].value
    assert "查找：滨江" in sheet["A2"].value
    assert _values(sheet, 4) == LEDGER_HEADER
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:T5"
    row = [c.value for c in sheet[5]]
    assert row[0] == 1
    assert row[1].date() == date(2026, 1, 5)
    assert row[2] == "滨江花园"
    assert row[5] == "陈建国 139****2345"
    assert row[14] == "0/1"
    assert row[19] == "逾期"
    assert sheet.max_row == 5  # only the filtered project
    matters = book["办理事项"]
    assert "办理事项明细" in matters["A1"].value
    assert "查找：滨江" in matters["A2"].value
    assert _values(matters, 4) == MATTER_HEADER
    assert matters.freeze_panes == "A5"
    assert matters.auto_filter.ref == "A4:K5"
    first = [c.value for c in matters[5]]
    assert first[:4] == ["滨江花园", "消防设计审查", pm.unit.name, "常规"]
    assert first[4].date() == date(2026, 3, 2)
    assert first[5] == 5
    assert first[6].date() == date(2026, 3, 9)
    assert first[9] == "是"
    assert first[10] == "逾期"
    every_value = [str(c.value) for ws in book.worksheets for line in ws.iter_rows() for c in line]
    assert not any("13983012345" in v for v in every_value)
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == office.user
    assert "1 行" in entry.detail
    export = Export.objects.get()
    assert (export.kind, export.row_count, export.created_by) == ("ledger_xlsx", 1, office.user)
    assert export.sha256 == hashlib.sha256(response.content).hexdigest()


def test_formula_like_text_is_written_as_text(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory(name='=HYPERLINK("http://x")', builder="+1+2", note="@SUM(A1)")
    sheet = _book(office.get(reverse("ledger:export_xlsx")))["工作台账"]
    for column in ("C", "E", "S"):
        cell = sheet[f"{column}5"]
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    assert sheet["C5"].value == '=HYPERLINK("http://x")'


def test_a_leading_minus_or_tab_is_text_on_both_sheets(client_for):
    """GIVEN a project, builder, matter and unit whose names begin with - , a tab, = and @
    WHEN the ledger is exported
    THEN every such cell on both sheets is a quote-prefixed text cell, its value unchanged."""
    office = client_for(Role.OFFICE)
    project = ProjectFactory(name="-2+3*cmd|' /C calc'!A0", builder="\t=1+1", note="-备注")
    unit = DepartmentFactory(name="@单位")
    ProjectMatterFactory(project=project, matter=MatterFactory(name="\t+事项", unit=unit), unit=unit)
    book = _book(office.get(reverse("ledger:export_xlsx")))
    ledger, matters = book["工作台账"], book["办理事项"]
    cells = [ledger["C5"], ledger["E5"], ledger["S5"], matters["A5"], matters["B5"], matters["C5"]]
    assert [c.value for c in cells] == ["-2+3*cmd|' /C calc'!A0", "\t=1+1", "-备注", "-2+3*cmd|' /C calc'!A0",
                                        "\t+事项", "@单位"]  # fmt: skip
    for cell in cells:
        assert (cell.coordinate, cell.data_type, cell.quotePrefix) == (cell.coordinate, "s", True)
    # ordinary text is not quote-prefixed
    assert matters["H5"].value == "待申报"
    assert matters["H5"].quotePrefix is False


def test_column_widths_are_set_on_both_sheets(client_for):
    from ledger.exports import LEDGER_WIDTHS, MATTER_WIDTHS

    office = client_for(Role.OFFICE)
    ProjectMatterFactory(project=ProjectFactory())
    book = _book(office.get(reverse("ledger:export_xlsx")))
    for name, widths, header in (
        ("工作台账", LEDGER_WIDTHS, LEDGER_HEADER),
        ("办理事项", MATTER_WIDTHS, MATTER_HEADER),
    ):
        sheet = book[name]
        assert len(widths) == len(header)
        read = [sheet.column_dimensions[get_column_letter(i)].width for i in range(1, len(header) + 1)]
        assert read == list(widths), name
    # the ones a reader notices: a narrow 序号, wide name and problem columns, a readable 预警状态
    ledger = book["工作台账"]
    assert ledger.column_dimensions["A"].width == 6
    assert ledger.column_dimensions["C"].width == 28
    assert ledger.column_dimensions["P"].width == 30
    assert ledger.column_dimensions["T"].width == 10


def test_warning_states_are_coloured_on_both_sheets(client_for):
    """GIVEN projects with an overdue, a warned, a normal open matter, and one with no matter
    WHEN the ledger is exported
    THEN the 预警状态 column says 逾期 / 预警 / 正常 on red / amber / green, and the project with no
    deadline has an empty, uncoloured cell; the matters sheet colours each matter the same way."""
    office = client_for(Role.OFFICE)
    today = timezone.localdate()
    late = ProjectFactory(name="甲逾期", registered_on=date(2026, 1, 4))
    warned = ProjectFactory(name="乙预警", registered_on=date(2026, 1, 3))
    normal = ProjectFactory(name="丙正常", registered_on=date(2026, 1, 2))
    ProjectFactory(name="丁无事项", registered_on=date(2026, 1, 1))
    _open_matter(late, due_on=today - timedelta(days=1), warn_on=today - timedelta(days=3))
    _open_matter(warned, due_on=today + timedelta(days=1), warn_on=today - timedelta(days=1))
    _open_matter(normal, due_on=today + timedelta(days=30), warn_on=today + timedelta(days=28))
    book = _book(office.get(reverse("ledger:export_xlsx")))
    ledger = book["工作台账"]
    states = {ledger.cell(row=r, column=3).value: ledger.cell(row=r, column=20) for r in range(5, 9)}
    assert {name: cell.value for name, cell in states.items()} == {
        "甲逾期": "逾期", "乙预警": "预警", "丙正常": "正常", "丁无事项": None,
    }  # fmt: skip
    assert {name: shown_fill(cell) for name, cell in states.items()} == {
        "甲逾期": FILLS["逾期"], "乙预警": FILLS["预警"], "丙正常": FILLS["正常"], "丁无事项": None,
    }  # fmt: skip
    # only the state cell is coloured, not the rest of the row
    assert shown_fill(ledger.cell(row=5, column=3)) is None
    matters = book["办理事项"]
    by_project = {matters.cell(row=r, column=1).value: matters.cell(row=r, column=11) for r in range(5, 8)}
    assert {name: (cell.value, shown_fill(cell)) for name, cell in by_project.items()} == {
        "甲逾期": ("逾期", FILLS["逾期"]), "乙预警": ("预警", FILLS["预警"]), "丙正常": ("正常", FILLS["正常"]),
    }  # fmt: skip


def test_the_page_shows_the_same_states_as_the_excel(client_for):
    office = client_for(Role.OFFICE)
    today = timezone.localdate()
    warned = ProjectFactory(name="乙预警")
    _open_matter(warned, due_on=today + timedelta(days=1), warn_on=today)
    normal = ProjectFactory(name="丙正常")
    _open_matter(normal, due_on=today + timedelta(days=30), warn_on=today + timedelta(days=28))
    page = office.get(reverse("ledger:index"))
    assert {r.name: r.warning for r in page.context["rows"]} == {"乙预警": "预警", "丙正常": "正常"}
    body = page.content.decode()
    assert 'data-warning="预警"' in body
    assert 'data-warning="正常"' in body


def test_export_keeps_each_roles_scope(client_for):
    specialist = client_for(Role.SPECIALIST)
    ProjectFactory(name="我的项目", specialist=specialist.user)
    ProjectFactory(name="别人的项目")
    sheet = _book(specialist.get(reverse("ledger:export_xlsx")))["工作台账"]
    assert [sheet.cell(row=r, column=3).value for r in range(5, sheet.max_row + 1)] == ["我的项目"]


def test_a_bad_filter_exports_nothing(client_for):
    office = client_for(Role.OFFICE)
    response = office.get(
        reverse("ledger:export_xlsx"), {"registered_from": "2026-12-01", "registered_to": "2026-01-01"}, follow=True
    )
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()
    assert not Export.objects.exists()


def test_pdf_export_is_a_landscape_document_with_a_cjk_font(client_for):
    require_cjk_font()
    office = client_for(Role.OFFICE)
    ProjectFactory(name="滨江花园", contact_phone="13983012345")
    response = office.get(reverse("ledger:export_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert_cjk_fonts_embedded(response.content)
    text = pdf_text(response.content)
    assert "滨江花园" in text
    assert "制表人" in text
    assert "139****2345" in text
    assert "13983012345" not in flat(text)  # not even wrapped over two lines
    width, height = pdf_page_size(response.content)
    assert width > height  # landscape
    assert AuditEntry.objects.filter(action="export", detail__startswith="工作台账 PDF").count() == 1


def test_pdf_carries_the_filter_the_issuing_office_and_page_numbers(client_for):
    """GIVEN 40 projects matching a search and one that does not
    WHEN the office exports the filtered ledger as PDF
    THEN the text shows the filter in words, the issuing office, the row count and 第 n 页 / 共 N 页
    on every page, and only the matching projects."""
    require_cjk_font()
    office = client_for(Role.OFFICE, display_name="赵督查")
    for n in range(40):
        ProjectFactory(name=f"滨江片区{n:02d}号地块", is_key=True)
    ProjectFactory(name="观音桥改造", is_key=True)
    response = office.get(reverse("ledger:export_pdf"), {"q": "滨江", "is_key": "true"})
    assert response.status_code == 200
    text = flat(pdf_text(response.content))
    assert "查询条件：查找：滨江；重点项目：是；共40个项目" in text
    assert "江北区工程建设项目审批制度改革工作领导小组办公室（区工改办）" in text
    assert f"{settings.HALL_NAME}亲清帮办服务工作台账" in text
    assert "制表人：赵督查" in text
    assert "观音桥改造" not in text
    raw = flat(pdf_text(response.content, raw=True))  # cell by cell: a name wraps inside its cell
    assert all(f"滨江片区{n:02d}号地块" in raw for n in range(40))
    numbers = [(int(a), int(b)) for a, b in re.findall(r"第(\d+)页/共(\d+)页", text)]
    total = numbers[0][1]
    assert total >= 2  # forty rows do not fit on one landscape page
    assert numbers == [(page, total) for page in range(1, total + 1)]


def test_too_many_rows_for_a_pdf_says_so(client_for, monkeypatch):
    from ledger.views import ledger as views

    monkeypatch.setattr(views, "PDF_MAX_ROWS", 1)
    office = client_for(Role.OFFICE)
    ProjectFactory()
    ProjectFactory()
    response = office.get(reverse("ledger:export_pdf"), follow=True)
    assert "PDF 最多 1 个" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_matter_level_view_uses_the_same_filters(client_for):
    office = client_for(Role.OFFICE)
    one = ProjectFactory(name="滨江花园")
    ProjectMatterFactory(project=one, matter=MatterFactory(name="消防设计审查"))
    ProjectMatterFactory(project=ProjectFactory(name="观音桥改造"), matter=MatterFactory(name="规划许可"))
    response = office.get(reverse("ledger:matters"), {"q": "滨江"})
    assert [pm.matter.name for pm in response.context["page"]] == ["消防设计审查"]


def test_page_and_excel_agree_on_late_including_finished_after_the_due_date(client_for):
    office = client_for(Role.OFFICE)
    project = ProjectFactory(name="滨江花园")
    pm = ProjectMatterFactory(project=project, matter=MatterFactory(name="规划许可", time_limit_workdays=5))
    pm = services.matter_move(
        actor=project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    services.matter_move(
        actor=project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status="已办结",
        result="通过",
        on=date(2026, 3, 20),
    )  # due 03-09, finished 03-20: late
    page = office.get(reverse("ledger:matters"))
    assert [row.late for row in page.context["page"]] == [True]
    sheet = _book(office.get(reverse("ledger:export_xlsx")))["办理事项"]
    assert sheet["J5"].value == "是"


# --- free text with personal data ---------------------------------------------------------------

PHONE, MASKED_PHONE = "13983012345", "139****2345"
ID_NUMBER, MASKED_ID = "500101199001011234", "5001**********1234"
OTHER_PHONE, MASKED_OTHER = "18623456789", "186****6789"


@pytest.fixture
def typed_numbers(db):
    """A project whose remark, open problem and solved problem have a phone or an ID number typed in;
    its 22-digit project code must stay as it is."""
    project = ProjectFactory(
        name="滨江花园",
        code="2601-500105-04-01-382714",
        note=f"业主代表身份证{ID_NUMBER}，电话{OTHER_PHONE}",
    )
    pm = ProjectMatterFactory(project=project)
    for description in (f"施工方联系人电话{PHONE}，需协调", "证照不一致"):
        window_services.problem_raise(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            project_matter=pm,
            stage=None,
            description=description,
            owner_unit=pm.unit,
            due_on=date(2099, 1, 1),
        )
    from windows.models import Problem

    Problem.objects.filter(description="证照不一致").update(
        status="已解决", resolution=f"经办人身份证{ID_NUMBER}已核实", closed_at=timezone.now()
    )
    return project


def _no_full_numbers(text: str) -> None:
    for full in (PHONE, ID_NUMBER, OTHER_PHONE):
        assert full not in text, full


def test_numbers_typed_into_free_text_are_masked_alike_on_page_excel_and_pdf(client_for, typed_numbers):
    """GIVEN a phone and an ID number typed into a problem, a resolution and a remark
    WHEN the office opens the ledger and exports it as Excel and PDF
    THEN all three show the same masked values, never the full numbers, and the project code unchanged."""
    office = client_for(Role.OFFICE)
    page = office.get(reverse("ledger:index"))
    (row,) = page.context["rows"]
    assert row.problems == f"施工方联系人电话{MASKED_PHONE}，需协调（待协调）"
    assert row.solved == f"已解决：经办人身份证{MASKED_ID}已核实"
    assert row.note == f"业主代表身份证{MASKED_ID}，电话{MASKED_OTHER}"
    _no_full_numbers(page.content.decode())

    sheet = _book(office.get(reverse("ledger:export_xlsx")))["工作台账"]
    cells = _values(sheet, 5)
    assert (cells[3], cells[15], cells[16], cells[18]) == (
        "2601-500105-04-01-382714", row.problems, row.solved, row.note,
    )  # fmt: skip
    _no_full_numbers(" ".join(str(v) for line in sheet.iter_rows(values_only=True) for v in line))

    require_cjk_font()
    # cell by cell: a long number wraps inside its narrow cell
    text = flat(pdf_text(office.get(reverse("ledger:export_pdf")).content, raw=True))
    for value in (MASKED_PHONE, MASKED_ID, MASKED_OTHER, "2601-500105-04-01-382714"):
        assert value in text, value
    _no_full_numbers(text)


def test_numbers_typed_into_free_text_are_masked_in_the_weekly_summary(client_for, typed_numbers):
    office = client_for(Role.OFFICE)
    week = timezone.localdate().isocalendar()
    params = {"week": f"{week[0]}-W{week[1]:02d}"}
    page = office.get(reverse("ledger:summary"), params)
    (problem,) = page.context["summary"].table("problems").rows
    assert problem[2] == f"施工方联系人电话{MASKED_PHONE}，需协调"
    _no_full_numbers(page.content.decode())
    book = _book(office.get(reverse("ledger:summary_xlsx"), params))
    _no_full_numbers(
        " ".join(str(v) for ws in book.worksheets for line in ws.iter_rows(values_only=True) for v in line)
    )
    assert MASKED_PHONE in str([c.value for c in book["未解决的难点堵点（截至期末）"][5]])
    require_cjk_font()
    text = flat(pdf_text(office.get(reverse("ledger:summary_pdf"), params).content))
    assert MASKED_PHONE in text
    _no_full_numbers(text)


def test_numbers_typed_into_free_text_are_masked_in_the_dossier_pdf(client_for, typed_numbers):
    from projects import timeline
    from projects.models import TimelineEntry

    require_cjk_font()
    office = client_for(Role.OFFICE)
    timeline.record(typed_numbers, TimelineEntry.Kind.FEEDBACK, office.user, f"已电话告知，回拨{PHONE}")
    text = flat(pdf_text(office.get(reverse("ledger:dossier_pdf", args=[typed_numbers.pk])).content))
    assert f"业主代表身份证{MASKED_ID}，电话{MASKED_OTHER}" in text  # the remark
    assert f"回拨{MASKED_PHONE}" in text  # the timeline
    _no_full_numbers(text)
