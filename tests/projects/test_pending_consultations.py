"""待答复 consultations: answered later, on the specialist's to-do, and turned into a dossier afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Consultation, Project, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, UserFactory
from windows.todo import todo_for


def _pending(user, project=None, **kwargs) -> Consultation:
    return Consultation.objects.create(
        project=project,
        visited_at=timezone.now() - timedelta(days=1),
        visitor_name=kwargs.pop("visitor_name", "赵敏"),
        visitor_company="重庆礼嘉建设有限公司",
        visitor_phone="13600002222",
        question="人防易地建设费能否减免？",
        outcome=Consultation.Outcome.PENDING,
        recorded_by=user,
        **kwargs,
    )


def _answer_data(consultation, **extra) -> dict:
    return {
        "answer": "经与人防办核实，可按规定减免。",
        "outcome": "当场解答",
        "answered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "version": consultation.version,
        **extra,
    }


def test_a_pending_consultation_is_answered_later(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    consultation = _pending(client.user, project)
    url = reverse("projects:consultation_answer", args=[consultation.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _answer_data(consultation))
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    consultation.refresh_from_db()
    assert consultation.outcome == "当场解答"
    assert consultation.answered_by == client.user
    assert consultation.answered_at is not None
    assert consultation.version == 1
    assert TimelineEntry.objects.filter(project=project, summary__contains="经与人防办核实").exists()
    assert AuditEntry.objects.filter(object_type="projects.consultation", action="update").exists()
    # a second answer from the same page is refused: it is no longer pending, nothing changes
    again = client.post(url, _answer_data(consultation, answer="另一答复", version=1))
    assert "已答复" in again.content.decode()
    consultation.refresh_from_db()
    assert consultation.answer == "经与人防办核实，可按规定减免。"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer", "", "请填写答复情况"),
        ("outcome", "待答复", "选择一个有效的选项"),
        ("answer", "<script>x</script>", "等标记字符"),
        ("answered_at", "2099-01-01T09:00", "答复时间不能晚于现在"),
        ("version", "7", "已被他人修改"),
    ],
)
def test_a_bad_answer_changes_nothing(client_for, field, value, message):
    client = client_for(Role.SPECIALIST)
    consultation = _pending(client.user)
    response = client.post(
        reverse("projects:consultation_answer", args=[consultation.pk]), _answer_data(consultation, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.outcome == "待答复"
    assert consultation.answer == ""


def test_only_its_specialist_answers(client_for):
    owner = UserFactory(roles=[Role.SPECIALIST])
    consultation = _pending(owner)
    url = reverse("projects:consultation_answer", args=[consultation.pk])
    assert client_for(Role.SPECIALIST).get(url).status_code == 404  # not theirs to see
    assert client_for(Role.OFFICE).get(url).status_code == 403  # reads all, answers none
    assert client_for(Role.DEPARTMENT).get(url).status_code == 403
    with pytest.raises(ValidationError):
        services.consultation_answer(
            actor=UserFactory(roles=[Role.SPECIALIST]),
            request=None,
            consultation_id=consultation.pk,
            version=0,
            answer="x",
            outcome="当场解答",
        )


def test_pending_consultations_are_on_the_specialists_todo_and_marked_in_the_list(client_for):
    client = client_for(Role.SPECIALIST)
    mine = _pending(client.user, visitor_name="赵敏")
    _pending(UserFactory(roles=[Role.SPECIALIST]), visitor_name="别人的来访者")
    Consultation.objects.create(
        visited_at=timezone.now(), visitor_name="已答复的", question="?", recorded_by=client.user
    )
    sections = {s.key: s for s in todo_for(client.user, timezone.localdate())}
    section = sections["consultations"]
    assert section.count == 1
    assert section.items[0].url == reverse("projects:consultation_answer", args=[mine.pk])
    page = client.get(reverse("projects:consultation_list")).content.decode()
    assert 'data-testid="pending-badge"' in page
    assert reverse("projects:consultation_answer", args=[mine.pk]) in page
    only = client.get(reverse("projects:consultation_list") + "?pending=1").context["page"].object_list
    assert [c.pk for c in only] == [mine.pk]


def test_a_consultation_becomes_a_dossier_afterwards(client_for):
    client = client_for(Role.SPECIALIST)
    consultation = _pending(client.user)
    url = reverse("projects:consultation_to_project", args=[consultation.pk])
    form = client.get(url)
    assert form.context["new_form"].initial["contact_name"] == "赵敏"
    data = {
        "open_new": "on",
        "version": consultation.version,
        "new-name": "礼嘉人防配套工程",
        "new-code": "",
        "new-builder": "重庆礼嘉建设有限公司",
        "new-builder_credit_code": "",
        "new-contact_name": "赵敏",
        "new-contact_phone": "13600002222",
        "new-investment_type": "政府投资",
        "form_token": "to-project-token-123456",
    }
    response = client.post(url, data)
    project = Project.objects.get()
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    consultation.refresh_from_db()
    assert consultation.project == project
    assert project.registered_on == timezone.localdate(consultation.visited_at)
    kinds = set(TimelineEntry.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == {"project", "consultation"}
    # sent twice: one dossier
    client.post(url, data)
    assert Project.objects.count() == 1


def test_a_consultation_is_filed_into_an_existing_dossier(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    consultation = _pending(client.user)
    url = reverse("projects:consultation_to_project", args=[consultation.pk])
    both = client.post(url, {"project": project.pk, "open_new": "on", "version": 0})
    assert "二者只能选一" in both.content.decode()
    neither = client.post(url, {"version": 0})
    assert "请选择已有项目" in neither.content.decode()
    response = client.post(url, {"project": project.pk, "version": 0})
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    consultation.refresh_from_db()
    assert consultation.project == project
    assert TimelineEntry.objects.filter(project=project, summary__contains="归入本档案").exists()
    assert Project.objects.count() == 1


def test_a_colleagues_dossier_cannot_receive_a_consultation(client_for):
    client = client_for(Role.SPECIALIST)
    theirs = ProjectFactory()
    consultation = _pending(client.user)
    response = client.post(
        reverse("projects:consultation_to_project", args=[consultation.pk]), {"project": theirs.pk, "version": 0}
    )
    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.project is None


def test_the_consultation_list_reads_the_same_queries_for_2_rows_and_30(client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("projects:consultation_list")).status_code == 200
        return len(queries)

    for _ in range(2):
        _pending(client.user, project)
    few = count()
    for _ in range(28):
        _pending(client.user)
    assert count() == few
