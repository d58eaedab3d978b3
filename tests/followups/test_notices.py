"""Notices (通报) and periodic inspections (定期检查): drafting from a visit, an inspection or overdue
matters, numbering on issue, the formal PDF, what a unit's staff see, the dossier, and every URL for
every seat of the hall."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups import documents, services
from followups.models import Inspection, InspectionResult, Notice, Rectification, Visit
from projects.models import TimelineEntry
from qinqing.models import Department
from qinqing.roles import Role
from qinqing.services import STALE_MESSAGE
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_page_size, pdf_text, require_cjk_font

SEATS = ("office", "department", "other_department", "outsider", "specialist", "window", "admin")


def _today() -> date:
    return timezone.localdate()


def _year() -> int:
    return timezone.localtime().year


class _Seats(dict):
    """The hall's seats: every account exists from the start; each logs in when a test first uses it."""

    def __init__(self, users: dict):
        super().__init__()
        self.users = users

    def __missing__(self, seat: str) -> Client:
        client = Client()
        sign_in(client, self.users[seat])
        client.user = self.users[seat]
        self[seat] = client
        return client


def _draft(actor, unit, *, title="关于审批服务问题的通报", facts="经查，存在超时办理问题。", **kw) -> Notice:
    today = _today()
    return services.notice_draft(
        actor=actor,
        request=None,
        unit=unit,
        title=title,
        facts=facts,
        requirement=kw.pop("requirement", "请限期整改。"),
        period_start=kw.pop("period_start", today - timedelta(days=30)),
        period_end=kw.pop("period_end", today),
        source=kw.pop("source", Notice.Source.OTHER),
        **kw,
    )


def _issue(actor, notice: Notice) -> Notice:
    return services.notice_issue(actor=actor, request=None, notice_id=notice.pk, version=notice.version)


@pytest.fixture
def hall(make_user):
    """Unit A (区住房城乡建委) has an overdue matter and a late-finished one on 滨江花园, a bad visit to
    滨江花园 naming it, and two notices: a draft (``draft``) and an issued one (``issued``). Unit B
    (区消防救援支队) has an overdue matter on 观音桥 and an issued notice (``other``). An inspection
    checked A and B. Unit C has staff (``outsider``) but nothing about it."""
    today = _today()
    office_unit = DepartmentFactory(name="区工改办", kind=Department.Kind.OFFICE)
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    unit_c = DepartmentFactory(name="区城市管理局")
    users = {
        "office": make_user(Role.OFFICE, department=office_unit),
        "department": make_user(Role.DEPARTMENT, department=unit_a),
        "other_department": make_user(Role.DEPARTMENT, department=unit_b),
        "outsider": make_user(Role.DEPARTMENT, department=unit_c),
        "specialist": make_user(Role.SPECIALIST),
        "window": make_user(Role.WINDOW),
        "admin": make_user(Role.ADMIN),
    }
    office = users["office"]
    project = ProjectFactory(name="滨江花园住宅小区")
    overdue = ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="施工图审查备案", unit=unit_a),
        status="审查中",
        accepted_on=today - timedelta(days=30),
        due_on=today - timedelta(days=10),
        time_limit_workdays=5,
    )
    late = ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="建设工程消防验收备案", unit=unit_a),
        status="已办结",
        accepted_on=today - timedelta(days=40),
        due_on=today - timedelta(days=25),
        finished_on=today - timedelta(days=20),
        time_limit_workdays=5,
    )
    on_time = ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="施工许可证核发", unit=unit_a),
        status="审查中",
        accepted_on=today - timedelta(days=2),
        due_on=today + timedelta(days=5),
        time_limit_workdays=5,
    )
    other_project = ProjectFactory(name="观音桥商业综合体")
    other_overdue = ProjectMatterFactory(
        project=other_project,
        matter=MatterFactory(name="人防工程竣工验收备案", unit=unit_b),
        status="已受理",
        accepted_on=today - timedelta(days=30),
        due_on=today - timedelta(days=8),
        time_limit_workdays=5,
    )
    visit = Visit.objects.create(
        project=project,
        period_start=today - timedelta(days=30),
        period_end=today - timedelta(days=3),
        status=Visit.Status.DONE,
        method=Visit.Method.PHONE,
        respondent="张经理",
        respondent_phone="13800001234",
        visited_at=timezone.now() - timedelta(days=2),
        overall="不满意",
        efficiency="非常不满意",
        competence="基本满意",
        attitude="满意",
        comments="希望缩短审查时间",
        problems_found="施工图审查超期十个工作日",
        unit=unit_a,
        recorded_by=office,
    )
    inspection = services.inspection_record(
        actor=office,
        request=None,
        inspected_on=today - timedelta(days=1),
        subject="审批服务窗口运行情况",
        results=[
            (unit_a, "发现问题", "区住房城乡建委窗口无人值守半小时"),
            (unit_b, "发现问题", "区消防救援支队一次性告知不完整"),
        ],
        findings="区住房城乡建委窗口无人值守半小时；区消防救援支队一次性告知不完整。",
        result=Inspection.Result.CRITICISED,
    )
    draft = _draft(office, unit_a, title="关于区住房城乡建委草稿的通报", facts="草稿事实：尚未核实。")
    issued = _issue(
        office,
        _draft(
            office,
            unit_a,
            title="关于区住房城乡建委审批事项逾期办理情况的通报",
            facts="经查，施工图审查备案超过承诺时限十个工作日。",
            source=Notice.Source.OVERDUE,
            matters=[overdue],
        ),
    )
    other = _issue(office, _draft(office, unit_b, title="关于区消防救援支队的通报", facts="消防事实。"))
    return SimpleNamespace(
        clients=_Seats(users),
        users=users,
        office=office,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        project=project,
        overdue=overdue,
        late=late,
        on_time=on_time,
        other_project=other_project,
        other_overdue=other_overdue,
        visit=visit,
        inspection=inspection,
        draft=draft,
        issued=issued,
        other=other,
    )


# --- numbering, drafts and issue ---------------------------------------------------------------


def test_issued_notices_are_numbered_in_order_and_drafts_have_no_number(hall):
    year = _year()
    assert (hall.issued.year, hall.issued.serial) == (year, 1)
    assert hall.issued.number == f"江北工改通〔{year}〕1号"
    assert hall.other.number == f"江北工改通〔{year}〕2号"
    assert hall.draft.number == ""
    assert hall.draft.serial is None
    assert hall.draft.status == Notice.Status.DRAFT
    third = _issue(hall.office, hall.draft)
    assert third.number == f"江北工改通〔{year}〕3号"
    assert str(third).startswith(f"江北工改通〔{year}〕3号")


def test_issuing_twice_is_refused(hall):
    with pytest.raises(ValidationError, match="该通报已印发"):
        services.notice_issue(actor=hall.office, request=None, notice_id=hall.issued.pk, version=hall.issued.version)
    client = hall.clients["office"]
    response = client.post(
        reverse("followups:notice_issue", args=[hall.issued.pk]), {"version": hall.issued.version}, follow=True
    )
    page = response.content.decode()
    assert f"该通报已印发（{hall.issued.number}）" in page
    assert Notice.objects.filter(status=Notice.Status.ISSUED).count() == 2
    assert sorted(Notice.objects.exclude(serial=None).values_list("serial", flat=True)) == [1, 2]


def test_issuing_through_the_page_shows_the_number(hall):
    client = hall.clients["office"]
    response = client.post(
        reverse("followups:notice_issue", args=[hall.draft.pk]), {"version": hall.draft.version}, follow=True
    )
    number = f"江北工改通〔{_year()}〕3号"
    page = response.content.decode()
    assert f"已印发通报，文号 {number}" in page
    assert number in page
    hall.draft.refresh_from_db()
    assert hall.draft.status == Notice.Status.ISSUED
    assert hall.draft.issued_by == hall.office
    assert Rectification.objects.count() == 0


def test_issuing_with_a_stale_version_changes_nothing(hall):
    client = hall.clients["office"]
    response = client.post(reverse("followups:notice_issue", args=[hall.draft.pk]), {"version": 7}, follow=True)
    assert STALE_MESSAGE in response.content.decode()
    hall.draft.refresh_from_db()
    assert hall.draft.status == Notice.Status.DRAFT
    assert hall.draft.serial is None


def test_issuing_can_open_the_units_rectification(hall):
    notice = _draft(hall.office, hall.unit_a, source=Notice.Source.VISIT, visits=[hall.visit])
    client = hall.clients["office"]
    response = client.post(
        reverse("followups:notice_issue", args=[notice.pk]),
        {"version": notice.version, "owner": "王科长", "workdays": 10},
        follow=True,
    )
    page = response.content.decode()
    rectification = Rectification.objects.get()
    assert f"已向{hall.unit_a.name}下发整改" in page
    assert rectification.notice == notice
    assert rectification.source == Rectification.Source.NOTICE
    assert rectification.unit == hall.unit_a
    assert rectification.owner == "王科长"
    # the notice concerns one project: the rectification is in its dossier too
    assert rectification.project == hall.project
    assert "王科长" in page
    assert reverse("followups:rectification_detail", args=[rectification.pk]) in page


def test_a_bad_rectification_deadline_leaves_the_notice_a_draft(hall):
    client = hall.clients["office"]
    response = client.post(
        reverse("followups:notice_issue", args=[hall.draft.pk]),
        {"version": hall.draft.version, "owner": "王科长", "workdays": 99},
        follow=True,
    )
    assert "整改期限应为 1 到 60 个工作日" in response.content.decode()
    hall.draft.refresh_from_db()
    assert hall.draft.status == Notice.Status.DRAFT
    assert Rectification.objects.count() == 0


def test_an_issued_notice_cannot_be_edited(hall):
    with pytest.raises(ValidationError, match="已印发的通报不能修改"):
        services.notice_update(
            actor=hall.office,
            request=None,
            notice_id=hall.issued.pk,
            version=hall.issued.version,
            title="改过的标题",
            facts="改过的事实",
            requirement="",
            period_start=hall.issued.period_start,
            period_end=hall.issued.period_end,
        )
    client = hall.clients["office"]
    url = reverse("followups:notice_edit", args=[hall.issued.pk])
    for response in (
        client.get(url, follow=True),
        client.post(url, {"title": "改过的标题", "facts": "改过的事实", "version": hall.issued.version}, follow=True),
    ):
        assert f"该通报已印发（{hall.issued.number}），不能修改" in response.content.decode()
    hall.issued.refresh_from_db()
    assert hall.issued.title == "关于区住房城乡建委审批事项逾期办理情况的通报"
    # neither the edit button nor the issue form is offered on an issued notice
    page = client.get(reverse("followups:notice_detail", args=[hall.issued.pk])).content.decode()
    assert 'data-testid="notice-edit"' not in page
    assert 'data-testid="notice-issue-form"' not in page


def test_editing_a_draft(hall):
    client = hall.clients["office"]
    url = reverse("followups:notice_edit", args=[hall.draft.pk])
    page = client.get(url).content.decode()
    assert "草稿事实：尚未核实。" in page
    # the pickers offer the unit's late matters, not the one on time, not another unit's
    assert hall.overdue.matter.name in page
    assert hall.late.matter.name in page
    assert hall.on_time.matter.name not in page
    assert hall.other_overdue.matter.name not in page
    data = {
        "title": "关于区住房城乡建委审批事项逾期的通报",
        "facts": "经核实，施工图审查备案逾期。",
        "requirement": "请于十五个工作日内整改。",
        "period_start": (_today() - timedelta(days=60)).isoformat(),
        "period_end": _today().isoformat(),
        "matters": [hall.overdue.pk],
        "visits": [hall.visit.pk],
        "version": hall.draft.version,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    hall.draft.refresh_from_db()
    assert hall.draft.facts == "经核实，施工图审查备案逾期。"
    assert list(hall.draft.matters.all()) == [hall.overdue]
    assert list(hall.draft.visits.all()) == [hall.visit]
    assert hall.draft.version == 1
    # the same form again, from the old page: refused, nothing overwritten
    response = client.post(url, {**data, "facts": "旧页面的事实"})
    assert STALE_MESSAGE in response.content.decode()
    hall.draft.refresh_from_db()
    assert hall.draft.facts == "经核实，施工图审查备案逾期。"


# --- drafting: refusals and prefills ----------------------------------------------------------


def _form_data(hall, **overrides) -> dict:
    data = {
        "unit": hall.unit_a.pk,
        "source": Notice.Source.OTHER,
        "title": "关于区住房城乡建委服务态度问题的通报",
        "period_start": (_today() - timedelta(days=30)).isoformat(),
        "period_end": _today().isoformat(),
        "facts": "群众反映窗口服务态度生硬。",
        "requirement": "请限期整改。",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_notice_with_no_unit_is_refused_and_nothing_saved(hall):
    before = Notice.objects.count()
    with pytest.raises(ValidationError, match="请选择被通报单位"):
        _draft(hall.office, None)
    response = hall.clients["office"].post(reverse("followups:notice_create"), _form_data(hall, unit=""))
    assert response.status_code == 200
    assert "请选择被通报单位。" in response.content.decode()
    assert Notice.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "请填写通报标题。"),
        ({"facts": " "}, "请写明通报事实。"),
        ({"title": "通" * 101}, "最多 100 个字符"),
        ({"facts": "<script>alert(1)</script>"}, "不能包含 &lt; 或 &gt; 等标记字符"),
        ({"period_start": "2026-02-30"}, "输入一个有效的日期"),
        ({"period_start": _today().isoformat(), "period_end": "2000-01-01"}, "结束日期不能早于开始日期"),
        ({"source": Notice.Source.OVERDUE}, "请勾选至少一个相关事项"),
        ({"source": Notice.Source.VISIT}, "请勾选至少一次相关回访"),
        ({"source": Notice.Source.INSPECTION}, "请选择相关检查"),
        ({"unit": "99999"}, "选择一个有效的选项"),
    ],
)
def test_bad_drafts_are_refused_with_a_message(hall, overrides, message):
    before = Notice.objects.count()
    response = hall.clients["office"].post(reverse("followups:notice_create"), _form_data(hall, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Notice.objects.count() == before


def test_evidence_of_another_unit_is_refused(hall):
    client = hall.clients["office"]
    before = Notice.objects.count()
    response = client.post(
        reverse("followups:notice_create"),
        _form_data(hall, unit=hall.unit_b.pk, source=Notice.Source.VISIT, visits=[hall.visit.pk]),
    )
    assert "所选回访涉及的是其他单位。" in response.content.decode()
    response = client.post(
        reverse("followups:notice_create"),
        _form_data(hall, unit=hall.unit_b.pk, source=Notice.Source.OVERDUE, matters=[hall.overdue.pk]),
    )
    assert "所选事项不属于被通报单位。" in response.content.decode()
    outsider_inspection = services.inspection_record(
        actor=hall.office,
        request=None,
        inspected_on=_today(),
        subject="档案管理",
        results=[(hall.unit_c, "无问题", "")],
        findings="档案齐全。",
        result=Inspection.Result.PASSED,
    )
    response = client.post(
        reverse("followups:notice_create"),
        _form_data(hall, source=Notice.Source.INSPECTION, inspection=outsider_inspection.pk),
    )
    assert "被通报单位不在该次检查的被检查单位中。" in response.content.decode()
    assert Notice.objects.count() == before


def test_prefill_from_a_visit(hall):
    client = hall.clients["office"]
    response = client.get(reverse("followups:notice_create"), {"visit": hall.visit.pk})
    form = response.context["form"]
    assert form.initial["unit"] == hall.unit_a
    assert form.initial["source"] == Notice.Source.VISIT
    assert form.initial["visits"] == [hall.visit.pk]
    assert (form.initial["period_start"], form.initial["period_end"]) == (
        hall.visit.period_start,
        hall.visit.period_end,
    )
    facts = form.initial["facts"]
    assert "滨江花园住宅小区" in facts
    assert "整体满意度“不满意”" in facts
    assert "服务效率“非常不满意”" in facts
    assert "施工图审查超期十个工作日" in facts
    assert "13800001234" not in facts
    page = response.content.decode()
    assert f'value="{hall.visit.pk}"' in page
    assert "关于区住房城乡建委在审批服务回访中发现问题的通报" in page
    # sent back as prefilled, it is saved with the visit
    data = _form_data(hall, source=Notice.Source.VISIT, facts=facts, visits=[hall.visit.pk])
    response = client.post(reverse("followups:notice_create"), data)
    notice = Notice.objects.latest("id")
    assert response["Location"] == reverse("followups:notice_detail", args=[notice.pk])
    assert list(notice.visits.all()) == [hall.visit]
    assert notice.source == Notice.Source.VISIT
    assert notice.drafted_by == hall.office


def test_prefill_from_an_inspection(hall):
    client = hall.clients["office"]
    url = reverse("followups:notice_create")
    response = client.get(url, {"inspection": hall.inspection.pk, "unit": hall.unit_b.pk})
    form = response.context["form"]
    assert form.initial["unit"] == hall.unit_b
    assert form.initial["source"] == Notice.Source.INSPECTION
    assert form.initial["inspection"] == hall.inspection.pk
    assert "区消防救援支队一次性告知不完整" in form.initial["facts"]
    # the unit's own problem, not the other units' nor the inspection's overall result
    assert "无人值守" not in form.initial["facts"]
    assert "通报批评" not in form.initial["facts"]
    assert form.initial["period_end"] == hall.inspection.inspected_on
    assert form.initial["title"] == "关于区消防救援支队在审批服务窗口运行情况检查中发现问题的通报"
    assert form.initial["copy_to"] == "区政府督查室"
    data = _form_data(
        hall,
        unit=hall.unit_b.pk,
        source=Notice.Source.INSPECTION,
        inspection=hall.inspection.pk,
        facts="检查发现问题。",
    )
    assert client.post(url, data).status_code == 302
    notice = Notice.objects.latest("id")
    assert notice.inspection == hall.inspection
    assert list(hall.inspection.notices.all()) == [notice]
    # a unit the inspection did not check
    assert client.get(url, {"inspection": hall.inspection.pk, "unit": hall.unit_c.pk}).status_code == 404


def test_prefill_from_overdue_matters(hall):
    client = hall.clients["office"]
    start, end = _today() - timedelta(days=60), _today()
    response = client.get(
        reverse("followups:notice_create"),
        {"unit": hall.unit_a.pk, "source": "逾期事项", "start": start.isoformat(), "end": end.isoformat()},
    )
    form = response.context["form"]
    assert form.initial["source"] == Notice.Source.OVERDUE
    assert sorted(form.initial["matters"]) == sorted([hall.overdue.pk, hall.late.pk])
    assert (form.initial["period_start"], form.initial["period_end"]) == (start, end)
    facts = form.initial["facts"]
    # a summary in the prose; the matters themselves go into the attached 逾期事项清单
    assert "区住房城乡建委承办的2个审批事项未在承诺时限内办结（1个超期办结、1个至今未办结）" in facts
    assert "见附件逾期事项清单" in facts
    assert "施工图审查备案" not in facts
    assert "施工许可证核发" not in facts
    assert "人防工程竣工验收备案" not in facts
    assert form.initial["title"] == "关于区住房城乡建委审批事项逾期办理情况的通报"
    page = response.content.decode()
    assert "人防工程竣工验收备案" not in page
    # a unit with nothing late says so
    response = client.get(reverse("followups:notice_create"), {"unit": hall.unit_c.pk, "source": "逾期事项"})
    assert "没有逾期事项" in response.content.decode()
    assert response.context["form"].initial["matters"] == []


def test_prefill_by_unit_from_its_visits_or_its_last_inspection(hall):
    client = hall.clients["office"]
    url = reverse("followups:notice_create")
    response = client.get(url, {"unit": hall.unit_a.pk, "source": "回访", "start": (_today() - timedelta(days=7))})
    initial = response.context["form"].initial
    assert initial["visits"] == [hall.visit.pk]
    assert "施工图审查超期十个工作日" in initial["facts"]
    assert initial["period_end"] == _today()
    response = client.get(url, {"unit": hall.unit_b.pk, "source": "定期检查"})
    initial = response.context["form"].initial
    assert initial["inspection"] == hall.inspection.pk
    assert "区消防救援支队一次性告知不完整" in initial["facts"]
    assert "无人值守" not in initial["facts"]
    assert "起草依据：定期检查" in response.content.decode()
    # nothing of unit C to draw on: an empty draft about it
    response = client.get(url, {"unit": hall.unit_c.pk, "source": "回访"})
    assert response.context["form"].initial["visits"] == []
    assert response.context["form"].initial["facts"] == ""


def test_prefill_ignores_nonsense_and_refuses_unknown_records(hall):
    client = hall.clients["office"]
    url = reverse("followups:notice_create")
    assert client.get(url, {"unit": "abc", "visit": "1x", "start": "2026-99-99"}).status_code == 200
    response = client.get(url, {"unit": hall.unit_a.pk, "source": "逾期事项", "start": "2026-13-01", "end": "x"})
    assert "所填期间无效" in response.content.decode()
    assert client.get(url, {"visit": 999999}).status_code == 404
    assert client.get(url, {"inspection": 999999}).status_code == 404
    # a planned visit has nothing to say yet
    planned = Visit.objects.create(
        project=hall.project, period_start=_today() - timedelta(days=3), period_end=_today() - timedelta(days=1)
    )
    assert client.get(url, {"visit": planned.pk}).status_code == 404


# --- the dossier ------------------------------------------------------------------------------


def test_issuing_records_the_notice_in_the_dossiers_concerned(hall):
    notice = _draft(
        hall.office, hall.unit_a, source=Notice.Source.VISIT, visits=[hall.visit], matters=[hall.overdue, hall.late]
    )
    assert not TimelineEntry.objects.filter(object_type="followups.notice", object_id=str(notice.pk)).exists()
    notice = _issue(hall.office, notice)
    entries = TimelineEntry.objects.filter(object_type="followups.notice", object_id=str(notice.pk))
    # one entry for the one project concerned, however many visits and matters
    assert [(e.project, e.kind, e.unit) for e in entries] == [(hall.project, "notice", hall.unit_a)]
    assert notice.number in entries[0].summary
    assert not TimelineEntry.objects.filter(project=hall.other_project, kind="notice").exists()
    # the unit's staff read it in the dossier of their project
    page = hall.clients["department"].get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert notice.number in page


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_a_formal_a4_document_with_the_font_embedded(hall):
    require_cjk_font()
    response = hall.clients["office"].get(reverse("followups:notice_pdf", args=[hall.issued.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    content = response.content
    text = flat(pdf_text(content))
    assert "江北区工程建设项目审批制度改革工作领导小组办公室" in text
    assert flat(hall.issued.number) in text
    assert hall.issued.title in text
    # circulated to every member unit (listed in the attachment), 抄送 区政府督查室 in the 版记
    assert "各成员单位：" in text
    assert "现将区住房城乡建委" in text
    assert "附件：1．逾期事项清单2．主送成员单位名单" in text
    assert "附件1逾期事项清单" in text
    assert "附件2主送成员单位名单" in text
    assert all(flat(name) in text for name in hall.issued.recipients)
    assert {hall.unit_a.name, hall.unit_b.name, hall.unit_c.name} <= set(hall.issued.recipients)
    assert "抄送：区政府督查室。" in text
    assert text.index("抄送：区政府督查室。") > text.index("附件2主送成员单位名单")
    assert "经查，施工图审查备案超过承诺时限十个工作日。" in text
    assert "请限期整改。" in text
    issued_on = timezone.localtime(hall.issued.issued_at).date()
    assert f"{issued_on.year}年{issued_on.month}月{issued_on.day}日" in text
    assert_cjk_fonts_embedded(content)
    width, height = pdf_page_size(content)
    assert (round(width), round(height)) == (595, 842)


def test_a_unit_downloads_its_issued_notice_but_no_draft_and_no_other_units(hall):
    require_cjk_font()
    department = hall.clients["department"]
    response = department.get(reverse("followups:notice_pdf", args=[hall.issued.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert department.get(reverse("followups:notice_pdf", args=[hall.draft.pk])).status_code == 404
    assert department.get(reverse("followups:notice_pdf", args=[hall.other.pk])).status_code == 404
    # the office is told a draft has no formal document yet
    response = hall.clients["office"].get(reverse("followups:notice_pdf", args=[hall.draft.pk]), follow=True)
    assert "草稿尚未印发" in response.content.decode()


# --- what each seat sees ----------------------------------------------------------------------


def test_department_staff_see_only_the_issued_notices_about_their_unit(hall):
    page = hall.clients["department"].get(reverse("followups:notice_list")).content.decode()
    assert hall.issued.title in page
    assert hall.draft.title not in page
    assert hall.other.title not in page
    assert 'data-testid="notice-new"' not in page
    assert 'data-testid="notice-filter"' not in page
    detail = hall.clients["department"].get(reverse("followups:notice_detail", args=[hall.issued.pk]))
    page = detail.content.decode()
    assert hall.issued.number in page
    assert 'data-testid="notice-pdf"' in page
    for testid in ("notice-edit", "notice-issue-form", "notice-escalate"):
        assert f'data-testid="{testid}"' not in page
    for notice in (hall.draft, hall.other):
        assert hall.clients["department"].get(reverse("followups:notice_detail", args=[notice.pk])).status_code == 404
    outsider = hall.clients["outsider"].get(reverse("followups:notice_list")).content.decode()
    assert "没有针对本单位的通报" in outsider


def test_the_office_sees_every_notice_and_filters_them(hall):
    client = hall.clients["office"]
    page = client.get(reverse("followups:notice_list")).content.decode()
    for notice in (hall.draft, hall.issued, hall.other):
        assert notice.title in page
    # drafts first: they wait for the office
    assert page.index(hall.draft.title) < page.index(hall.other.title) < page.index(hall.issued.title)
    page = client.get(reverse("followups:notice_list"), {"status": "草稿"}).content.decode()
    assert hall.draft.title in page
    assert hall.issued.title not in page
    page = client.get(reverse("followups:notice_list"), {"unit": hall.unit_b.pk}).content.decode()
    assert hall.other.title in page
    assert hall.issued.title not in page
    # a bad filter value filters nothing and breaks nothing
    assert client.get(reverse("followups:notice_list"), {"unit": "x", "status": "?"}).status_code == 200


def test_the_office_detail_offers_the_next_steps(hall):
    client = hall.clients["office"]
    page = client.get(reverse("followups:notice_detail", args=[hall.draft.pk])).content.decode()
    assert reverse("followups:notice_edit", args=[hall.draft.pk]) in page
    assert reverse("followups:notice_issue", args=[hall.draft.pk]) in page
    assert "（草稿，印发时编号）" in page
    assert reverse("followups:notice_pdf", args=[hall.draft.pk]) not in page
    page = client.get(reverse("followups:notice_detail", args=[hall.issued.pk])).content.decode()
    assert reverse("followups:notice_pdf", args=[hall.issued.pk]) in page
    assert f"{reverse('followups:escalation_create')}?unit={hall.unit_a.pk}" in page
    assert hall.overdue.matter.name in page
    assert reverse("projects:detail", args=[hall.project.pk]) in page


# --- inspections ------------------------------------------------------------------------------


def _inspection_data(hall, results: dict | None = None, **overrides) -> dict:
    """The inspection form: unit A inspected with no problem, unit C (区城市管理局) with one; ``results``
    replaces them ({unit: (outcome, problem)})."""
    if results is None:
        results = {hall.unit_a: ("无问题", ""), hall.unit_c: ("发现问题", "区城市管理局窗口未公示办事指南。")}
    data = {
        "inspected_on": _today().isoformat(),
        "subject": "第二季度窗口服务检查",
        "findings": "检查了两个单位的窗口服务。",
        "result": Inspection.Result.RECTIFY,
    }
    for unit, (outcome, problem) in results.items():
        data[f"outcome_{unit.pk}"] = outcome
        data[f"problem_{unit.pk}"] = problem
    data.update(overrides)
    return data


def test_recording_an_inspection_and_drafting_its_notices(hall):
    """GIVEN an inspection of unit A (no problem) and unit C (a problem) WHEN it is recorded THEN each unit's
    result is kept, only unit C can be notified, and its notice cites only its own problem."""
    client = hall.clients["office"]
    form_page = client.get(reverse("followups:inspection_create"))
    assert form_page.context["form"].initial["inspected_on"] == _today()
    page = form_page.content.decode()
    assert f'name="outcome_{hall.unit_a.pk}"' in page
    assert f'name="problem_{hall.unit_a.pk}"' in page
    # the reform office does not check itself
    assert "区工改办" not in page.split('data-testid="inspection-results"')[1]
    response = client.post(reverse("followups:inspection_create"), _inspection_data(hall))
    inspection = Inspection.objects.latest("id")
    assert response["Location"] == reverse("followups:inspection_detail", args=[inspection.pk])
    assert set(inspection.units.all()) == {hall.unit_a, hall.unit_c}
    assert {(r.unit, r.outcome, r.problem) for r in inspection.results.all()} == {
        (hall.unit_a, "无问题", ""),
        (hall.unit_c, "发现问题", "区城市管理局窗口未公示办事指南。"),
    }
    assert inspection.recorded_by == hall.office
    page = client.get(reverse("followups:inspection_detail", args=[inspection.pk])).content.decode()
    assert "区城市管理局窗口未公示办事指南。" in page
    assert "限期整改" in page
    link = f"{reverse('followups:notice_create')}?inspection={inspection.pk}&amp;unit="
    assert f"{link}{hall.unit_c.pk}" in page
    # the unit with no problem is not offered for a notice, and cannot be drafted one
    assert f"{link}{hall.unit_a.pk}" not in page
    url = reverse("followups:notice_create")
    assert client.get(url, {"inspection": inspection.pk, "unit": hall.unit_a.pk}).status_code == 404
    response = client.post(url, _form_data(hall, unit=hall.unit_a.pk, source=Notice.Source.INSPECTION,
                                           inspection=inspection.pk, title="关于区住房城乡建委的通报"))  # fmt: skip
    assert "区住房城乡建委在这次检查中无问题，不能据此通报。" in response.content.decode()
    # the findings become a notice about unit C
    response = client.get(url, {"inspection": inspection.pk, "unit": hall.unit_c.pk})
    initial = response.context["form"].initial
    assert "区城市管理局窗口未公示办事指南。" in initial["facts"]
    assert initial["title"] == "关于区城市管理局在第二季度窗口服务检查中发现问题的通报"
    client.post(
        url,
        _form_data(
            hall,
            unit=hall.unit_c.pk,
            source=Notice.Source.INSPECTION,
            inspection=inspection.pk,
            title=initial["title"],
            facts=initial["facts"],
        ),
    )
    notice = Notice.objects.get(inspection=inspection)
    page = client.get(reverse("followups:inspection_detail", args=[inspection.pk])).content.decode()
    assert reverse("followups:notice_detail", args=[notice.pk]) in page
    rows = client.get(reverse("followups:inspection_list")).context["page"]
    assert (rows[0], rows[0].notice_count) == (inspection, 1)


@pytest.mark.parametrize(
    "subject",
    [
        "窗口服务作风专项检查",
        "窗口服务作风专项检查情况",
        "窗口服务作风检查检查",
        "窗口服务作风情况通报",
        "窗口服务作风",
    ],
)
def test_a_drafted_title_never_doubles_a_word(hall, subject):
    """GIVEN inspections whose subject ends in 检查, 情况, 通报 or a doubled word WHEN a notice is drafted from
    them THEN its title reads each word once ("检查检查", "情况情况", "通报通报" never appear)."""
    inspection = services.inspection_record(actor=hall.office, request=None, inspected_on=_today(), subject=subject,
                                            results=[(hall.unit_c, "发现问题", "窗口无人")], findings="见各单位",
                                            result=Inspection.Result.RECTIFY)  # fmt: skip
    response = hall.clients["office"].get(
        reverse("followups:notice_create"), {"inspection": inspection.pk, "unit": hall.unit_c.pk}
    )
    title = response.context["form"].initial["title"]
    assert title.startswith("关于区城市管理局在窗口服务作风")
    assert title.endswith("检查中发现问题的通报")
    for word in ("检查检查", "情况情况", "通报通报", "检查情况检查", "通报的通报"):
        assert word not in title
    assert documents.doubled_words(title) == []


def test_a_title_with_a_doubled_word_is_refused(hall):
    response = hall.clients["office"].post(
        reverse("followups:notice_create"),
        _form_data(hall, unit=hall.unit_a.pk, source=Notice.Source.OTHER, title="关于区住房城乡建委的通报通报"),
    )
    assert "标题中“通报通报”重复了，请修改。" in response.content.decode()
    assert documents.undouble("关于区住房城乡建委专项检查检查情况的通报通报") == "关于区住房城乡建委专项检查情况的通报"


def test_the_inspection_list_per_seat(hall):
    page = hall.clients["office"].get(reverse("followups:inspection_list")).content.decode()
    assert "审批服务窗口运行情况" in page
    assert 'data-testid="inspection-new"' in page
    page = hall.clients["department"].get(reverse("followups:inspection_list")).content.decode()
    assert "审批服务窗口运行情况" in page
    assert 'data-testid="inspection-new"' not in page
    page = hall.clients["outsider"].get(reverse("followups:inspection_list")).content.decode()
    assert "审批服务窗口运行情况" not in page
    assert "没有检查记录" in page
    detail = hall.clients["department"].get(reverse("followups:inspection_detail", args=[hall.inspection.pk]))
    assert "起草通报" not in detail.content.decode()


def test_the_notices_of_an_inspection_a_unit_sees_are_its_issued_ones(hall):
    office = hall.office
    for unit in (hall.unit_a, hall.unit_b):
        _issue(office, _draft(office, unit, source=Notice.Source.INSPECTION, inspection=hall.inspection))
    _draft(office, hall.unit_a, title="检查草稿", source=Notice.Source.INSPECTION, inspection=hall.inspection)
    counts = {
        seat: hall.clients[seat].get(reverse("followups:inspection_list")).context["page"][0].notice_count
        for seat in ("office", "department", "other_department")
    }
    assert counts == {"office": 3, "department": 1, "other_department": 1}
    page = hall.clients["department"].get(reverse("followups:inspection_detail", args=[hall.inspection.pk]))
    assert "检查草稿" not in page.content.decode()


def _bad(hall, case: str) -> dict:
    unit_a, unit_c = hall.unit_a, hall.unit_c
    cases = {
        "no unit": _inspection_data(hall, results={}),
        "problem missing": _inspection_data(hall, results={unit_c: ("发现问题", "")}),
        "clear with problem": _inspection_data(
            hall, results={unit_a: ("无问题", "窗口无人"), unit_c: ("发现问题", "x")}
        ),
        "bad outcome": _inspection_data(hall, results={unit_c: ("优秀", "")}),
        "problem markup": _inspection_data(hall, results={unit_c: ("发现问题", "<b>窗口</b>")}),
        "problem too long": _inspection_data(hall, results={unit_c: ("发现问题", "问" * 1001)}),
        "criticised without problems": _inspection_data(hall, results={unit_a: ("无问题", "")}),
        "passed with problems": _inspection_data(hall, result=Inspection.Result.PASSED),
    }
    return cases[case]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": ""}, "请填写检查事项。"),
        ({"findings": ""}, "请写明检查发现。"),
        ("no unit", "请选择至少一个被检查单位，并逐个填写检查结果。"),
        ("problem missing", "区城市管理局发现问题，请写明问题。"),
        ("clear with problem", "区住房城乡建委填写了问题，请选择“发现问题”。"),
        ("bad outcome", "请选择无问题或发现问题。"),
        ("problem markup", "不能包含 &lt; 或 &gt; 等标记字符"),
        ("problem too long", "最多 1000 个字符"),
        ("criticised without problems", "各被检查单位均无问题，检查结果应为“合格”。"),
        ("passed with problems", "有单位发现问题，检查结果不能为“合格”。"),
        ({"result": ""}, "请选择检查结果。"),
        ({"result": "优秀"}, "选择一个有效的选项"),
        ({"inspected_on": ""}, "请填写检查日期。"),
        ({"inspected_on": "yesterday"}, "输入一个有效的日期"),
        ({"inspected_on": "1999-12-31"}, "日期不能早于 2000 年"),
        ({"inspected_on": (_today() + timedelta(days=3)).isoformat()}, "检查日期不能晚于今天。"),
        ({"subject": "查" * 201}, "最多 200 个字符"),
        ({"findings": "发" * 3001}, "最多 3000 个字符"),
        ({"findings": "<b>窗口</b>"}, "不能包含 &lt; 或 &gt; 等标记字符"),
    ],
)
def test_bad_inspections_are_refused_with_a_message(hall, overrides, message):
    before = (Inspection.objects.count(), InspectionResult.objects.count())
    data = _bad(hall, overrides) if isinstance(overrides, str) else _inspection_data(hall, **overrides)
    response = hall.clients["office"].post(reverse("followups:inspection_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Inspection.objects.count(), InspectionResult.objects.count()) == before


# --- every URL, for every seat ----------------------------------------------------------------


def _post_data(hall, name: str) -> dict:
    if name == "followups:notice_create":
        return _form_data(hall)
    if name == "followups:notice_edit":
        return {
            "title": "修改后的标题",
            "facts": "修改后的事实",
            "period_start": hall.draft.period_start.isoformat(),
            "period_end": hall.draft.period_end.isoformat(),
            "version": hall.draft.version,
        }
    if name == "followups:notice_issue":
        return {"version": hall.draft.version}
    if name == "followups:inspection_create":
        return _inspection_data(hall)
    return {}


def _state() -> tuple:
    """Everything a POST here could change (not the audit log, which records refusals too)."""
    return (
        tuple(Notice.objects.order_by("pk").values_list("pk", "status", "version", "serial", "title")),
        tuple(Inspection.objects.order_by("pk").values_list("pk")),
        Rectification.objects.count(),
        TimelineEntry.objects.count(),
    )


# url name, object, method, expected status for each of SEATS in order:
#  office department other_department outsider specialist window admin
PAGES = [
    ("followups:notice_list", None, "get", (200, 200, 200, 200, 403, 403, 403)),
    ("followups:notice_create", None, "get", (200, 403, 403, 403, 403, 403, 403)),
    ("followups:notice_create", None, "post", (302, 403, 403, 403, 403, 403, 403)),
    ("followups:notice_detail", "draft", "get", (200, 404, 404, 404, 403, 403, 403)),
    ("followups:notice_detail", "issued", "get", (200, 200, 404, 404, 403, 403, 403)),
    ("followups:notice_detail", "other", "get", (200, 404, 200, 404, 403, 403, 403)),
    ("followups:notice_edit", "draft", "get", (200, 403, 403, 403, 403, 403, 403)),
    ("followups:notice_edit", "draft", "post", (302, 403, 403, 403, 403, 403, 403)),
    ("followups:notice_issue", "draft", "post", (302, 403, 403, 403, 403, 403, 403)),
    ("followups:notice_pdf", "issued", "get", (200, 200, 404, 404, 403, 403, 403)),
    ("followups:notice_pdf", "draft", "get", (302, 404, 404, 404, 403, 403, 403)),
    ("followups:inspection_list", None, "get", (200, 200, 200, 200, 403, 403, 403)),
    ("followups:inspection_create", None, "get", (200, 403, 403, 403, 403, 403, 403)),
    ("followups:inspection_create", None, "post", (302, 403, 403, 403, 403, 403, 403)),
    ("followups:inspection_detail", "inspection", "get", (200, 200, 200, 404, 403, 403, 403)),
]
MATRIX = [
    pytest.param(name, target, method, seat, status, id=f"{name.split(':')[1]}-{target}-{method}-{seat}")
    for name, target, method, statuses in PAGES
    for seat, status in zip(SEATS, statuses, strict=True)
]
URLS = sorted({(name, target) for name, target, _, _ in PAGES}, key=str)


def _url(hall, name: str, target: str | None) -> str:
    return reverse(name) if target is None else reverse(name, args=[getattr(hall, target).pk])


def _shows(hall, target: str | None) -> str | None:
    """A text on the page of ``target`` that tells what it is (and must not be on a refusal)."""
    return {
        None: None,
        "draft": hall.draft.title,
        "issued": hall.issued.title,
        "other": hall.other.title,
        "inspection": hall.inspection.subject,
    }[target]


@pytest.mark.parametrize(("name", "target", "method", "seat", "status"), MATRIX)
def test_every_page_for_every_seat(hall, name, target, method, seat, status):
    if name == "followups:notice_pdf" and status == 200:
        require_cjk_font()
    client = hall.clients[seat]
    url = _url(hall, name, target)
    before = _state()
    response = client.get(url) if method == "get" else client.post(url, _post_data(hall, name))
    assert response.status_code == status
    # a POST changes something exactly when it succeeds; a GET never does
    assert (_state() != before) is (method == "post" and status == 302)
    if status == 302:
        assert not response["Location"].startswith(reverse("login"))
        return
    if status == 200 and name == "followups:notice_pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        return
    page = response.content.decode()
    shows = _shows(hall, target)
    if status == 200:
        if shows:
            assert shows in page
        return
    # neither a refusal nor a "not found" tells what the URL points to
    if shows:
        assert shows not in page
    assert ("无权访问" if status == 403 else "页面不存在") in page


@pytest.mark.parametrize(("name", "target"), URLS)
def test_anonymous_goes_to_login(hall, client, name, target):
    url = _url(hall, name, target)
    before = _state()
    for response in (client.get(url), client.post(url, _post_data(hall, name))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert _state() == before


@pytest.mark.parametrize(("name", "target"), URLS)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(hall, name, target, method):
    before = _state()
    assert getattr(hall.clients["office"], method)(_url(hall, name, target)).status_code == 405
    assert _state() == before


def test_reading_pages_refuse_post_and_issuing_refuses_get(hall):
    before = _state()
    for name, target in [
        ("followups:notice_list", None),
        ("followups:notice_detail", "draft"),
        ("followups:notice_pdf", "issued"),
        ("followups:inspection_list", None),
        ("followups:inspection_detail", "inspection"),
    ]:
        assert hall.clients["office"].post(_url(hall, name, target)).status_code == 405
    assert hall.clients["office"].get(_url(hall, "followups:notice_issue", "draft")).status_code == 405
    assert _state() == before


# --- query counts -----------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("seat", ["office", "department"])
def test_the_lists_cost_the_same_for_2_and_20_rows(hall, seat):
    client = hall.clients[seat]
    notices, inspections = reverse("followups:notice_list"), reverse("followups:inspection_list")
    few = (_count_queries(client, notices), _count_queries(client, inspections))
    for n in range(18):
        unit = DepartmentFactory(name=f"加测单位{n}")
        _issue(hall.office, _draft(hall.office, hall.unit_a, title=f"加测通报{n}"))
        services.inspection_record(
            actor=hall.office,
            request=None,
            inspected_on=_today(),
            subject=f"加测检查{n}",
            results=[(hall.unit_a, "无问题", ""), (unit, "无问题", "")],
            findings="加测",
            result=Inspection.Result.PASSED,
        )
    many = (_count_queries(client, notices), _count_queries(client, inspections))
    assert many == few
