"""The reform office, as a new user would: filter the ledger, export it as Excel and PDF, open last
week's summary, and fetch an archived report again from the export archive."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from ledger.models import Export
from qinqing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _workbook(download):
    with open(download.path(), "rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def test_office_exports_the_filtered_ledger_and_reads_last_weeks_summary(page: Page, live_server, demo_data):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("demo_office")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
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
    expect(rows.first).to_have_class("table-danger")

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = _workbook(download.value)
    sheet = book["工作台账"]
    assert "预警状态：有逾期事项" in sheet["A2"].value
    assert sheet.max_row == 4 + shown

    pdf_url = page.get_by_test_id("export-pdf").get_attribute("href")
    pdf = page.request.get(f"{base}{pdf_url}")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # last week's summary, with its charts, and its PDF
    page.get_by_test_id("main-nav").get_by_role("link", name="周报").click()
    expect(page.get_by_test_id("period-label")).to_contain_text("周")
    expect(page.get_by_test_id("summary-charts").locator("svg")).to_have_count(3)
    expect(page.get_by_test_id("summary-overdue")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("summary-xlsx").click()
    assert download.value.suggested_filename.startswith("亲清帮办周报-")
    assert _workbook(download.value).sheetnames[0] == "概况"

    # every export is in the archive; last month's report downloads again exactly as issued
    assert Export.objects.count() == archived_before + 3
    page.goto(f"{base}/ledger/exports/")
    table = page.get_by_test_id("export-table")
    expect(table).to_contain_text("工作台账 Excel")
    last_month = Export.objects.filter(kind=Export.Kind.SUMMARY_PDF).order_by("created_at").first()
    again = page.request.get(f"{base}/ledger/exports/{last_month.pk}/download")
    assert again.body() == last_month.file.open("rb").read()
