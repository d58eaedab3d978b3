"""Issue 15's walk at the counter, as the specialist and the applicant see it: a walk-in whose phone
matches an open dossier → the duplicate warning → a new dossier anyway → the one-time notification
letter, its PDF listing every material and phone with a QR code for the look-up → the consultation's
matters preselected in 添加事项 → acceptance → the SMS through a real HTTP gateway → the applicant's
look-up showing the due date."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects.models import Matter, NotificationLetter, Project
from qinqing.demo import DEMO_PASSWORD
from qinqing.models import SmsMessage, SmsTemplate
from qinqing.workdays import WorkCalendar
from tests.browser.helpers import sign_in
from tests.pdf import flat, pdf_qr_codes, pdf_text, require_cjk_font
from tests.sms_gateway import serve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "鱼嘴镇智能制造产业园配套仓储中心"
CODE = "2612-500105-04-01-70417Q"
PHONE = "18523076543"  # the demo factory's contact: the same person applies for a second project


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def gateway(settings):
    yield from serve(settings)


def _login(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, DEMO_PASSWORD)


def test_walk_in_duplicate_letter_with_qr_acceptance_sms_and_lookup(page: Page, live_server, demo_data, gateway):
    require_cjk_font()
    base = live_server.url
    permit = Matter.objects.get(name="建筑工程施工许可证核发")
    fire = Matter.objects.get(name="建设工程消防设计审查")
    _login(page, base, "demo_specialist")

    # 1. the walk-in, with the matters asked about and a new dossier
    page.get_by_test_id("main-nav").get_by_role("link", name="咨询登记").click()
    page.get_by_role("link", name="登记来访").click()
    form = page.get_by_test_id("consultation-form")
    form.get_by_label("来访人", exact=True).fill("黄海燕")
    form.get_by_label("咨询内容").fill("配套仓储中心想申请开工“一件事”，需要准备哪些材料？")
    form.get_by_label("讲解的惠企政策").fill("开工“一件事”集成办理")
    picker = form.get_by_test_id("matter-picker")
    picker.locator("summary").filter(has_text="施工许可阶段").click()  # the stages start folded
    picker.get_by_label(permit.name).check()
    picker.get_by_label(fire.name).check()
    form.get_by_label("新来访者：同时新建项目档案").check()
    form.get_by_label("项目名称").fill(NAME)
    form.get_by_label("项目代码").fill(CODE)
    form.get_by_label("建设单位").fill("重庆鱼嘴仓储物流有限公司")
    form.get_by_label("联系人", exact=True).fill("黄海燕")
    form.get_by_label("联系电话").fill(PHONE)
    form.get_by_label("投资类型").select_option("社会投资")
    form.get_by_role("button", name="登记").click()

    # 2. the same contact phone as an open dossier: the candidates first, nothing created yet
    candidates = page.get_by_test_id("duplicate-candidates")
    expect(candidates).to_contain_text("鱼嘴镇智能制造产业园标准厂房")
    assert not Project.objects.filter(name=NAME).exists()
    page.get_by_test_id("confirm-distinct").check()
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    project = Project.objects.get(name=NAME)

    # 3. the letter starts from the consultation: its matters ticked, its policy filled in
    page.get_by_role("link", name="一次性告知").click()
    expect(page.get_by_test_id("carried")).to_be_visible()
    letter_picker = page.get_by_test_id("matter-picker")
    expect(letter_picker.get_by_label(permit.name)).to_be_checked()
    expect(letter_picker.get_by_label(fire.name)).to_be_checked()
    expect(page.get_by_label("相关政策")).to_have_value("开工“一件事”集成办理")
    page.get_by_role("button", name="签发告知单").click()
    letter = page.get_by_test_id("letter")
    expect(letter).to_contain_text("工程建设项目审批一次性告知单")
    issued = NotificationLetter.objects.get(project=project)
    materials = [m["name"] for item in issued.items for m in item["materials"]]
    assert len(materials) >= 10
    expect(letter).to_contain_text(materials[0])
    # the PDF as the specialist's browser fetches it (it opens inline, for printing)
    href = page.get_by_test_id("letter-pdf").get_attribute("href")
    fetched = page.context.request.get(f"{base}{href}")
    assert fetched.headers["content-type"] == "application/pdf"
    pdf = fetched.body()
    text = flat(pdf_text(pdf))
    # read cell by cell (a wrapped cell's lines are not interleaved with its neighbours'), punctuation aside
    words = re.sub(r"\W", "", pdf_text(pdf, raw=True))
    for name in materials:
        assert re.sub(r"\W", "", name) in words, name
    for phone in ("023-67851205", "023-67851103", "023-67851121"):  # the unit, the window, the specialist
        assert phone in text, phone
    assert f"〔{timezone.localdate().year}〕{issued.serial}号" in text
    assert pdf_qr_codes(pdf) == [f"{base}/progress/?code={CODE}"]

    # 4. 添加事项: the consultation's matters preselected
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_role("link", name="添加事项").click()
    expect(page.get_by_test_id("carried")).to_be_visible()
    expect(page.get_by_test_id("matter-picker").get_by_label(permit.name)).to_be_checked()
    page.get_by_role("button", name="添加").click()
    stage = page.get_by_test_id("stage-3")
    expect(stage).to_contain_text(permit.name)
    expect(stage).to_contain_text(fire.name)

    # 5. acceptance today: the deadline, and the SMS queued, then sent through the gateway
    row = stage.get_by_role("row").filter(has_text=permit.name)
    row.get_by_role("link", name="办理").click()
    page.get_by_label("变更为").select_option(label="受理")
    page.get_by_role("button", name="确定").click()
    due = WorkCalendar().add_workdays(timezone.localdate(), permit.time_limit_workdays).date
    row = page.get_by_test_id("stage-3").get_by_role("row").filter(has_text=permit.name)
    expect(row.get_by_test_id("due")).to_contain_text(f"{due:%Y-%m-%d}")
    call_command("send_sms", stdout=io.StringIO())
    message = SmsMessage.objects.get(phone=PHONE, kind=SmsTemplate.Key.ACCEPTED)
    assert message.status == SmsMessage.Status.SENT
    sent = [r.body for r in gateway.received if r.body["phone"] == PHONE]
    assert len(sent) == 1
    assert NAME in sent[0]["text"]
    assert f"{due.year}年{due.month}月{due.day}日前办结" in sent[0]["text"]
    page.reload()
    expect(page.get_by_test_id("timeline")).to_contain_text("短信")

    # 6. the applicant, not signed in, follows the QR code's address
    applicant = page.context.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    applicant.goto(f"{base}/progress/?code={CODE}")
    expect(applicant.get_by_label(re.compile("项目代码"))).to_have_value(CODE)
    applicant.get_by_label("联系电话后四位").fill(PHONE[-4:])
    applicant.get_by_role("button", name="查询").click()
    result = applicant.locator("main")
    expect(result).to_contain_text(NAME)
    expect(result).to_contain_text(f"已受理{timezone.localdate():%Y年%-m月%-d日}{due.year}年{due.month}月{due.day}日")
    expect(result).to_contain_text("023-67851121")
    applicant.context.close()
