"""Escalations (督查督办) through the pages: the office picks a unit, then the evidence of that unit,
refers it and a rectification follows; the referral closes only after the rectification closes."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Escalation, Notice, Rectification
from projects.models import ProjectMatter, TimelineEntry
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.followups.test_rectifications import bad_visit
from tests.pdf import require_cjk_font


def _today() -> datetime.date:
    return timezone.localdate()


def _login(user) -> Client:
    client = Client()
    sign_in(client, user)
    client.user = user
    return client


def _overdue_matter(project, unit, name: str) -> ProjectMatter:
    today = _today()
    return ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name=name, unit=unit),
        status=ProjectMatter.Status.REVIEWING,
        accepted_on=today - datetime.timedelta(days=20),
        due_on=today - datetime.timedelta(days=5),
    )


def _issued_notice(unit, actor, title: str) -> Notice:
    today = _today()
    notice = services.notice_draft(
        actor=actor,
        request=None,
        unit=unit,
        title=title,
        facts="多个事项超期办理",
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
        source=Notice.Source.OVERDUE,
    )
    return services.notice_issue(actor=actor, request=None, notice_id=notice.pk, version=notice.version)


@pytest.fixture
def hall(db):
    """Unit A (区住房城乡建委) has a 不满意 visit on 滨江花园, an overdue matter on it, an issued notice
    and a draft notice; unit B (区消防救援支队) has an overdue matter and an issued notice of its own.
    ``escalation`` refers unit B already (its rectification open)."""
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    users = {
        "office": UserFactory(roles=[Role.OFFICE]),
        "department": UserFactory(roles=[Role.DEPARTMENT], department=unit_b),
        "other_department": UserFactory(roles=[Role.DEPARTMENT], department=unit_a),
        "specialist": UserFactory(roles=[Role.SPECIALIST]),
        "window": UserFactory(roles=[Role.WINDOW]),
        "admin": UserFactory(roles=[Role.ADMIN]),
    }
    office = users["office"]
    project = ProjectFactory(name="滨江花园住宅小区")
    rect = bad_visit(project, unit_a, actor=office)
    matter = _overdue_matter(project, unit_a, "施工图审查备案")
    notice = _issued_notice(unit_a, office, "关于区住房城乡建委事项超期的通报")
    draft = services.notice_draft(
        actor=office,
        request=None,
        unit=unit_a,
        title="尚未印发的通报草稿",
        facts="x",
        period_start=_today(),
        period_end=_today(),
        source=Notice.Source.OTHER,
    )
    other_project = ProjectFactory(name="观音桥商业综合体")
    other_matter = _overdue_matter(other_project, unit_b, "消防验收")
    other_notice = _issued_notice(unit_b, office, "关于区消防救援支队验收超期的通报")
    escalation = services.escalation_create(
        actor=office,
        request=None,
        unit=unit_b,
        reason="消防验收多次超期，经通报仍未改正",
        referred_on=_today(),
        owner="赵队长",
        matters=[other_matter],
        notices=[other_notice],
    )
    return SimpleNamespace(
        unit_a=unit_a,
        unit_b=unit_b,
        users=users,
        clients={seat: _login(user) for seat, user in users.items()},
        project=project,
        visit=rect.visit,
        matter=matter,
        notice=notice,
        draft=draft,
        other_project=other_project,
        other_matter=other_matter,
        other_notice=other_notice,
        escalation=escalation,
    )


def _form(hall, **overrides) -> dict:
    data = {
        "unit": hall.unit_a.pk,
        "reason": "回访不满意、事项超期，经通报仍未整改",
        "referred_on": _today().isoformat(),
        "referred_to": "区政府督查室",
        "owner": "李科长",
        "workdays": 10,
        "visits": [hall.visit.pk],
        "matters": [hall.matter.pk],
        "notices": [hall.notice.pk],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _counts() -> tuple[int, int]:
    return Escalation.objects.count(), Rectification.objects.count()


# --- creating ------------------------------------------------------------------------------------


def test_the_office_picks_a_unit_then_its_evidence(hall):
    office = hall.clients["office"]
    url = reverse("followups:escalation_create")
    first = office.get(url).content.decode()
    assert 'data-testid="escalation-unit-form"' in first
    assert 'data-testid="escalation-form"' not in first
    page = office.get(url, {"unit": hall.unit_a.pk}).content.decode()
    assert 'data-testid="escalation-form"' in page
    assert "区住房城乡建委" in page
    assert "滨江花园住宅小区" in page  # the visit and the overdue matter
    assert "施工图审查备案" in page
    assert hall.notice.number in page
    # not the other unit's evidence, nor a draft
    assert "消防验收" not in page
    assert hall.other_notice.number not in page
    assert "尚未印发的通报草稿" not in page
    # the defaults: today, 区政府督查室 (the work plan's name), the configured working days
    assert 'value="区政府督查室"' in page
    assert f'value="{_today().isoformat()}"' in page
    assert 'name="workdays" value="15"' in page
    for bad in ("abc", "999999", str(hall.unit_a.pk + 1000)):
        response = office.get(url, {"unit": bad})
        assert response.status_code == 200
        assert 'data-testid="escalation-form"' not in response.content.decode()


def test_an_escalation_with_evidence_opens_a_rectification(hall):
    office = hall.clients["office"]
    before = _counts()
    response = office.post(reverse("followups:escalation_create"), _form(hall))
    escalation = Escalation.objects.get(unit=hall.unit_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:escalation_detail", args=[escalation.pk])
    assert _counts() == (before[0] + 1, before[1] + 1)
    rect = escalation.rectification
    assert rect.source == "督查督办"
    assert rect.unit == hall.unit_a
    assert rect.owner == "李科长"
    assert rect.status == "整改中"
    assert list(escalation.visits.all()) == [hall.visit]
    assert list(escalation.matters.all()) == [hall.matter]
    assert list(escalation.notices.all()) == [hall.notice]
    assert TimelineEntry.objects.filter(project=hall.project, kind="escalation").count() == 1

    page = office.get(response["Location"]).content.decode()
    assert reverse("followups:visit_detail", args=[hall.visit.pk]) in page
    assert reverse("followups:notice_detail", args=[hall.notice.pk]) in page
    assert reverse("projects:detail", args=[hall.project.pk]) in page
    assert reverse("followups:rectification_detail", args=[rect.pk]) in page
    # the rectification's page and list lead back to the referral
    rect_page = office.get(reverse("followups:rectification_detail", args=[rect.pk])).content.decode()
    assert reverse("followups:escalation_detail", args=[escalation.pk]) in rect_page
    listing = office.get(reverse("followups:rectification_list")).content.decode()
    assert reverse("followups:escalation_detail", args=[escalation.pk]) in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visits": None, "matters": None, "notices": None}, "请至少附一项证据：回访、事项或通报"),
        ({"unit": None}, "请选择被督办单位"),
        ({"unit": "abc"}, "请选择被督办单位"),
        ({"reason": ""}, "请写明督办事由"),
        ({"reason": "<script>x</script>"}, "不能包含 &lt; 或 &gt; 等标记字符"),
        ({"owner": ""}, "请填写整改责任人"),
        ({"workdays": 0}, "整改期限应为 1 到 60 个工作日"),
        ({"workdays": "十"}, "整改期限应为 1 到 60 个工作日"),
        ({"referred_on": "2099-01-01"}, "移送日期不能晚于今天"),
        ({"referred_to": "x" * 51}, "最多 50 个字符"),
    ],
)
def test_a_bad_referral_saves_nothing(hall, overrides, message):
    office = hall.clients["office"]
    before = _counts()
    response = office.post(reverse("followups:escalation_create"), _form(hall, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("evidence", ["other_matter", "other_notice", "draft"])
def test_evidence_of_another_unit_or_a_draft_is_refused(hall, evidence):
    field = {"other_matter": "matters", "other_notice": "notices", "draft": "notices"}[evidence]
    before = _counts()
    response = hall.clients["office"].post(
        reverse("followups:escalation_create"), _form(hall, **{field: [getattr(hall, evidence).pk]})
    )
    assert response.status_code == 200
    assert "不在可选范围内" in response.content.decode()
    assert _counts() == before


# --- closing -------------------------------------------------------------------------------------


def _close(client, escalation, outcome="督查办约谈单位负责人，整改到位"):
    escalation.refresh_from_db()
    return client.post(
        reverse("followups:escalation_close", args=[escalation.pk]),
        {"close-outcome": outcome, "close-version": escalation.version},
    )


def test_an_escalation_closes_only_after_its_rectification(hall):
    escalation, office = hall.escalation, hall.clients["office"]
    page = office.get(reverse("followups:escalation_detail", args=[escalation.pk])).content.decode()
    assert "整改尚未办结" in page
    response = _close(office, escalation)
    assert response.status_code == 200
    assert "区消防救援支队尚未签收并回复督办单，不能办结督办" in response.content.decode()
    _sign_and_reply(hall)
    escalation.refresh_from_db()
    version = escalation.version
    response = _close(office, escalation)
    assert response.status_code == 200
    assert "督办对应的整改尚未办结" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.status == "督办中"
    assert escalation.version == version

    rect = escalation.rectification
    services.rectification_report(
        actor=hall.users["department"],
        request=None,
        rectification_id=rect.pk,
        version=rect.version,
        measures="增派验收人员",
        rectified_on=_today(),
    )
    rect.refresh_from_db()
    services.rectification_close(
        actor=hall.users["office"],
        request=None,
        rectification_id=rect.pk,
        version=rect.version,
        callback="申请人确认已验收",
        callback_on=_today(),
        callback_rating="满意",
        closing_check="同意",
    )
    assert _close(office, escalation, outcome="").status_code == 200
    response = _close(office, escalation)
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == "已办结"
    assert escalation.closed_on == _today()
    page = office.get(reverse("followups:escalation_detail", args=[escalation.pk])).content.decode()
    assert "督查办约谈单位负责人，整改到位" in page
    assert 'data-testid="escalation-close-form"' not in page
    # closed once: a second close says so and changes nothing
    response = office.post(
        reverse("followups:escalation_close", args=[escalation.pk]),
        {"close-outcome": "再次办结", "close-version": escalation.version},
    )
    assert response.status_code == 200
    assert "该督办已办结" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.outcome == "督查办约谈单位负责人，整改到位"


def test_the_list_and_its_filter(hall):
    office = hall.clients["office"]
    url = reverse("followups:escalation_list")
    page = office.get(url).content.decode()
    assert "消防验收多次超期" in page
    assert 'data-testid="escalation-new"' in page
    assert "消防验收多次超期" in office.get(url, {"status": "open"}).content.decode()
    assert "消防验收多次超期" not in office.get(url, {"status": "closed"}).content.decode()
    assert office.get(url, {"status": "<x>", "page": "-1"}).status_code == 200
    unit_page = hall.clients["department"].get(url).content.decode()
    assert "消防验收多次超期" in unit_page
    assert 'data-testid="escalation-new"' not in unit_page
    assert "消防验收多次超期" not in hall.clients["other_department"].get(url).content.decode()


# --- who may do what -----------------------------------------------------------------------------

SEATS = ("office", "department", "other_department", "specialist", "window", "admin")

# url name, method, expected status for each of SEATS in order; ``department`` works for the
# referred unit B, ``other_department`` for unit A
PAGES = [
    ("escalation_list", "get", (200, 200, 200, 403, 403, 403)),
    ("escalation_create", "get", (200, 403, 403, 403, 403, 403)),
    ("escalation_create", "post", (302, 403, 403, 403, 403, 403)),
    ("escalation_detail", "get", (200, 200, 404, 403, 403, 403)),
    ("escalation_close", "post", (302, 403, 404, 403, 403, 403)),
    ("escalation_pdf", "get", (200, 200, 404, 403, 403, 403)),
    ("escalation_sign", "post", (403, 302, 404, 403, 403, 403)),
    ("escalation_reply", "post", (403, 302, 404, 403, 403, 403)),
    ("escalation_opinion", "post", (302, 403, 404, 403, 403, 403)),
]
OBJECT_PAGES = ("escalation_detail", "escalation_close", "escalation_pdf", "escalation_sign", "escalation_reply",
                "escalation_opinion")  # fmt: skip


def _page_url(hall, name: str) -> str:
    if name in OBJECT_PAGES:
        return reverse(f"followups:{name}", args=[hall.escalation.pk])
    return reverse(f"followups:{name}")


def _post_data(hall, name: str) -> dict:
    if name == "escalation_create":
        return _form(hall)
    hall.escalation.refresh_from_db()
    version = hall.escalation.version
    if name == "escalation_close":
        return {"close-outcome": "整改到位", "close-version": version}
    if name == "escalation_sign":
        return {"sign-version": version}
    if name == "escalation_reply":
        return {"reply-reply": "已整改到位", "reply-version": version}
    if name == "escalation_opinion":
        return {"opinion-opinion": "同意", "opinion-opinion_on": _today().isoformat(), "opinion-version": version}
    return {}


def _state() -> tuple:
    return tuple(Escalation.objects.order_by("pk").values_list("pk", "status", "version")), _counts()


def _sign_and_reply(hall) -> None:
    unit_user, escalation = hall.users["department"], hall.escalation
    escalation.refresh_from_db()
    escalation = services.escalation_sign(actor=unit_user, request=None, escalation_id=escalation.pk,
                                          version=escalation.version)  # fmt: skip
    services.escalation_reply(actor=unit_user, request=None, escalation_id=escalation.pk,
                              version=escalation.version, reply="已增派验收人员，逐件办结。")  # fmt: skip


def _close_rectification(hall) -> None:
    _sign_and_reply(hall)
    rect = hall.escalation.rectification
    services.rectification_report(
        actor=hall.users["office"], request=None, rectification_id=rect.pk, version=rect.version,
        measures="已整改", rectified_on=_today(),
    )  # fmt: skip
    rect.refresh_from_db()
    services.rectification_close(
        actor=hall.users["office"], request=None, rectification_id=rect.pk, version=rect.version,
        callback="已回访", callback_on=_today(), callback_rating="", closing_check="同意",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "seat", "status"),
    [
        pytest.param(name, method, seat, status, id=f"{name}-{method}-{seat}")
        for name, method, statuses in PAGES
        for seat, status in zip(SEATS, statuses, strict=True)
    ],
)
def test_every_page_for_every_seat(hall, name, method, seat, status, django_capture_on_commit_callbacks):
    if name == "escalation_close":
        _close_rectification(hall)
    if name in ("escalation_reply", "escalation_opinion"):
        unit_user = hall.users["department"]
        services.escalation_sign(actor=unit_user, request=None, escalation_id=hall.escalation.pk, version=0)
    if name == "escalation_opinion":
        services.escalation_reply(actor=hall.users["department"], request=None, escalation_id=hall.escalation.pk,
                                  version=1, reply="已整改")  # fmt: skip
    if name == "escalation_pdf":
        require_cjk_font()
    client = hall.clients[seat]
    url = _page_url(hall, name)
    before = _state()
    response = client.get(url) if method == "get" else client.post(url, _post_data(hall, name))
    assert response.status_code == status
    assert (_state() != before) is (status == 302)
    if name == "escalation_pdf" and status == 200:
        assert response["Content-Type"] == "application/pdf"
        return
    page = response.content.decode()
    if status == 200 and name == "escalation_detail":
        assert "消防验收多次超期" in page
    if status in (403, 404):
        assert "消防验收多次超期" not in page.replace("督查督办：", "")
        assert ("无权访问" if status == 403 else "页面不存在") in page


@pytest.mark.parametrize(("name", "method", "statuses"), PAGES)
def test_anonymous_goes_to_login(hall, client, name, method, statuses):
    url = _page_url(hall, name)
    before = _state()
    response = client.get(url) if method == "get" else client.post(url, _post_data(hall, name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert _state() == before


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("escalation_list", ["post", "put", "delete", "patch"]),
        ("escalation_create", ["put", "delete", "patch"]),
        ("escalation_detail", ["post", "put", "delete", "patch"]),
        ("escalation_close", ["get", "put", "delete", "patch"]),
        ("escalation_sign", ["get", "put", "delete", "patch"]),
        ("escalation_reply", ["get", "put", "delete", "patch"]),
        ("escalation_opinion", ["get", "put", "delete", "patch"]),
        ("escalation_pdf", ["post", "put", "delete", "patch"]),
    ],
)
def test_other_methods_are_refused(hall, name, wrong):
    office = hall.clients["office"]
    url = _page_url(hall, name)
    before = _state()
    for method in wrong:
        assert getattr(office, method)(url).status_code == 405
    assert _state() == before


def test_from_a_notices_page_the_notice_is_preselected_as_evidence(hall):
    """GIVEN the office on an issued notice's page WHEN it follows "起草督查督办" THEN the referral of the
    notice's unit opens with that notice ticked (and only it; another unit's notice is not offered)."""
    office = hall.clients["office"]
    page = office.get(reverse("followups:notice_detail", args=[hall.notice.pk])).content.decode()
    link = f"{reverse('followups:escalation_create')}?unit={hall.unit_a.pk}&amp;notice={hall.notice.pk}"
    assert link in page
    form = office.get(link.replace("&amp;", "&")).context["form"]
    assert form.unit == hall.unit_a
    assert [str(pk) for pk in form["notices"].value()] == [str(hall.notice.pk)]
    assert [str(pk) for pk in form["visits"].value() or []] == []
    # a notice of another unit is not offered, so it cannot be ticked either
    form = office.get(reverse("followups:escalation_create"), {"unit": hall.unit_a.pk, "notice": hall.other_notice.pk}).context["form"]  # fmt: skip
    assert hall.other_notice not in form.fields["notices"].queryset
