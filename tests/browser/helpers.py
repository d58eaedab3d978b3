"""Signing in from the browser, as a person does: the password, then the phone's code where one is bound."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from qinqing.demo import DEMO_PASSWORD
from qinqing.models import User
from qinqing.second_factor import has_factor
from tests.auth import totp_code


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    user = User.objects.filter(username=username).first()
    if user is not None and has_factor(user):
        page.wait_for_url(re.compile(r"/accounts/verify/"))
        page.get_by_label("验证码").fill(totp_code(user))
        page.get_by_role("button", name="验证并登录").click()
