"""Phone and ID numbers typed into free text are masked wherever they are shown: the dossier's remark and
timeline, the matter page's record, the consultation list and its detail, and every column of an audit
row (snapshots, detail, the object, the user name tried at sign-in). Project codes, dates and times stay."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import timeline
from projects.models import Consultation, TimelineEntry
from qinqing import audit
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, ProjectMatterFactory

PHONE = "13912345678"
ID_NUMBER = "500105199001011234"
CODE = "2607-500105-48-02-60187D"


def _no_whole_numbers(text: str) -> None:
    assert PHONE not in text
    assert ID_NUMBER not in text
    assert "139****5678" in text


def test_the_dossier_masks_numbers_typed_into_its_fields_and_timeline(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(
        specialist=client.user,
        note=f"业主代表电话{PHONE}，身份证{ID_NUMBER}，代码 {CODE}",
        contact_name=f"陈建国{PHONE}",
        builder=f"重庆某某置业有限公司（{PHONE}）",
        site=f"江北区观音桥街道（门卫{PHONE}）",
    )
    pm = ProjectMatterFactory(project=project)
    timeline.record(project, TimelineEntry.Kind.FEEDBACK, client.user, f"已电话告知（{PHONE}）", project_matter=pm)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    _no_whole_numbers(page)
    assert page.count("139****5678") >= 5  # the remark, the contact, the builder, the site, the timeline
    assert CODE in page  # a project code is not a phone
    assert "5001**********1234" in page


def test_the_consultation_list_masks_numbers_typed_into_names_and_questions(client_for):
    client = client_for(Role.SPECIALIST)
    Consultation.objects.create(
        visited_at=timezone.now() - timedelta(hours=1),
        visitor_name=f"王先生{PHONE}",
        visitor_company="重庆礼嘉建设有限公司",
        visitor_phone=PHONE,
        question=f"请回电 {PHONE}，人防易地建设费能否减免？",
        recorded_by=client.user,
    )
    _no_whole_numbers(client.get(reverse("projects:consultation_list")).content.decode())


def test_every_column_of_an_audit_row_is_masked(db):
    project = ProjectFactory(name=f"测试项目{PHONE}", code=CODE)
    entry = audit.record(
        action=AuditEntry.Action.UPDATE,
        obj=project,
        username=PHONE,
        before={"备注": f"联系{PHONE}", "名单": [f"身份证{ID_NUMBER}"], "时间": "2026-03-02 10:00:00"},
        after={"备注": "已改", "代码": CODE},
        detail=f"按 {PHONE} 回电",
    )
    entry.refresh_from_db()
    shown = " ".join(
        str(part) for part in (entry.actor_username, entry.object_repr, entry.detail, entry.before, entry.after)
    )
    _no_whole_numbers(shown)
    assert entry.before["时间"] == "2026-03-02 10:00:00"
    assert entry.after["代码"] == CODE


def test_a_phone_tried_as_a_user_name_is_masked_in_the_log(db):
    Client().post(reverse("login"), {"username": PHONE, "password": "Wrong-pass1"})
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.actor_username == "139****5678"
