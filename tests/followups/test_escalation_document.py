"""The 督办单 (移送函): numbered per year when the office refers a unit to 区政府督查室, kept as a PDF as
issued; the supervised unit signs for it and replies in the system, the office records the 督查室's opinion;
the unit's to-do list holds it until it is signed for and replied to; every step is audited in words."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Escalation, EscalationFile
from qinqing.models import AuditEntry, Counter
from qinqing.roles import Role
from qinqing.services import STALE_MESSAGE
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_text, require_cjk_font


def _today() -> datetime.date:
    return timezone.localdate()


def _login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def hall(db):
    unit = DepartmentFactory(name="区消防救援支队")
    other_unit = DepartmentFactory(name="区住房城乡建委")
    office = UserFactory(roles=[Role.OFFICE], display_name="赵督查")
    staff = UserFactory(roles=[Role.DEPARTMENT], department=unit, display_name="钱队长")
    other_staff = UserFactory(roles=[Role.DEPARTMENT], department=other_unit)
    project = ProjectFactory(name="观音桥商业综合体")
    matters = [
        ProjectMatterFactory(
            project=project,
            matter=MatterFactory(name=f"消防验收{n}", unit=unit),
            status="审查中",
            accepted_on=_today() - datetime.timedelta(days=20),
            due_on=_today() - datetime.timedelta(days=n),
        )
        for n in (3, 5, 7)
    ]
    return {"unit": unit, "office": office, "staff": staff, "other_staff": other_staff, "matters": matters}


def _refer(hall, **kw) -> Escalation:
    return services.escalation_create(actor=hall["office"], request=None, unit=hall["unit"],
                                      reason=kw.pop("reason", "消防验收多次超期，经通报仍未改正"),
                                      referred_on=_today(), owner="赵队长", matters=hall["matters"], **kw)  # fmt: skip


def test_a_duban_pdf_is_issued_and_signed_for(hall, django_capture_on_commit_callbacks):
    """GIVEN a unit referred to 区政府督查室 WHEN the office issues the 督办单 THEN it has the year's number,
    its PDF is kept with the CJK font embedded, and the unit sees it on its to-do list; WHEN the unit signs for
    it and replies THEN who and when are recorded, the to-do list no longer holds it, and the office records
    the 督查室's opinion."""
    require_cjk_font()
    with django_capture_on_commit_callbacks(execute=True):
        escalation = _refer(hall)
    year = _today().year
    assert escalation.number == f"江北工改督〔{year}〕1号"
    assert escalation.referred_to == "区政府督查室"
    kept = EscalationFile.objects.get(escalation=escalation)
    assert kept.filename == f"督办单-江北工改督{year}-1号.pdf"

    staff = _login(hall["staff"])
    response = staff.get(reverse("followups:escalation_pdf", args=[escalation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(response.content))
    for words in (
        flat(escalation.number),
        "督查督办单（移送函）",
        "区政府督查室：",
        "消防验收多次超期",
        "江工改办〔2021〕10号",
        "消防验收3",
        "消防验收7",
        "抄送：区消防救援支队。",
        "被督办单位签收",
    ):
        assert words in text, words  # fmt: skip
    assert_cjk_fonts_embedded(response.content)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, object_type="followups.escalation",
                                     actor=hall["staff"]).exists()  # fmt: skip

    # the unit's to-do list holds it, waiting for its signature
    page = staff.get(reverse("ledger:workbench")).content.decode()
    assert 'data-testid="todo-unit_escalations"' in page
    assert f"{escalation.number}（待签收）" in page

    # the unit signs for it on the page
    detail = reverse("followups:escalation_detail", args=[escalation.pk])
    assert 'data-testid="escalation-sign-form"' in staff.get(detail).content.decode()
    response = staff.post(reverse("followups:escalation_sign", args=[escalation.pk]), {"sign-version": 0})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.signed_by == hall["staff"]
    assert timezone.now() - escalation.signed_at < datetime.timedelta(minutes=1)
    assert f"{escalation.number}（待回复）" in staff.get(reverse("ledger:workbench")).content.decode()

    # and replies in the system
    response = staff.post(reverse("followups:escalation_reply", args=[escalation.pk]),
                          {"reply-reply": "已增派验收人员，三个事项本周内办结。", "reply-version": escalation.version})  # fmt: skip
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.reply, escalation.replied_by) == ("已增派验收人员，三个事项本周内办结。", hall["staff"])
    assert escalation.replied_at is not None
    assert escalation.number not in staff.get(reverse("ledger:workbench")).content.decode()

    # the office sees the reply waiting for the 督查室's opinion, and records it on the 督查室's behalf
    office = _login(hall["office"])
    assert escalation.number in office.get(reverse("ledger:workbench")).content.decode()
    response = office.post(reverse("followups:escalation_opinion", args=[escalation.pk]),
                           {"opinion-opinion": "同意，请按期办结。", "opinion-opinion_on": _today().isoformat(),
                            "opinion-version": escalation.version})  # fmt: skip
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.opinion, escalation.opinion_by, escalation.opinion_on) == (
        "同意，请按期办结。",
        hall["office"],
        _today(),
    )
    page = office.get(detail).content.decode()
    for words in ("钱队长", "已增派验收人员", "同意，请按期办结。", "赵督查代为录入", escalation.number):
        assert words in page
    # the PDF is still the one issued
    assert (
        staff.get(reverse("followups:escalation_pdf", args=[escalation.pk])).content
        == response.client.get(reverse("followups:escalation_pdf", args=[escalation.pk])).content
    )


def test_numbers_are_unique_per_year_and_follow_on(hall):
    first, second = _refer(hall), _refer(hall, reason="第二次")
    year = _today().year
    assert [first.serial, second.serial] == [1, 2]
    assert Counter.objects.get(key="escalation", year=year).value == 2
    # a number already taken is refused by the database
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.filter(pk=second.pk).update(serial=1)


def test_only_the_supervised_unit_signs_and_replies_and_only_in_order(hall):
    escalation = _refer(hall)
    # another unit's staff do not even see it; the office may not sign for the unit
    other = _login(hall["other_staff"])
    assert (
        other.post(reverse("followups:escalation_sign", args=[escalation.pk]), {"sign-version": 0}).status_code == 404
    )
    office = _login(hall["office"])
    assert (
        office.post(reverse("followups:escalation_sign", args=[escalation.pk]), {"sign-version": 0}).status_code == 403
    )
    with pytest.raises(ValidationError, match="只有区消防救援支队的人员"):
        services.escalation_sign(actor=hall["office"], request=None, escalation_id=escalation.pk, version=0)
    # no reply before signing, no opinion before the reply
    with pytest.raises(ValidationError, match="请先签收督办单"):
        services.escalation_reply(actor=hall["staff"], request=None, escalation_id=escalation.pk, version=0, reply="x")
    with pytest.raises(ValidationError, match="被督办单位回复后"):
        services.escalation_opinion(actor=hall["office"], request=None, escalation_id=escalation.pk, version=0,
                                    opinion="x", opinion_on=_today())  # fmt: skip
    escalation = services.escalation_sign(actor=hall["staff"], request=None, escalation_id=escalation.pk, version=0)
    signed_at = escalation.signed_at
    # signing twice says who signed, and changes nothing
    with pytest.raises(ValidationError, match="已由.*签收"):
        services.escalation_sign(actor=hall["staff"], request=None, escalation_id=escalation.pk,
                                 version=escalation.version)  # fmt: skip
    escalation.refresh_from_db()
    assert escalation.signed_at == signed_at


def test_a_stale_page_signs_nothing_and_says_why(hall):
    escalation = _refer(hall)
    staff = _login(hall["staff"])
    assert (
        staff.post(reverse("followups:escalation_sign", args=[escalation.pk]), {"sign-version": 0}).status_code == 302
    )
    # the reply form of a page drawn before the signing
    response = staff.post(reverse("followups:escalation_reply", args=[escalation.pk]),
                          {"reply-reply": "已整改", "reply-version": 0})  # fmt: skip
    assert response.status_code == 200
    assert STALE_MESSAGE[:8] in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.reply == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reply-reply": ""}, "请填写办理情况回复。"),
        ({"reply-reply": "<script>x</script>"}, "不能包含 &lt; 或 &gt; 等标记字符"),
        ({"reply-reply": "回" * 2001}, "最多 2000 个字符"),
    ],
)
def test_a_bad_reply_is_refused_with_a_message(hall, data, message):
    escalation = _refer(hall)
    escalation = services.escalation_sign(actor=hall["staff"], request=None, escalation_id=escalation.pk, version=0)
    response = _login(hall["staff"]).post(reverse("followups:escalation_reply", args=[escalation.pk]),
                                          {**data, "reply-version": escalation.version})  # fmt: skip
    assert response.status_code == 200
    assert message in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.replied_at is None


def test_every_step_is_audited_in_words(hall):
    """The audit rows name people and units by name, choices by label and dates as yyyy-mm-dd."""
    escalation = _refer(hall)
    created = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_type="followups.escalation")
    assert created.after["督办单编号"] == escalation.number
    assert created.after["被督办单位"] == "区消防救援支队"
    assert created.after["移送日期"] == f"{_today():%Y-%m-%d}"
    assert "消防验收3" in created.after["证据：事项"]
    escalation = services.escalation_sign(actor=hall["staff"], request=None, escalation_id=escalation.pk, version=0)
    services.escalation_reply(actor=hall["staff"], request=None, escalation_id=escalation.pk,
                              version=escalation.version, reply="已整改")  # fmt: skip
    sign, reply = AuditEntry.objects.filter(
        action=AuditEntry.Action.UPDATE, object_type="followups.escalation"
    ).order_by("id")
    assert sign.before == {"签收人": "", "签收时间": ""}
    assert sign.after["签收人"] == "钱队长"
    assert sign.after["签收时间"].startswith(f"{_today():%Y-%m-%d} ")
    assert reply.before == {"办理情况回复": "", "回复人": "", "回复时间": ""}
    assert reply.after["办理情况回复"] == "已整改"
    # a rectification's steps too: the status as its label, the date as yyyy-mm-dd, the person by name
    rectification = escalation.rectification
    services.rectification_report(actor=hall["staff"], request=None, rectification_id=rectification.pk,
                                  version=rectification.version, measures="已整改", rectified_on=_today())  # fmt: skip
    row = AuditEntry.objects.filter(object_type="followups.rectification", action=AuditEntry.Action.UPDATE).get()
    assert row.before["状态"] == "整改中"
    assert row.after["状态"] == "待回访核实"
    assert row.after["整改完成日期"] == f"{_today():%Y-%m-%d}"
    assert row.after["整改填报人"] == "钱队长"
    assert all(not isinstance(value, (list, dict)) for value in [*row.before.values(), *row.after.values()])


def test_the_evidence_pickers_select_all(hall):
    """Each evidence picker has a 全选 box (the page's script ticks them all); without the script its link
    reloads the form with every item of that picker ticked."""
    office = _login(hall["office"])
    url = reverse("followups:escalation_create")
    page = office.get(url, {"unit": hall["unit"].pk}).content.decode()
    assert "qinqing/check_all.js" in page
    assert 'id="all-matters" data-qq-check-all' in page
    assert f'href="?unit={hall["unit"].pk}&amp;all=matters"' in page
    form = office.get(url, {"unit": hall["unit"].pk, "all": "matters"}).context["form"]
    assert sorted(form.initial["matters"]) == sorted(pm.pk for pm in hall["matters"])
    assert not form.initial.get("visits")
