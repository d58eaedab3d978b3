"""The ledger's columns, order and paging: 重点项目 and 总投资 on the page, in the Excel and the PDF;
暂停计时 in the same words on the ledger, its Excel and the dossier; sort choices in Chinese, names by
pinyin on PostgreSQL; both sheets of the workbook in the same project order; numbered pages that jump."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ledger.filters import ORDER_CHOICES
from ledger.selectors import LEDGER_COLUMNS, PAUSED
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.pdf import flat, pdf_text, require_cjk_font

pytestmark = pytest.mark.django_db


def _sheets(response):
    book = load_workbook(io.BytesIO(response.content))
    return book["工作台账"], book["办理事项"]


def _column(sheet, header: str) -> list:
    """The values under ``header`` (row 4) of the data rows."""
    index = [c.value for c in sheet[4]].index(header)
    return [row[index] for row in sheet.iter_rows(min_row=5, values_only=True)]


def test_key_project_and_total_investment_on_page_excel_and_pdf(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory(name="滨江花园", is_key=True, total_investment=Decimal("258000.50"))
    ProjectFactory(name="观音桥改造", is_key=False, total_investment=None, registered_on=date(2026, 1, 4))
    assert LEDGER_COLUMNS[8:10] == ("总投资（万元）", "重点项目")

    page = office.get(reverse("ledger:index"))
    html = page.content.decode()
    assert "<th>总投资（万元）</th><th>重点项目</th>" in html
    first, second = page.context["rows"]
    assert (first.total_investment, first.is_key) == (Decimal("258000.50"), "是")
    assert (second.total_investment, second.is_key) == (None, "否")
    assert "258,000.50" in html

    ledger, _ = _sheets(office.get(reverse("ledger:export_xlsx")))
    assert _column(ledger, "总投资（万元）") == [258000.5, None]  # a number, summable
    assert _column(ledger, "重点项目") == ["是", "否"]

    require_cjk_font()
    text = flat(pdf_text(office.get(reverse("ledger:export_pdf")).content, raw=True))
    assert "总投资（万元）" in text
    assert "重点项目" in text
    assert "258,000.50" in text


def test_a_paused_clock_reads_the_same_on_ledger_excel_and_dossier(client_for):
    """GIVEN a matter waiting for supplementary materials with its clock stopped (no due date)
    THEN the ledger's 办理进度 says so, the matter view and the matters sheet show 暂停计时 as its due
    date, and the dossier shows the same words."""
    office = client_for(Role.OFFICE)
    project = ProjectFactory(name="滨江花园")
    ProjectMatterFactory(
        project=project, matter=MatterFactory(name="施工许可"), status="补正材料", accepted_on=date(2026, 3, 2)
    )
    ProjectMatterFactory(project=project, matter=MatterFactory(name="消防验收"))
    assert PAUSED == "暂停计时"

    (row,) = office.get(reverse("ledger:index")).context["rows"]
    assert row.progress == "0/2，1 项暂停计时"
    matters = office.get(reverse("ledger:matters")).content.decode()
    assert re.search(r"<td[^>]*>暂停计时</td>", matters)

    ledger, matter_sheet = _sheets(office.get(reverse("ledger:export_xlsx")))
    assert _column(ledger, "办理进度") == ["0/2，1 项暂停计时"]
    due = dict(zip(_column(matter_sheet, "事项"), _column(matter_sheet, "到期日"), strict=True))
    assert due == {"施工许可": "暂停计时", "消防验收": None}

    dossier = office.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert re.search(r'data-testid="due">暂停计时', dossier)


def test_sort_choices_are_in_chinese_and_say_which_way(client_for):
    office = client_for(Role.OFFICE)
    html = office.get(reverse("ledger:index")).content.decode()
    select = re.search(r'<select name="order".*?</select>', html, re.S).group(0)
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert labels == [label for _, label in ORDER_CHOICES]
    assert labels[0] == "登记日期（新在前）"  # the default order is the first choice, shown as chosen
    assert "项目名称（按拼音）" in labels
    assert not [label for label in labels if re.search(r"[A-Za-z]", label)]


@pytest.mark.parametrize("order", ["", "name", "-name", "registered", "stage"])
def test_both_sheets_list_the_projects_in_the_same_order(client_for, order):
    office = client_for(Role.OFFICE)
    specialist = UserFactory(roles=[Role.SPECIALIST])
    for name, day in (("北岸", 3), ("阿里", 1), ("张家", 2), ("重庆", 2)):
        project = ProjectFactory(name=name, registered_on=date(2026, 1, day), specialist=specialist)
        ProjectMatterFactory(project=project)
        ProjectMatterFactory(project=project)
    params = {"order": order} if order else {}
    shown = [row.name for row in office.get(reverse("ledger:index"), params).context["rows"]]
    ledger, matters = _sheets(office.get(reverse("ledger:export_xlsx"), params))
    assert _column(ledger, "项目名称") == shown
    assert list(dict.fromkeys(_column(matters, "项目"))) == shown
    by_matter = [pm.project.name for pm in office.get(reverse("ledger:matters"), params).context["page"]]
    assert list(dict.fromkeys(by_matter)) == shown
    if not order:
        assert shown[0] == "北岸"  # newest first


@pytest.mark.postgresql
def test_names_sort_by_pinyin_on_postgresql(client_for):
    """阿 (a) < 北 (bei) < 重庆 (chong) < 张 (zhang): by pinyin, not by code point (张 U+5F20 would
    come before 重 U+91CD and 北 U+5317 before 阿 U+963F)."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    office = client_for(Role.OFFICE)
    specialist = UserFactory(roles=[Role.SPECIALIST])
    for name in ("张家花园", "重庆北站", "阿里中心", "北岸公园"):
        ProjectFactory(name=name, specialist=specialist)
    names = [row.name for row in office.get(reverse("ledger:index"), {"order": "name"}).context["rows"]]
    assert names == ["阿里中心", "北岸公园", "重庆北站", "张家花园"]
    backwards = [row.name for row in office.get(reverse("ledger:index"), {"order": "-name"}).context["rows"]]
    assert backwards == names[::-1]
    ledger, matters = _sheets(office.get(reverse("ledger:export_xlsx"), {"order": "name"}))
    assert _column(ledger, "项目名称") == names


def test_numbered_pages_and_a_jump_to_any_page(client_for):
    office = client_for(Role.OFFICE)
    specialist = UserFactory(roles=[Role.SPECIALIST])
    ProjectFactory.create_batch(151, specialist=specialist)  # four pages of 50
    url = reverse("ledger:index")
    html = office.get(url, {"is_key": "false"}).content.decode()
    for number in (2, 3, 4):
        assert f'href="?is_key=false&amp;page={number}" aria-label="第 {number} 页"' in html
    assert '<li class="page-item active" aria-current="page"><span class="page-link">1</span>' in html
    jump = re.search(r'<form method="get"[^>]*data-testid="page-jump">.*?</form>', html, re.S).group(0)
    assert '<input type="hidden" name="is_key" value="false">' in jump
    assert 'name="page"' in jump
    page = office.get(url, {"is_key": "false", "page": "4"})
    assert page.context["page"].number == 4
    assert [row.number for row in page.context["rows"]] == [151]
    assert "第 4 / 4 页，共 151 个项目" in page.content.decode()
    assert office.get(url, {"page": "99"}).context["page"].number == 4  # past the end: the last page
