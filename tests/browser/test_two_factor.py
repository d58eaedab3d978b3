"""A new member of the reform office binds a phone at first sign-in, as a person does: the page shows the QR
code and the key, the phone's code binds it, the ten recovery codes are shown once; later the person signs
in with the password and the phone's code, and once with a recovery code when the phone is not at hand.
A new auditor account is of no use to the administrator who made it until a serving auditor approves it."""

from __future__ import annotations

import os
import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("QINQING_SCREENSHOTS")  # a directory, to look at the pages at 1366×768


def _code_for(secret: str) -> str:
    text = secret.replace(" ", "")
    clock = TOTP(b32decode(text + "=" * (-len(text) % 8)))
    clock.time = time.time()
    return f"{clock.token():06d}"


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_the_office_binds_a_phone_and_signs_in_with_it_and_with_a_recovery_code(page: Page, live_server):
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 768})
    UserFactory(username="office_new", display_name="赵新", roles=[Role.OFFICE], second_factor=False)

    sign_in(page, base, "office_new", TEST_PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/two-factor/")
    expect(page.get_by_text("您的角色须使用第二因素")).to_be_visible()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    _shot(page, "bind")
    # the ledger is out of reach until the phone is bound
    page.goto(f"{base}/ledger/")
    expect(page).to_have_url(f"{base}/accounts/two-factor/")
    secret = page.get_by_test_id("totp-secret").inner_text()

    page.get_by_label("手机上显示的 6 位数字").fill("12345")
    page.get_by_role("button", name="绑定").click()
    expect(page.get_by_text("验证码不正确")).to_be_visible()
    time.sleep(1.2)  # a wrong code makes the next try wait a second
    page.get_by_label("手机上显示的 6 位数字").fill(_code_for(secret))
    page.get_by_role("button", name="绑定").click()
    expect(page.get_by_text("手机验证器已绑定")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    _shot(page, "codes")
    page.get_by_role("link", name="已妥善保存，进入工作台").click()
    expect(page.get_by_test_id("workbench")).to_be_visible()
    page.get_by_role("button", name="退出").click()

    # the next morning, the phone is at home: a recovery code, once
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("office_new")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    _shot(page, "verify")
    page.get_by_label("验证码").fill(codes[3])
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_test_id("workbench")).to_be_visible()
    page.get_by_role("link", name="第二因素").click()
    expect(page.get_by_test_id("codes-left")).to_contain_text("9 个")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR_VERIFY, detail__contains="恢复码").exists()


def test_a_new_auditor_waits_for_a_serving_auditors_approval(page: Page, live_server, browser):
    base = live_server.url
    UserFactory(username="admin1", display_name="陈管理", roles=[Role.ADMIN])
    UserFactory(username="auditor1", display_name="钱审计", roles=[Role.AUDITOR])

    sign_in(page, base, "admin1", TEST_PASSWORD)
    page.goto(f"{base}/staff/new/")
    page.get_by_label("用户名").fill("auditor2")
    page.get_by_label("姓名").fill("孙审计")
    page.get_by_label("审计员").check()
    page.get_by_role("button", name="保存").click()
    password = page.get_by_test_id("initial-password").inner_text().strip()
    page.get_by_role("button", name="退出").click()

    # the newcomer (or the administrator who knows the password): change it, bind a phone, and wait
    sign_in(page, base, "auditor2", password)
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("新密码", exact=True).fill("Shenji#2026x")
    page.get_by_label("再次输入新密码").fill("Shenji#2026x")
    page.get_by_role("button", name="保存新密码").click()
    expect(page).to_have_url(f"{base}/accounts/two-factor/")
    page.get_by_label("手机上显示的 6 位数字").fill(_code_for(page.get_by_test_id("totp-secret").inner_text()))
    page.get_by_role("button", name="绑定").click()
    page.get_by_role("link", name=re.compile("下一步")).click()
    code = page.get_by_test_id("approval-code").inner_text()
    assert re.fullmatch(r"\d{4}-\d{4}", code)
    page.goto(f"{base}/audit/")
    expect(page).to_have_url(f"{base}/accounts/two-factor/")

    # the serving auditor, in their own session, types the code read out to them
    other = browser.new_context(locale="zh-CN")
    desk = other.new_page()
    sign_in(desk, base, "auditor1", TEST_PASSWORD)
    desk.get_by_test_id("main-nav").get_by_role("link", name="审计日志").click()
    desk.get_by_role("link", name=re.compile("批准启用审计员")).click()
    expect(desk.get_by_test_id("pending-auditors")).to_contain_text("auditor2")
    desk.get_by_label("确认码").fill(code)
    desk.get_by_role("button", name="核对并批准").click()
    expect(desk.get_by_text("已批准启用审计员账号")).to_be_visible()
    other.close()

    page.goto(f"{base}/audit/")
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
