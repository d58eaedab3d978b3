"""Each demo role logs in through the real page, sees its own navigation and workbench, logs out."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from qinqing.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV = {
    "demo_specialist": (
        ["工作台", "项目档案", "阶段窗口", "工作台账"],
        ["人员账号", "督查回访", "审计日志"],
        "panel-specialist",
    ),
    "demo_window": (["工作台", "项目档案", "阶段窗口", "工作台账"], ["人员账号", "督查回访"], "panel-window"),
    "demo_dept": (["工作台", "项目档案", "阶段窗口", "督查回访"], ["工作台账", "人员账号", "周报"], "panel-department"),
    "demo_office": (
        ["工作台", "项目档案", "工作台账", "周报", "督查回访"],
        ["人员账号", "责任单位", "审计日志"],
        "panel-office",
    ),
    "demo_admin": (
        ["工作台", "人员账号", "责任单位", "事项目录"],
        ["项目档案", "工作台账", "督查回访", "审计日志"],
        "panel-admin",
    ),
    # 三员分立: the auditor reads the audit log and nothing else
    "demo_auditor": (
        ["工作台", "审计日志"],
        ["项目档案", "事项目录", "人员账号", "工作台账", "督查回访"],
        "panel-auditor",
    ),
}


NAMES = {username: name for username, name, *_ in DEMO_ACCOUNTS}


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _login(page: Page, base: str, username: str, password: str) -> None:
    sign_in(page, base, username, password)


@pytest.mark.parametrize("username", list(NAV))
def test_each_role_sees_its_navigation(page: Page, live_server, demo_data, username):
    visible, hidden, panel = NAV[username]
    _login(page, live_server.url, username, DEMO_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()
    nav = page.get_by_test_id("main-nav")
    # a link's name may carry the to-do count after it: "工作台 9"
    for label in visible:
        expect(nav.get_by_role("link", name=re.compile(rf"^{label}( \d+)?$"))).to_be_visible()
    for label in hidden:
        expect(nav.get_by_role("link", name=re.compile(rf"^{label}( \d+)?$"))).to_have_count(0)
    expect(page.get_by_test_id(panel)).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text(NAMES[username])
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_admin_creates_an_account_and_the_newcomer_changes_password(page: Page, live_server, demo_data):
    _login(page, live_server.url, "demo_admin", DEMO_PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="人员账号").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("newcomer01")
    page.get_by_label("姓名").fill("新同事")
    page.get_by_label("帮办专员").check()
    page.get_by_role("button", name="保存").click()
    password = page.get_by_test_id("initial-password").inner_text().strip()
    assert len(password) == 12
    page.get_by_role("button", name="退出").click()

    _login(page, live_server.url, "newcomer01", password)
    expect(page.get_by_text("须先修改密码")).to_be_visible()
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("新密码", exact=True).fill("Jiangbei#2026")
    page.get_by_label("再次输入新密码").fill("Jiangbei#2026")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()
    expect(page.get_by_test_id("panel-specialist")).to_be_visible()


def test_no_console_errors_and_no_csp_violations(page: Page, live_server, demo_data):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _login(page, live_server.url, "demo_admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("搜索").fill("demo")
    expect(page.locator("#staff-table")).to_contain_text("demo_admin")
    expect(page.locator("#staff-table")).not_to_contain_text("zhou_ghzy")
    assert errors == []
