"""The reform office, as a new user would: draw a sample of last month's projects, record a bad
rating, follow the rectification through the unit's report to its close after the callback, issue a
notice about the unit, refer the unit to the district supervision office with the evidence, and read
the figures of it all in this week's summary."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from followups.models import Escalation, Notice, NoticeFile, Rectification
from qinqing.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import TEST_PASSWORD, DepartmentFactory, ProjectFactory, ProjectMatterFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, TEST_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()


def _cells(table, first: str):
    """The cells of the row of ``table`` whose first cell reads ``first``."""
    return table.locator("tr").filter(has=table.page.get_by_role("cell", name=first, exact=True)).locator("td")


def test_draw_bad_rating_rectification_to_its_close(page: Page, live_server):
    base = live_server.url
    today = timezone.localdate()
    unit = DepartmentFactory(name="区住房城乡建委")
    UserFactory(username="office1", display_name="赵督查", roles=[Role.OFFICE], must_change_password=False)
    UserFactory(username="unit1", display_name="张审批", roles=[Role.DEPARTMENT], department=unit,
                must_change_password=False)  # fmt: skip
    project = ProjectFactory(name="鱼嘴物流园二期", registered_on=today - timedelta(days=60), contact_name="陈建国")
    ProjectMatterFactory(project=project, unit=unit, status="审查中", accepted_on=today - timedelta(days=10),
                         due_on=today + timedelta(days=5))  # fmt: skip

    # the office draws one project served in the last month
    _login(page, base, "office1")
    page.get_by_test_id("main-nav").get_by_role("link", name="督查回访").click()
    page.get_by_role("link", name="随机抽取回访项目").click()
    page.get_by_label("服务期间起").fill(f"{today - timedelta(days=30):%Y-%m-%d}")
    page.get_by_label("服务期间止").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("抽样数量（个）").fill("1")
    page.get_by_role("button", name="抽样").click()
    expect(page.get_by_text("结果一致")).to_be_visible()
    expect(page.get_by_role("link", name="鱼嘴物流园二期").first).to_be_visible()

    # the planned visit is on the office's to-do list; record it with a bad rating
    page.goto(f"{base}/")
    page.get_by_test_id("todo-visits").get_by_role("link", name=re.compile("鱼嘴物流园二期")).click()
    form = page.get_by_test_id("visit-form")
    form.get_by_label("上门").check()
    ratings = page.get_by_test_id("rating-table")
    for dimension, level in (
        ("整体满意度", "不满意"),
        ("服务效率", "非常不满意"),
        ("服务水平", "满意"),
        ("服务态度", "满意"),
    ):
        ratings.get_by_label(f"{dimension}：{level}", exact=True).check()
    form.get_by_label("意见建议").fill("审查意见前后不一致，耽误两周。")
    form.get_by_label("问题涉及单位").select_option(label="区住房城乡建委")
    form.get_by_label("整改责任人").fill("张审批")
    page.get_by_role("button", name="保存回访").click()
    expect(page.get_by_text("已向区住房城乡建委下发整改")).to_be_visible()
    rectification = Rectification.objects.get()
    page.get_by_role("button", name="退出").click()

    # the unit's staff find it on their to-do list and report what they did
    _login(page, base, "unit1")
    page.get_by_test_id("todo-unit_rectifications").get_by_role("link").first.click()
    page.get_by_label("整改措施与结果").fill("统一审查尺度，指定专人对接，已出具一次性补正意见。")
    page.get_by_label("整改完成日期").fill(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="提交整改情况").click()
    expect(page.get_by_text("待回访核实").first).to_be_visible()
    page.get_by_role("button", name="退出").click()

    # the office calls the applicant back and closes it; without a callback it would be refused
    _login(page, base, "office1")
    page.goto(f"{base}/followups/rectifications/{rectification.pk}/")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_text("办结整改前须回访申请人").first).to_be_visible()
    page.get_by_label("回访日期").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("回访申请人情况").fill("电话回访陈建国，已收到补正意见，认可整改。")
    page.get_by_label("申请人回访评价").select_option("满意")
    page.get_by_label("办结核查意见").fill("整改到位，同意办结。")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_text("已办结").first).to_be_visible()
    rectification.refresh_from_db()
    assert rectification.status == Rectification.Status.CLOSED
    assert rectification.callback_rating == "满意"

    # a notice about the unit, drafted from the visit, then issued with its number
    page.get_by_test_id("rectification-facts").get_by_role("link", name="回访").click()
    page.get_by_test_id("visit-notice").click()
    expect(page.get_by_label("标题")).to_have_value(re.compile("区住房城乡建委"))
    page.get_by_test_id("notice-save").click()
    expect(page.get_by_text("已保存通报草稿")).to_be_visible()
    page.get_by_test_id("notice-issue").click()
    expect(page.get_by_text("已印发通报，文号")).to_be_visible()
    notice = Notice.objects.get()
    assert NoticeFile.objects.filter(notice=notice).exists()  # its PDF kept as issued
    expect(page.get_by_test_id("notice-pdf")).to_be_visible()

    # the unit referred to the district supervision office, with the visit and the notice as evidence
    page.get_by_test_id("notice-escalate").click()
    expect(page.get_by_test_id("escalation-unit")).to_have_text("区住房城乡建委")
    form = page.get_by_test_id("escalation-form")
    form.get_by_label("督办事由").fill("回访差评，经通报后仍需督促整改，移送区政府督查室督办。")
    form.get_by_label("整改责任人").fill("张审批")
    expect(form.get_by_label("移送机关")).to_have_value("区政府督查室")
    page.get_by_test_id("picker-visits").get_by_label("全选").check()  # every visit of the unit at once
    expect(page.get_by_test_id("picker-visits").get_by_role("checkbox").last).to_be_checked()
    expect(page.get_by_test_id("picker-notices").get_by_label(re.compile(re.escape(notice.number)))).to_be_checked()
    page.get_by_role("button", name="印发督办单并下发整改").click()
    number = f"江北工改督〔{today.year}〕1号"
    expect(page.get_by_text(f"已印发督办单 {number}，将区住房城乡建委移送区政府督查室督查督办")).to_be_visible()
    escalation = Escalation.objects.get()
    assert set(escalation.visits.all()) == {rectification.visit}
    assert set(escalation.notices.all()) == {notice}
    expect(page.get_by_test_id("escalation-signed")).to_have_text("待签收")

    # the unit finds the 督办单 on its to-do list, reads its PDF, signs for it and replies
    page.get_by_role("button", name="退出").click()
    _login(page, base, "unit1")
    page.get_by_test_id("todo-unit_escalations").get_by_role("link", name=re.compile(re.escape(number))).click()
    pdf = page.request.get(base + page.get_by_test_id("escalation-pdf").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    page.get_by_test_id("escalation-sign-form").get_by_role("button", name="签收").click()
    expect(page.get_by_text("已签收督办单")).to_be_visible()
    expect(page.get_by_test_id("escalation-signed")).to_contain_text("张审批")
    page.get_by_label("办理情况回复").fill("已统一审查尺度，指定专人对接申请人。")
    page.get_by_role("button", name="提交回复").click()
    expect(page.get_by_test_id("escalation-reply")).to_contain_text("已统一审查尺度")
    page.goto(f"{base}/")
    expect(page.get_by_test_id("todo")).not_to_contain_text(number)
    escalation.refresh_from_db()
    assert (escalation.signed_by.username, escalation.replied_by.username) == ("unit1", "unit1")
    page.get_by_role("button", name="退出").click()
    _login(page, base, "office1")

    # this week's summary carries the visit, the satisfaction, the rectifications, the notice and the referral
    page.get_by_test_id("main-nav").get_by_role("link", name="周报").click()
    page.get_by_test_id("period-form").get_by_role("link", name="本周").click()
    figures = page.get_by_test_id("summary-figures")
    for label, value in (("完成回访", "1"), ("回访整体满意率", "0.0%"), ("回访差评", "1"), ("印发通报", "1")):
        expect(figures.get_by_role("rowheader", name=label, exact=True).locator("xpath=following-sibling::td[1]")).to_have_text(value)  # fmt: skip
    satisfaction = page.get_by_test_id("summary-satisfaction")
    for dimension, rate in (("整体满意度", "0.0"), ("服务效率", "0.0"), ("服务水平", "100.0")):
        expect(_cells(satisfaction, dimension)).to_have_text([dimension, "1", rate])
    supervision = page.get_by_test_id("summary-supervision")
    for label, value in (
        ("本期下发整改", "2"),  # the bad rating's and the referral's
        ("本期办结整改", "1"),
        ("整改完成率（截至期末，%）", "50.0"),
        ("整改回访核实率（截至期末，%）", "100.0"),
        ("期末逾期未整改", "0"),
        ("本期印发通报", "1"),
        ("本期移送督查督办", "1"),
    ):
        expect(_cells(supervision, label)).to_have_text([label, value])
