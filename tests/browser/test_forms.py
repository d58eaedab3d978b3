"""In a real browser (static/qinqing/forms.js): after a submission with errors the first invalid field has the
focus and is in view, a refusal without a field focuses its message, and the matter picker keeps the ticked
matters in view with a count that follows the ticks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from projects.models import Project
from qinqing.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import TEST_PASSWORD, MatterFactory, ProjectFactory, StageFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_focus_goes_to_the_first_invalid_field(page: Page, live_server):
    page.set_viewport_size({"width": 1000, "height": 500})
    page.goto(f"{live_server.url}/progress/")
    page.get_by_label("项目代码或查询号").fill("2601-500105-04-01-00001X")
    page.get_by_role("button", name="查询").click()
    digits = page.locator("#id_phone_last4")
    expect(digits).to_have_class("form-control is-invalid")
    expect(digits).to_be_focused()
    expect(digits).to_be_in_viewport()
    expect(page.locator("#id_code")).not_to_have_class("form-control is-invalid")


def test_a_refusal_without_a_field_focuses_its_message(page: Page, live_server):
    ProjectFactory(code="2601-500105-04-01-00002X", contact_phone="13800005678")
    page.goto(f"{live_server.url}/progress/")
    page.get_by_label("项目代码或查询号").fill("2601-500105-04-01-00002X")
    page.get_by_label("联系电话后四位").fill("0000")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("lookup-error")).to_be_focused()
    assert Project.objects.count() == 1


def _login(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, TEST_PASSWORD)


def test_ticked_matters_stay_visible_with_a_count(page: Page, live_server):
    first = StageFactory(number=1, name="立项用地规划许可阶段")
    second = StageFactory(number=2, name="工程建设许可阶段")
    MatterFactory(stage=first, name="企业投资项目备案")
    MatterFactory(stage=second, name="建设工程规划许可证核发")
    MatterFactory(stage=second, name="施工图设计文件审查")
    UserFactory(username="picker_specialist", roles=[Role.SPECIALIST])
    _login(page, live_server.url, "picker_specialist")
    page.goto(f"{live_server.url}/projects/consultations/new/")
    picked = page.get_by_test_id("matter-picked")
    expect(picked).to_contain_text("已选 0 项")
    picker = page.get_by_test_id("matter-picker")
    picker.get_by_text("工程建设许可阶段").click()  # open the stage
    picker.get_by_label("建设工程规划许可证核发").check()
    picker.get_by_label("施工图设计文件审查").check()
    expect(picked).to_contain_text("已选 2 项")
    expect(picked.get_by_role("button")).to_have_count(2)
    expect(picker.get_by_text("，已选 2 项")).to_be_visible()
    # closing the stage does not hide what was ticked
    picker.get_by_text("工程建设许可阶段").click()
    expect(picked.get_by_role("button", name="取消选择 施工图设计文件审查")).to_be_visible()
    picked.get_by_role("button", name="取消选择 施工图设计文件审查").click()
    expect(picked).to_contain_text("已选 1 项")
    expect(picker.get_by_label("施工图设计文件审查")).not_to_be_checked()
    # a submission with errors keeps the tick, opens its stage and focuses the first invalid field
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("matter-picked")).to_contain_text("已选 1 项")
    expect(page.get_by_test_id("matter-picked")).to_contain_text("建设工程规划许可证核发")
    expect(page.get_by_test_id("matter-picker").get_by_label("建设工程规划许可证核发")).to_be_visible()
    expect(page.locator(".is-invalid").first).to_be_focused()
