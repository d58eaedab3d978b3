"""The ledger's Excel export: exactly the filtered rows, read back column by column."""

from __future__ import annotations

import hashlib
import io
from datetime import date

from django.urls import reverse
from openpyxl import load_workbook

from ledger.models import Export
from projects import services
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_page_size, pdf_text, require_cjk_font


def _book(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


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
    assert [c.value for c in sheet[4]] == [
        "序号", "登记日期", "项目名称", "项目代码", "建设单位", "联系人及电话", "投资类型", "建设性质", "所处阶段",
        "帮办专员", "咨询/报件事项", "一次性告知情况", "办理进度", "存在问题", "协调解决情况", "办结时间", "备注",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:Q5"
    row = [c.value for c in sheet[5]]
    assert row[0] == 1
    assert row[1].date() == date(2026, 1, 5)
    assert row[2] == "滨江花园"
    assert row[5] == "陈建国 139****2345"
    assert row[12] == "0/1"
    assert sheet.max_row == 5  # only the filtered project
    matters = book["办理事项"]
    first = [c.value for c in matters[5]]
    assert first[:4] == ["滨江花园", "消防设计审查", pm.unit.name, "常规"]
    assert first[4].date() == date(2026, 3, 2)
    assert first[5] == 5
    assert first[6].date() == date(2026, 3, 9)
    assert first[9] == "是"
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
    for column in ("C", "E", "Q"):
        cell = sheet[f"{column}5"]
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    assert sheet["C5"].value == '=HYPERLINK("http://x")'


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
        on=date(2026, 3, 20),
    )  # due 03-09, finished 03-20: late
    page = office.get(reverse("ledger:matters"))
    assert [row.late for row in page.context["page"]] == [True]
    sheet = _book(office.get(reverse("ledger:export_xlsx")))["办理事项"]
    assert sheet["J5"].value == "是"
