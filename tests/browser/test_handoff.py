"""A specialist hands a stage to its window; window staff accept it and report back; the specialist
sees the report on the workbench and passes it on to the applicant."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from qinqing.demo import DEMO_PASSWORD
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT = "江北嘴金融城3号地块商业综合体"


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _login(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, DEMO_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def test_hand_off_accepted_and_answered(page: Page, live_server, demo_data):
    base = live_server.url
    _login(page, base, "demo_specialist")
    page.goto(f"{base}/projects/")
    page.get_by_role("link", name=PROJECT).click()
    page.get_by_role("link", name="移交阶段窗口").click()
    page.get_by_label("移交阶段").select_option(label="2. 工程建设许可阶段")
    page.get_by_label("移交说明").fill("规划许可已办结，请窗口核对本阶段其余事项。")
    page.get_by_role("button", name="移交").click()
    expect(page.locator(".qq-messages")).to_contain_text("已移交工程建设许可阶段综合窗口")
    _logout(page)

    _login(page, base, "demo_window")
    expect(page.get_by_test_id("todo-count")).to_be_visible()
    page.get_by_test_id("todo-handoffs").get_by_role("link", name=PROJECT).click()
    page.get_by_role("button", name="接收移交，担任首问负责人").click()
    expect(page.get_by_test_id("handoff-status")).to_have_text("已接收")
    expect(page.get_by_test_id("first-responsible")).to_contain_text("王立窗")
    page.get_by_label("向帮办专员反馈").fill("本阶段事项均已办结，可进入施工许可阶段。")
    page.get_by_role("button", name="发送反馈").click()
    expect(page.get_by_test_id("reports")).to_contain_text("本阶段事项均已办结")
    _logout(page)

    _login(page, base, "demo_specialist")
    page.get_by_test_id("todo-reports").get_by_role("link").filter(has_text="本阶段事项均已办结").click()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("电话反馈申请人：本阶段事项均已办结")
    expect(page.get_by_test_id("windows-panel")).to_contain_text("王立窗")
