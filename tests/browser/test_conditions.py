"""容缺受理 and 告知承诺 on the matter page, with the buttons a unit clerk uses: the move form shows the
missing-material fields only for 容缺受理 and the commitment fields only for 承诺办理; a missing material
is supplied with its button; a commitment is checked 不符合, cannot be revoked while the matter is open,
and is revoked once the matter is 办结（通过）."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects.models import Commitment, MissingMaterial, ProjectMatter
from qinqing.roles import Role
from qinqing.workdays import is_workday
from tests.browser.helpers import sign_in
from tests.factories import (
    TEST_PASSWORD,
    DepartmentFactory,
    MaterialFactory,
    MatterFactory,
    ProjectMatterFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _last_workday(before: int = 3):
    """A working day a few days back, so the acceptance needs no non-working-day confirmation."""
    day = timezone.localdate() - timedelta(days=before)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


@pytest.fixture
def clerk(transactional_db):
    unit = DepartmentFactory(name="区住房城乡建委")
    return UserFactory(username="unit_clerk", roles=[Role.DEPARTMENT], department=unit)


def _matter(clerk, name: str) -> ProjectMatter:
    matter = MatterFactory(
        name=name, time_limit_workdays=5, unit=clerk.department, allows_deficiency=True, allows_commitment=True
    )
    MaterialFactory(matter=matter, name="施工图设计文件审查合格书", can_defer=True, commitment_ok=True)
    return ProjectMatterFactory(matter=matter)


def _login(page: Page, base: str) -> None:
    sign_in(page, base, "unit_clerk", TEST_PASSWORD)
    expect(page.get_by_test_id("workbench")).to_be_visible()


def test_deficiency_and_commitment_from_the_matter_page(page: Page, live_server, clerk):
    base = live_server.url
    accepted_on = _last_workday()
    deficient = _matter(clerk, "建筑工程施工许可")
    promised = _matter(clerk, "城市建筑垃圾处置核准")
    _login(page, base)

    # 容缺受理: the fields follow the chosen move and mode
    page.goto(f"{base}/projects/matters/{deficient.pk}/move/")
    form = page.get_by_test_id("move-form")
    form.get_by_label("变更为").select_option(label="撤回")
    expect(form.get_by_label("办理方式")).to_be_hidden()
    expect(form.get_by_label("补齐时限（工作日）")).to_be_hidden()
    form.get_by_label("变更为").select_option(label="受理")
    expect(form.get_by_label("办理方式")).to_be_visible()
    expect(form.get_by_label("补齐时限（工作日）")).to_be_hidden()
    form.get_by_label("办理方式").select_option("容缺受理")
    expect(form.get_by_label("补齐时限（工作日）")).to_be_visible()
    expect(form.get_by_label("承诺内容")).to_be_hidden()
    form.get_by_label("施工图设计文件审查合格书（目录标明可容缺）").check()
    form.get_by_label("其他容缺材料").fill("授权委托书")
    form.get_by_label("日期", exact=True).fill(accepted_on.isoformat())
    form.get_by_role("button", name="确定").click()
    expect(page.locator(".qq-messages")).to_contain_text("已受理")
    page.goto(f"{base}/projects/matters/{deficient.pk}/move/")
    missing = page.get_by_test_id("missing-materials")
    expect(missing).to_contain_text("授权委托书")
    expect(missing.get_by_text("待补齐")).to_have_count(2)

    # one material supplied with its own button
    row = missing.locator("li").filter(has_text="授权委托书")
    row.get_by_label("说明").fill("申请人当面补交原件")
    row.get_by_role("button", name="登记补齐").click()
    missing = page.get_by_test_id("missing-materials")
    expect(missing.locator("li").filter(has_text="授权委托书")).to_contain_text("已补齐")
    expect(missing.get_by_text("待补齐")).to_have_count(1)
    assert MissingMaterial.objects.filter(project_matter=deficient, supplied_on__isnull=False).count() == 1

    # 告知承诺: accepted on the applicant's written commitment
    page.goto(f"{base}/projects/matters/{promised.pk}/move/")
    form = page.get_by_test_id("move-form")
    form.get_by_label("变更为").select_option(label="受理")
    form.get_by_label("办理方式").select_option("承诺办理")
    expect(form.get_by_label("补齐时限（工作日）")).to_be_hidden()
    form.get_by_label("承诺内容").fill("承诺 30 日内补交施工图设计文件审查合格书")
    form.get_by_label("核查日期").fill((accepted_on + timedelta(days=2)).isoformat())
    form.get_by_label("日期", exact=True).fill(accepted_on.isoformat())
    form.get_by_role("button", name="确定").click()
    expect(page.locator(".qq-messages")).to_contain_text("已受理")
    page.goto(f"{base}/projects/matters/{promised.pk}/move/")
    card = page.get_by_test_id("commitment")
    expect(card.get_by_test_id("commitment-status")).to_contain_text("待核查")

    # checked: not true, with a rectification deadline
    check = page.get_by_test_id("commitment-check")
    check.get_by_label("不符合（限期整改，逾期撤销审批）").check()
    check.get_by_label("核查日期").fill(timezone.localdate().isoformat())
    check.get_by_label("整改期限（不符合时）").fill((timezone.localdate() + timedelta(days=10)).isoformat())
    check.get_by_label("核查情况").fill("未按承诺补交审查合格书")
    check.get_by_role("button", name="登记核查结果").click()
    card = page.get_by_test_id("commitment")
    expect(card.get_by_test_id("commitment-status")).to_contain_text("不符合")

    # the matter is still open: nothing to revoke, only 整改到位 is offered
    close = page.get_by_test_id("commitment-close")
    expect(close.get_by_label("撤销审批")).to_have_count(0)
    expect(card.get_by_test_id("not-revocable")).to_be_visible()

    # once approved (办结（通过）), a false commitment revokes the approval
    form = page.get_by_test_id("move-form")
    form.get_by_label("变更为").select_option(label="办结")
    form.get_by_label("办结（通过）").check()
    form.get_by_label("日期", exact=True).fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="确定").click()
    expect(page.locator(".qq-messages")).to_contain_text("办结")
    page.goto(f"{base}/projects/matters/{promised.pk}/move/")
    expect(page.get_by_test_id("pm-status")).to_contain_text("办结（通过）")
    close = page.get_by_test_id("commitment-close")
    close.get_by_label("撤销审批").check()
    close.get_by_label("整改情况或撤销决定文号").fill("江北建撤〔2026〕3号")
    close.get_by_role("button", name="登记处理结果").click()
    expect(page.get_by_test_id("pm-status")).to_contain_text("已撤销")
    assert Commitment.objects.get(project_matter=promised).status == Commitment.Status.REVOKED
