"""Every workbook prints as it is: A4, landscape where wide, fitted to the page's width, the header row on
every page, the title above and page numbers below, thin borders, wrapped text, 宋体. Read back with
openpyxl from the bytes the system sends: the ledger, the weekly summary and the audit log."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ledger import exports
from ledger.summary import Period, build_summary
from projects.models import Project, ProjectMatter
from qinqing import audit, xlsx
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, ProjectMatterFactory
from tests.xlsx import shown_border, shown_fill

ALL_SIDES = {"left", "right", "top", "bottom"}


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


def assert_prints(sheet, *, heading: str, landscape: bool) -> None:
    """The print setup of one sheet written by ``xlsx.write_table``."""
    setup = sheet.page_setup
    assert int(setup.paperSize) == 9  # A4
    assert setup.orientation == ("landscape" if landscape else "portrait"), sheet.title
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${xlsx.HEADER_ROW}:${xlsx.HEADER_ROW}"
    assert sheet.oddHeader.center.text == heading.replace("&", "&&")
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    margins = sheet.page_margins
    assert 0.4 <= margins.left <= 1
    assert 0.4 <= margins.right <= 1
    assert margins.header < margins.top
    assert margins.footer < margins.bottom
    assert sheet["A1"].value == heading
    # the title, the header and every written cell of the table in 宋体; the table's text wrapped
    header = sheet[xlsx.HEADER_ROW]
    assert all(cell.font.name == "宋体" and cell.font.b for cell in header)
    assert all(cell.alignment.wrap_text for cell in header)
    last_row = sheet.max_row
    body = [cell for row in sheet.iter_rows(min_row=xlsx.HEADER_ROW + 1, max_row=last_row) for cell in row]
    assert all(cell.font.name == "宋体" for cell in body if cell.value is not None)
    assert all(cell.alignment.wrap_text for cell in body if isinstance(cell.value, str))
    # thin lines round every cell of the table, header and body, empty cells too
    corners = [header[0], header[-1], sheet.cell(last_row, 1), sheet.cell(last_row, len(header))]
    assert all(shown_border(cell) == ALL_SIDES for cell in corners + body), sheet.title
    assert shown_border(sheet["A1"]) == set()  # the title stands above the table, unboxed


def test_a_new_workbook_is_in_songti_by_default():
    """GIVEN a workbook of the house WHEN saved THEN its default font (the Normal style's) is 宋体, so
    what someone types in later is 宋体 too; a percentage stays a number with a percent format."""
    workbook = xlsx.new_workbook()
    xlsx.write_table(workbook, "表", "标题", "说明", ("指标", "数值"), (20, 10), [["比例", xlsx.Percent(0.25)]])
    book = _book(xlsx.saved(workbook))
    assert book._fonts[0].name == "宋体"
    assert book._named_styles["Normal"].font.name == "宋体"
    sheet = book["表"]
    share = sheet.cell(xlsx.HEADER_ROW + 1, 2)
    assert (share.value, share.number_format, share.font.name) == (0.25, xlsx.PERCENT_FORMAT, "宋体")
    assert_prints(sheet, heading="标题", landscape=False)


def test_formula_like_text_stays_text_and_wraps():
    workbook = xlsx.new_workbook()
    xlsx.write_table(workbook, "表", "A&B 标题", "=SUM(1)", ("名称",), (20,), [["=HYPERLINK(1)"]])
    sheet = _book(xlsx.saved(workbook))["表"]
    cell = sheet.cell(xlsx.HEADER_ROW + 1, 1)
    assert (cell.value, cell.data_type, cell.quotePrefix, cell.alignment.wrap_text) == (
        "=HYPERLINK(1)",
        "s",
        True,
        True,
    )
    assert sheet["A2"].quotePrefix
    assert_prints(sheet, heading="A&B 标题", landscape=False)  # an ampersand printed as itself


def test_wide_tables_print_landscape_narrow_ones_portrait():
    workbook = xlsx.new_workbook()
    xlsx.write_table(workbook, "九列", "九列", "", [f"列{i}" for i in range(9)], [8] * 9, [[1] * 9])
    xlsx.write_table(workbook, "宽", "宽", "", ("甲", "乙"), (60, 50), [["a", "b"]])
    xlsx.write_table(workbook, "窄", "窄", "", ("甲", "乙", "丙"), (30, 30, 30), [["a", "b", "c"]])
    book = _book(xlsx.saved(workbook))
    assert [book[name].page_setup.orientation for name in ("九列", "宽", "窄")] == [
        "landscape",
        "landscape",
        "portrait",
    ]


def test_a_long_condition_wraps_within_the_table_width():
    """The conditions above a narrow table span its width and wrap there, never printing past it."""
    workbook = xlsx.new_workbook()
    described = "查询条件：" + "；".join(f"条件{i}：某某责任单位" for i in range(10))
    xlsx.write_table(workbook, "表", "标题", described, ("甲", "乙"), (20, 20), [["a", "b"]])
    sheet = _book(xlsx.saved(workbook))["表"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:B1", "A2:B2"}
    assert sheet["A2"].alignment.wrap_text
    assert sheet.row_dimensions[2].height >= 15 * 4


@pytest.mark.django_db
def test_ledger_workbook_prints(make_user):
    project = ProjectFactory(name="滨江花园")
    ProjectMatterFactory(project=project, status="已受理", accepted_on=date(2026, 3, 2), due_on=date(2026, 3, 9))
    ProjectFactory(name="观音桥改造")
    content, count = exports.ledger_workbook(
        projects=Project.objects.order_by("pk"),
        matters=ProjectMatter.objects.order_by("pk"),
        described="全部项目",
        exporter="测试",
    )
    assert count == 2
    book = _book(content)
    ledger, matters = book["工作台账"], book["办理事项"]
    assert_prints(ledger, heading=ledger["A1"].value, landscape=True)
    assert "工作台账" in ledger["A1"].value
    assert_prints(matters, heading="办理事项明细", landscape=True)
    # the warning colours still show over the borders
    warning = matters.cell(xlsx.HEADER_ROW + 1, matters.max_column)
    assert warning.value in xlsx.WARNING_STYLES
    assert shown_fill(warning) == xlsx.WARNING_STYLES[warning.value][0]


@pytest.mark.django_db
def test_summary_workbook_prints_every_sheet():
    content = exports.summary_workbook(build_summary(Period.week(2026, 45), full=True), exporter="测试")
    book = _book(content)
    assert len(book.sheetnames) > 3
    for sheet in book.worksheets:
        header = [cell.value for cell in sheet[xlsx.HEADER_ROW]]
        wide = (
            len(header) > xlsx.PORTRAIT_MAX_COLUMNS
            or sum(sheet.column_dimensions[cell.column_letter].width for cell in sheet[xlsx.HEADER_ROW])
            > xlsx.PORTRAIT_MAX_WIDTH
        )
        assert_prints(sheet, heading=sheet["A1"].value, landscape=wide)
    assert book["概况"].page_setup.orientation == "portrait"


def test_audit_export_prints(client_for):
    client = client_for(Role.AUDITOR)
    audit.record(action=AuditEntry.Action.EXPORT, actor=client.user, detail="导出测试")
    response = client.get(reverse("audit:export"))
    assert response.status_code == 200
    sheet = _book(response.content)["审计日志"]
    assert_prints(sheet, heading="亲清帮办 · 审计日志", landscape=True)
