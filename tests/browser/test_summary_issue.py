"""The reform office writes last week's 周报 on the page and issues it with the buttons a person uses:
the narrative is saved as a draft, issuing is refused until it is checked, then the summary is numbered,
frozen, and its PDF downloads as issued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ledger import archive
from ledger.models import SummaryIssue
from qinqing.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_office_writes_and_issues_last_weeks_summary(page: Page, live_server):
    UserFactory(username="office_clerk", display_name="赵督查", roles=[Role.OFFICE])
    year, week, _ = (timezone.localdate() - timedelta(days=7)).isocalendar()
    base = live_server.url
    sign_in(page, base, "office_clerk", TEST_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()

    page.get_by_test_id("main-nav").get_by_role("link", name="周报").click()
    page.get_by_label("周次").fill(f"{year}-W{week:02d}")
    page.get_by_role("button", name="统计").click()
    form = page.get_by_test_id("narrative-form")
    form.get_by_label("工作开展情况").fill("本周接待来访咨询，跟进逾期事项。")
    form.get_by_label("存在问题").fill("个别单位补正告知不及时。")
    form.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("summary-issue")).to_contain_text("草稿")
    # issuing needs every section written: refused, the draft kept
    page.get_by_test_id("issue-form").get_by_label("已核对，印发后不能再修改").check()
    page.get_by_test_id("issue-form").get_by_role("button", name="印发周报").click()
    expect(page.get_by_text("未印发：印发前请填写：下步打算")).to_be_visible()
    assert not SummaryIssue.objects.filter(status="已印发").exists()
    form = page.get_by_test_id("narrative-form")
    expect(form.get_by_label("工作开展情况")).to_have_value("本周接待来访咨询，跟进逾期事项。")
    form.get_by_label("下步打算").fill("督促各单位按时办结。")
    form.get_by_role("button", name="保存草稿").click()
    page.get_by_test_id("issue-form").get_by_label("已核对，印发后不能再修改").check()
    page.get_by_test_id("issue-form").get_by_role("button", name="印发周报").click()
    issued = page.get_by_test_id("summary-issue")
    expect(issued).to_contain_text("已印发")
    expect(issued).to_contain_text(f"{timezone.localdate().year}年第1期")
    expect(page.get_by_test_id("narrative-form")).to_have_count(0)  # frozen: no more editing
    with page.expect_download() as download:
        page.get_by_role("link", name="下载印发的 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    kept = SummaryIssue.objects.get(status="已印发")
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == archive.read(kept.pdf)
