"""A specialist takes a walk-in from the first question to a dossier with a tracked matter:
log the visit and open the dossier → issue a one-time notification letter → add a stage's
matters → accept one → see its working-day deadline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects.models import NotificationLetter, Project
from qinqing.demo import DEMO_PASSWORD
from qinqing.workdays import WorkCalendar
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def test_walk_in_to_dossier_letter_matters_and_deadline(page: Page, live_server, demo_data):
    base = live_server.url
    sign_in(page, base, "demo_specialist", DEMO_PASSWORD)

    # 1. log the walk-in and open a new dossier from the same form
    page.get_by_test_id("main-nav").get_by_role("link", name="咨询登记").click()
    page.get_by_role("link", name="登记来访").click()
    form = page.get_by_test_id("consultation-form")
    form.get_by_label("来访人", exact=True).fill("邓文")
    form.get_by_label("咨询内容").fill("新建厂房需要办理哪些施工许可事项？")
    form.get_by_label("新来访者：同时新建项目档案").check()
    form.get_by_label("项目名称").fill("港城智造产业园二期厂房")
    form.get_by_label("项目代码").fill("2611-500105-04-01-62019K")
    form.get_by_label("建设单位").fill("重庆港城智造有限公司")
    form.get_by_label("统一社会信用代码").fill("91350100M000100Y43")
    form.get_by_label("联系人", exact=True).fill("邓文")
    form.get_by_label("联系电话").fill("13908367788")
    form.get_by_label("投资类型").select_option("社会投资")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("heading", name="港城智造产业园二期厂房")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("新建厂房需要办理哪些施工许可事项")

    # 2. the one-time notification letter
    page.get_by_role("link", name="一次性告知").click()
    picker = page.get_by_test_id("matter-picker")
    picker.get_by_label("建筑工程施工许可证核发").check()
    picker.get_by_label("建设工程消防设计审查").check()
    page.get_by_role("button", name="签发告知单").click()
    letter = page.get_by_test_id("letter")
    expect(letter).to_contain_text("工程建设项目审批一次性告知单")
    expect(letter).to_contain_text("中标通知书")  # a verified material of the construction permit
    expect(page.get_by_test_id("letter-pdf")).to_be_visible()
    assert NotificationLetter.objects.filter(project__name="港城智造产业园二期厂房").count() == 1

    # 3. add the whole construction-permit stage
    page.get_by_role("link", name="港城智造产业园二期厂房").click()
    page.get_by_role("link", name="添加事项").click()
    page.get_by_label("或整个阶段").select_option(label="3. 施工许可阶段")
    page.get_by_role("button", name="添加").click()
    stage = page.get_by_test_id("stage-3")
    expect(stage).to_contain_text("建筑工程施工许可证核发")
    expect(stage).to_contain_text("待申报")

    # 4. accept the construction permit today; its deadline appears with a 正常 badge
    row = stage.get_by_role("row").filter(has_text="建筑工程施工许可证核发")
    row.get_by_role("link", name="办理").click()
    page.get_by_label("变更为").select_option(label="受理")
    page.get_by_role("button", name="确定").click()
    today = timezone.localdate()
    due = WorkCalendar().add_workdays(today, 3).date
    row = page.get_by_test_id("stage-3").get_by_role("row").filter(has_text="建筑工程施工许可证核发")
    expect(row).to_contain_text("已受理")
    expect(row.get_by_test_id("due")).to_contain_text(f"{due:%Y-%m-%d}")
    expect(row.locator("[data-warning]")).to_have_count(1)
    project = Project.objects.get(name="港城智造产业园二期厂房")
    assert project.status == "在办"
    expect(page.get_by_test_id("project-status")).to_have_text("在办")
