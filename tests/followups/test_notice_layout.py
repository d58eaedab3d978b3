"""The notice as an official document: 主送 the member units (listed in an attached table), long lists in
attached tables rather than prose, 抄送 in the 版记, a seal area, and the 版记 never alone on a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import documents, services
from followups.models import Notice
from qinqing.models import AuditEntry
from qinqing.pdf import render_pdf
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.pdf import flat, pdf_pages_text, pdf_text, require_cjk_font


@pytest.fixture
def office(db):
    return UserFactory(roles=[Role.OFFICE], display_name="赵督查")


def _draft(office, unit, **kw) -> Notice:
    today = timezone.localdate()
    return services.notice_draft(actor=office, request=None, unit=unit, title=kw.pop("title", "关于审批超时的通报"),
                                 facts=kw.pop("facts", "经查，施工图审查备案超过承诺时限。"),
                                 requirement=kw.pop("requirement", "请限期整改。"),
                                 period_start=today - timedelta(days=30), period_end=today,
                                 source=kw.pop("source", Notice.Source.OTHER), **kw)  # fmt: skip


def test_the_record_and_the_seal_area_never_stand_alone_on_a_page(office):
    """GIVEN notices whose body and whose attached list of member units end at every height of a page (the
    body one to thirty lines long, the list 1 to 85 units) WHEN they are printed THEN the page of the 落款
    also carries the body's last lines, and the page of the 版记 also carries rows of the attached list."""
    require_cjk_font()
    unit = DepartmentFactory(name="区住房城乡建委")
    made = 1
    for step in range(15):
        while made < 6 * step + 1:
            DepartmentFactory(name=f"版记测试单位{made:02d}")
            made += 1
        facts = "\n".join(f"第{n:02d}段事实，用于把正文推到页面底部附近的不同位置。" for n in range(1, 2 * step + 2))
        notice = _draft(office, unit, facts=facts, requirement="请限期整改，末段结束。")
        pages = [flat(page) for page in pdf_pages_text(render_pdf(documents.TEMPLATE, documents.context_of(notice)))]
        sign = [page for page in pages if "附件：1．主送成员单位名单" in page]
        assert len(sign) == 1, f"第 {step} 次：附件说明不止一处"
        assert "末段结束。" in sign[0], f"第 {step} 次：落款所在页没有正文"
        record = [page for page in pages if "抄送：区政府督查室。" in page]
        assert len(record) == 1
        assert "（印发日期）" not in record[0] or len(pages) == 1
        body = record[0].split("抄送：")[0]
        assert "区住房城乡建委" in body or "版记测试单位" in body, f"第 {step} 次：版记单独成页"
        assert "未印发" in record[0].split("抄送：")[1]


def test_overdue_matters_and_visits_go_into_attached_tables(office):
    require_cjk_font()
    unit = DepartmentFactory(name="区住房城乡建委")
    project = ProjectFactory(name="鱼嘴物流园二期")
    today = timezone.localdate()
    matters = [
        ProjectMatterFactory(
            project=project,
            matter=MatterFactory(name=f"附表事项{n:02d}", unit=unit),
            status="审查中",
            accepted_on=today - timedelta(days=40),
            due_on=today - timedelta(days=n),
        )  # fmt: skip
        for n in range(1, 41)
    ]
    notice = _draft(office, unit, matters=matters, source=Notice.Source.OVERDUE,
                    facts="经查，区住房城乡建委承办的40个审批事项未在承诺时限内办结，逐项情况见附件逾期事项清单。")  # fmt: skip
    text = flat(pdf_text(render_pdf(documents.TEMPLATE, documents.context_of(notice))))
    head, attached = text.split("附件1逾期事项清单")
    assert "附表事项" not in head  # not in the prose
    assert all(f"附表事项{n:02d}" in attached for n in range(1, 41))
    assert "附件2主送成员单位名单" in attached


def test_the_copy_line_is_edited_on_the_draft_and_audited(office):
    unit = DepartmentFactory(name="区住房城乡建委")
    notice = _draft(office, unit)
    assert notice.copy_to == "区政府督查室"
    client = Client()
    sign_in(client, office)
    response = client.post(reverse("followups:notice_edit", args=[notice.pk]), {
        "title": notice.title, "facts": notice.facts, "requirement": notice.requirement,
        "period_start": notice.period_start.isoformat(), "period_end": notice.period_end.isoformat(),
        "copy_to": "区政府督查室，区政务服务管理办公室", "version": notice.version,
    })  # fmt: skip
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.copy_to == "区政府督查室、区政务服务管理办公室"
    row = AuditEntry.objects.filter(object_type="followups.notice", action=AuditEntry.Action.UPDATE).get()
    assert row.before == {"抄送": "区政府督查室"}
    assert row.after == {"抄送": "区政府督查室、区政务服务管理办公室"}
    page = client.get(reverse("followups:notice_detail", args=[notice.pk])).content.decode()
    assert "抄送：区政府督查室、区政务服务管理办公室。" in page
    assert "各成员单位：" in page
    # issuing keeps the member units it went to and says so in the audit log
    notice = services.notice_issue(actor=office, request=None, notice_id=notice.pk, version=notice.version)
    assert "区住房城乡建委" in notice.recipients
    issued = AuditEntry.objects.filter(object_type="followups.notice", action=AuditEntry.Action.UPDATE).latest("id")
    assert issued.before["状态"] == "草稿"
    assert issued.after["状态"] == "已印发"
    assert issued.after["印发人"] == "赵督查"
    assert issued.after["主送"] == f"各成员单位（{len(notice.recipients)} 个）"
