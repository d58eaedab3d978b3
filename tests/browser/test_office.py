"""The reform office, as a new user would: filter the ledger, export it as Excel and PDF by clicking,
open last week's summary and export its PDF, then fetch that report and last month's again from the
export archive page and find them byte for byte as first issued."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from ledger.models import Export
from qinqing.demo import DEMO_PASSWORD
from tests.browser.helpers import sign_in
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_text, require_cjk_font
from tests.xlsx import shown_fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED = "FFC7CE"


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _click_download(page: Page, locator) -> tuple[str, bytes]:
    """Click ``locator`` as a user would and return the downloaded file's suggested name and bytes."""
    with page.expect_download() as info:
        locator.click()
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_office_exports_the_filtered_ledger_and_fetches_reports_again_from_the_archive(
    page: Page, live_server, demo_data
):
    require_cjk_font()
    base = live_server.url
    sign_in(page, base, "demo_office", DEMO_PASSWORD)
    expect(page.get_by_test_id("office-figures")).to_be_visible()
    archived_before = Export.objects.count()

    # the ledger, filtered to projects with overdue matters
    page.get_by_test_id("main-nav").get_by_role("link", name="工作台账").click()
    page.get_by_label("预警状态").select_option("逾期")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"warning=%E9%80%BE%E6%9C%9F|warning=逾期"))
    rows = page.get_by_test_id("ledger-table").locator("tbody tr")
    shown = rows.count()
    assert shown >= 1
    for index in range(shown):
        expect(rows.nth(index)).to_have_class("table-danger")
    names = [rows.nth(i).locator("td").nth(2).locator("a").inner_text() for i in range(shown)]

    # Excel, by clicking: the filter above the table, the same rows, each marked 逾期 in red
    filename, content = _click_download(page, page.get_by_test_id("export-xlsx"))
    assert filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content))["工作台账"]
    assert "预警状态：有逾期事项" in sheet["A2"].value
    assert sheet.max_row == 4 + shown
    assert [sheet.cell(row=r, column=3).value for r in range(5, 5 + shown)] == names
    for r in range(5, 5 + shown):
        state = sheet.cell(row=r, column=20)  # 预警状态, the last column
        assert (state.value, shown_fill(state)) == ("逾期", RED)

    # PDF, by clicking: a real document with the filter, the issuing office, page numbers and the rows
    filename, ledger_pdf = _click_download(page, page.get_by_test_id("export-pdf"))
    assert filename.endswith(".pdf")
    assert ledger_pdf.startswith(b"%PDF")
    assert_cjk_fonts_embedded(ledger_pdf)
    text = flat(pdf_text(ledger_pdf))
    assert f"查询条件：预警状态：有逾期事项；共{shown}个项目" in text
    assert "区工改办" in text
    assert re.search(r"第1页/共\d+页", text)
    raw = flat(pdf_text(ledger_pdf, raw=True))  # cell by cell: a long name wraps inside its cell
    missing = [name for name in names if flat(name) not in raw]
    assert not missing, (missing, raw[:2000])

    # last week's summary, with its charts; its Excel and its PDF
    page.get_by_test_id("main-nav").get_by_role("link", name="周报").click()
    expect(page.get_by_test_id("period-label")).to_contain_text("周")
    period = page.get_by_test_id("period-label").inner_text()
    expect(page.get_by_test_id("summary-charts").locator("svg")).to_have_count(3)
    expect(page.get_by_test_id("summary-overdue")).to_be_visible()
    filename, content = _click_download(page, page.get_by_test_id("summary-xlsx"))
    assert filename.startswith("亲清帮办周报-")
    # the demo's last week has a draft narrative: its sheet comes first, as on the page (issue 17)
    assert load_workbook(io.BytesIO(content)).sheetnames[:2] == ["正文", "概况"]
    filename, summary_pdf = _click_download(page, page.get_by_test_id("summary-pdf"))
    assert filename.startswith("亲清帮办周报-")
    assert filename.endswith(".pdf")
    summary_text = flat(pdf_text(summary_pdf))
    assert "亲清帮办服务周报" in summary_text
    assert flat(period) in summary_text
    assert "制表人" in summary_text

    # every export is in the archive
    assert Export.objects.count() == archived_before + 4
    issued = Export.objects.filter(kind=Export.Kind.SUMMARY_PDF).order_by("-created_at", "-id").first()
    last_month = Export.objects.filter(kind=Export.Kind.SUMMARY_PDF).order_by("created_at", "id").first()
    assert issued != last_month

    # the archive page, reached from the summary page, filtered to weekly-summary PDFs
    page.get_by_role("link", name="导出记录").first.click()
    table = page.get_by_test_id("export-table")
    expect(table).to_contain_text("周报 PDF")
    page.get_by_label("类型").select_option("summary_pdf")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tbody tr")).to_have_count(3)  # last month's, the issued 周报 of the demo, this one
    expect(table).not_to_contain_text("工作台账 Excel")

    # the summary just exported downloads again exactly as it was first downloaded
    filename, again = _click_download(page, page.get_by_test_id(f"download-{issued.pk}"))
    assert filename.endswith(".pdf")
    assert again == summary_pdf
    # and last month's, issued before this session, exactly as issued (its SHA-256 recorded then)
    expect(table.locator("tr", has=page.get_by_test_id(f"download-{last_month.pk}"))).to_contain_text(last_month.title)
    filename, old = _click_download(page, page.get_by_test_id(f"download-{last_month.pk}"))
    assert filename == last_month.filename
    assert hashlib.sha256(old).hexdigest() == last_month.sha256
    assert len(old) == last_month.size
