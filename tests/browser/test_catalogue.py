"""The administrator confirms a matter's materials from the catalogue page, with the buttons a person
uses; the specialist's letter then prints them, while a matter still 待核实 needs the specialist's
statement before the letter is issued."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from projects.models import Matter, NotificationLetter, Project
from qinqing.demo import DEMO_PASSWORD
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, username, DEMO_PASSWORD)


def test_admin_verifies_materials_and_the_letter_follows(page: Page, live_server, demo_data):
    base = live_server.url
    night = Matter.objects.get(name="夜间施工审批")
    names = list(night.materials.values_list("name", flat=True))
    assert not night.materials.filter(verified=True).exists()

    # the administrator finds the matters left to check and confirms one matter's list
    _login(page, base, "demo_admin")
    page.get_by_test_id("main-nav").get_by_role("link", name="事项目录").click()
    page.get_by_label("只看有待核实材料的").check()
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="夜间施工审批").click()
    table = page.get_by_test_id("materials")
    for name in names:
        table.get_by_label(f"核实 {name}").check()
    page.get_by_role("button", name="勾选的材料已对照本区办事指南核实").click()
    expect(page.get_by_text(f"已核实 {len(names)} 项申请材料")).to_be_visible()
    expect(table.get_by_text("待核实")).to_have_count(0)

    # the specialist's letter: the verified list is printed; the archaeology survey (待核实) needs a tick
    _login(page, base, "demo_specialist")
    project = Project.objects.get(name="江北嘴金融城3号地块商业综合体")
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_role("link", name="一次性告知").click()
    letters = NotificationLetter.objects.filter(project=project).count()
    picker = page.get_by_test_id("matter-picker")
    for stage, matter in (("施工许可阶段", "夜间施工审批"), ("立项用地规划许可阶段", "考古调查勘探")):
        details = picker.locator("details").filter(has=page.locator("summary", has_text=stage))
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        picker.get_by_label(matter).check()
    page.get_by_role("button", name="签发告知单").click()
    box = page.get_by_test_id("guide-told")
    expect(page.get_by_role("alert").first).to_contain_text("考古调查勘探")
    expect(box).to_contain_text("考古调查勘探")
    expect(box).not_to_contain_text("夜间施工审批")
    assert NotificationLetter.objects.filter(project=project).count() == letters  # the refusal issued nothing
    box.get_by_label("考古调查勘探：材料以办事指南为准，已当面告知").check()
    page.get_by_role("button", name="签发告知单").click()
    letter = page.get_by_test_id("letter")
    assert NotificationLetter.objects.filter(project=project).count() == letters + 1
    for name in names:
        expect(letter).to_contain_text(name)
    expect(letter).to_contain_text("以区文化旅游委公布的办事指南为准，帮办专员已当面告知")
