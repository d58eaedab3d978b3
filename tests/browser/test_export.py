"""The reform office exports a ledger too large for one request, as a new user would: the 导出 Excel
button shows the background job's progress bar (never a downloaded web page); the person leaves, finds
the job on the workbench and in 导出记录 once the worker has made it, and downloads the file there. A
PDF over the row limit is refused on the ledger page itself, with nothing downloaded."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from ledger.models import ExportJob
from ledger.views import ledger as ledger_views
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import TEST_PASSWORD, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ("滨江花园", "观音桥改造", "寸滩物流园", "鱼嘴冷链仓库")


def _work() -> None:
    """What the worker service does: run every queued task, then stop."""
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, stdout=io.StringIO())


def test_an_over_threshold_ledger_export_shows_its_progress_and_is_found_again_in_the_archive(
    page: Page, live_server, settings, monkeypatch
):
    settings.BACKGROUND_EXPORT_PROJECTS = 2
    monkeypatch.setattr(ledger_views, "PDF_MAX_ROWS", 2)
    base = live_server.url
    UserFactory(username="office1", display_name="赵督查", roles=[Role.OFFICE])
    for name in NAMES:
        ProjectFactory(name=name)
    downloads = []
    page.on("download", lambda download: downloads.append(download))

    sign_in(page, base, "office1", TEST_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()
    expect(page.get_by_test_id("panel-export-jobs")).to_have_count(0)  # nothing exported yet

    # the PDF of four projects over a limit of two: refused on the ledger page, nothing downloaded
    page.get_by_test_id("main-nav").get_by_role("link", name="工作台账").click()
    page.get_by_test_id("export-pdf").click()
    expect(page.locator(".qq-messages .alert-danger")).to_contain_text("请缩小查询范围")
    expect(page).to_have_url(re.compile(r"/ledger/(\?.*)?$"))
    expect(page.get_by_test_id("ledger-table")).to_be_visible()

    # Excel over the background threshold: the button leads to the job's page and its progress bar
    page.get_by_test_id("export-xlsx").click()
    expect(page).to_have_url(re.compile(r"/ledger/export-jobs/\d+/$"))
    expect(page.get_by_test_id("export-progress")).to_be_visible()
    expect(page.get_by_test_id("export-job")).to_contain_text("共 4 个项目")
    expect(page.get_by_text("已转入后台导出")).to_be_visible()
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED
    assert job.requested_from == "127.0.0.1"

    # the person leaves; the workbench lists the job, still waiting
    page.get_by_test_id("main-nav").get_by_role("link", name="工作台", exact=True).click()
    row = page.get_by_test_id(f"export-job-{job.pk}")
    expect(row).to_contain_text("排队中")

    _work()  # the worker makes the file meanwhile

    # back later: 导出记录 lists the finished job with its download
    page.goto(f"{base}/")
    page.get_by_test_id("panel-export-jobs").get_by_role("link", name="全部导出记录").click()
    expect(page.get_by_test_id(f"export-job-{job.pk}")).to_contain_text("已完成")
    with page.expect_download() as info:
        page.get_by_test_id(f"job-download-{job.pk}").click()
    download = info.value
    assert download.failure() is None
    assert re.fullmatch(r"工作台账-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))["工作台账"]
    assert {row[2] for row in sheet.iter_rows(min_row=5, values_only=True)} == set(NAMES)
    assert len(downloads) == 1  # the refused PDF and the progress page were never downloads

    # the worker's audit row names who asked and from where
    job.refresh_from_db()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, object_id=str(job.export_id))
    assert (entry.actor.username, entry.ip) == ("office1", "127.0.0.1")
