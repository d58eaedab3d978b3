"""A joint meeting from convening to a decision carried out: a window clerk convenes it (units and the
project ticked in filtered checkbox lists), the invited unit sees it in its to-do, the clerk records the
minutes with attendance and two decisions and issues them, and the owner unit records 落实情况."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from qinqing.demo import DEMO_PASSWORD
from tests.browser.helpers import sign_in
from windows.models import Decision, Meeting, MinutesFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT = "江北嘴金融城3号地块商业综合体"
TOPIC = "金融城3号地块施工许可并联推进专题会"


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _login(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, DEMO_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def test_convene_record_issue_and_follow_a_decision(page: Page, live_server, demo_data):
    base = live_server.url
    today = timezone.localdate()

    # the window clerk convenes the meeting for today
    _login(page, base, "demo_window")
    page.goto(f"{base}/windows/meetings/")
    page.get_by_role("link", name="召集联席会议").click()
    page.get_by_label("召集单位").select_option(label="区住房城乡建委")
    page.get_by_label("阶段").select_option(label="3. 施工许可阶段")
    page.get_by_label("会议日期").fill(today.isoformat())
    page.get_by_label("开始时间").fill("15:00")
    page.get_by_label("会议地点").fill("区政务服务中心三楼第二会议室")
    page.get_by_label("主持人").fill("陈副主任")
    page.get_by_label("会议主题").fill(TOPIC)
    page.get_by_label("议题").fill("一、施工图审查与消防审查意见衔接；二、施工许可办理时序。")
    units = page.get_by_test_id("units-list")
    units.get_by_role("searchbox").fill("施工图")
    expect(units.get_by_label("区人防办")).to_be_hidden()  # filtered out
    units.get_by_label("施工图审查机构").check()
    units.get_by_role("searchbox").fill("")
    units.get_by_label("区住房城乡建委", exact=True).check()
    expect(units).to_contain_text("已选 2 项")
    projects = page.get_by_test_id("projects-list")
    projects.get_by_role("searchbox").fill("金融城")
    projects.get_by_label(PROJECT).check()
    page.get_by_role("button", name="召集会议").click()
    expect(page.locator(".qq-messages")).to_contain_text("已召集联席会议")
    expect(page.get_by_test_id("meeting-status")).to_have_text("待召开")
    _logout(page)

    # the invited unit sees it coming in its to-do
    _login(page, base, "demo_dept")
    page.get_by_test_id("todo-meetings").get_by_role("link").filter(has_text=TOPIC).click()
    expect(page.get_by_test_id("minutes")).to_contain_text("区政务服务中心三楼第二会议室")
    _logout(page)

    # held: the clerk records the minutes with attendance and two decisions, then issues them
    _login(page, base, "demo_window")
    page.get_by_test_id("todo-minutes").get_by_role("link").filter(has_text=TOPIC).click()
    page.get_by_test_id("record-minutes").click()
    page.get_by_label("记录人").fill("王立窗")
    page.get_by_label("会议纪要").fill("会议听取了施工许可并联办理进展，经研究形成以下议定事项。")
    for index in range(2):
        row = page.get_by_test_id(f"attendance-{index}")
        if "施工图审查机构" in row.inner_text():
            row.get_by_label("缺席").check()
        else:
            row.get_by_label("出席", exact=True).check()
            row.get_by_label("参会人员").fill("审批科 刘科长")
    for index, (content, unit, days) in enumerate(
        [("出具施工许可并联审查意见", "区住房城乡建委", 3), ("复核施工图审查意见", "施工图审查机构", 5)]
    ):
        row = page.get_by_test_id(f"decision-row-{index}")
        row.get_by_label("议定事项").fill(content)
        row.get_by_label("责任单位").select_option(label=unit)
        row.get_by_label("完成期限").fill((today + timedelta(days=days)).isoformat())
        row.get_by_label("相关项目").select_option(label=PROJECT)
    page.get_by_role("button", name="保存纪要").click()
    expect(page.locator(".qq-messages")).to_contain_text("已登记会议纪要，议定事项 2 条")
    expect(page.get_by_test_id("attendance")).to_contain_text("缺席")
    page.get_by_test_id("issue-minutes").click()
    expect(page.locator(".qq-messages")).to_contain_text("已签发联席会议纪要〔")
    expect(page.get_by_test_id("meeting-status")).to_have_text("纪要已签发")
    expect(page.get_by_test_id("record-minutes")).to_have_count(0)
    _logout(page)
    meeting = Meeting.objects.get(topic=TOPIC)
    assert meeting.status == "已签发"
    assert MinutesFile.objects.filter(meeting=meeting).exists()

    # the owner unit follows its decision to the end
    _login(page, base, "demo_dept")
    page.get_by_test_id("todo-decisions").get_by_role("link").filter(has_text="出具施工许可并联审查意见").click()
    decision = Decision.objects.get(meeting=meeting, content="出具施工许可并联审查意见")
    card = page.get_by_test_id(f"decision-{decision.pk}")
    card.get_by_label("落实情况").select_option("已落实")
    card.get_by_label("落实说明").fill("已出具并联审查意见并送达申请人。")
    card.get_by_role("button", name="更新").click()
    expect(page.locator(".qq-messages")).to_contain_text("已更新落实情况")
    expect(page.get_by_test_id(f"decision-{decision.pk}")).to_contain_text("已落实")
    decision.refresh_from_db()
    assert decision.status == "已落实"
