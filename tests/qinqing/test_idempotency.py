"""Every create form is idempotent: a double click or a resent request makes one record.

The form carries a one-time token; the first POST claims it (``qinqing.FormSubmission``) in the same
transaction as the create; a second POST with the same token creates nothing and is sent to what the
first one made."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from projects.models import Consultation, Project
from qinqing import idempotency
from qinqing.models import FormSubmission
from qinqing.roles import Role
from tests.factories import ProjectFactory, UserFactory

NEW_PROJECT = {
    "name": "鱼嘴物流园仓储中心",
    "code": "2601-500105-04-01-55501X",
    "builder": "重庆鱼嘴物流有限公司",
    "builder_credit_code": "",
    "contact_name": "刘明",
    "contact_phone": "13911112222",
    "investment_type": "社会投资",
    "nature": "新建",
    "category": "房屋建筑",
}
TOKEN = "t0k3n-abcdefghijklmnop"


def _token_in(response) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', response.content.decode())
    assert match, "the create form carries a one-time token"
    return match.group(1)


def test_the_dossier_form_carries_a_fresh_token_each_time(client_for):
    client = client_for(Role.SPECIALIST)
    first = _token_in(client.get(reverse("projects:create")))
    second = _token_in(client.get(reverse("projects:create")))
    assert first != second


def test_a_double_submitted_dossier_form_makes_one_dossier(client_for):
    """GIVEN the dossier form sent once WHEN the same form (same token) is sent again THEN no second
    dossier, and the second answer leads to the first one's page with a message."""
    client = client_for(Role.SPECIALIST)
    token = _token_in(client.get(reverse("projects:create")))
    first = client.post(reverse("projects:create"), {**NEW_PROJECT, "form_token": token})
    project = Project.objects.get()
    assert first["Location"] == reverse("projects:detail", args=[project.pk])
    second = client.post(reverse("projects:create"), {**NEW_PROJECT, "form_token": token})
    assert second.status_code == 302
    assert second["Location"] == reverse("projects:detail", args=[project.pk])
    assert Project.objects.count() == 1
    assert any("该表单已提交过" in str(m) for m in get_messages(second.wsgi_request))
    submission = FormSubmission.objects.get(token=token)
    assert submission.user == client.user
    assert submission.url == reverse("projects:detail", args=[project.pk])


def test_a_double_submitted_walk_in_makes_one_consultation(client_for):
    client = client_for(Role.SPECIALIST)
    data = {
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "kind": "咨询",
        "visitor_name": "陈建国",
        "question": "施工许可需要哪些材料？",
        "outcome": "当场解答",
        "form_token": _token_in(client.get(reverse("projects:consultation_create"))),
    }
    client.post(reverse("projects:consultation_create"), data)
    second = client.post(reverse("projects:consultation_create"), data)
    assert Consultation.objects.count() == 1
    assert second["Location"] == reverse("projects:consultation_list")


def test_a_refused_form_keeps_its_token_free_for_the_corrected_one(client_for):
    """A form refused for bad input claims nothing: corrected and sent again, it is saved."""
    client = client_for(Role.SPECIALIST)
    bad = client.post(reverse("projects:create"), {**NEW_PROJECT, "investment_type": "", "form_token": TOKEN})
    assert bad.status_code == 200
    assert "请选择投资类型" in bad.content.decode()
    assert _token_in(bad) == TOKEN  # the re-rendered form keeps its token
    assert not FormSubmission.objects.exists()
    good = client.post(reverse("projects:create"), {**NEW_PROJECT, "form_token": TOKEN})
    assert good.status_code == 302
    assert Project.objects.count() == 1


def test_a_service_refusal_rolls_back_the_claim(db):
    user = UserFactory(roles=[Role.SPECIALIST])
    request = RequestFactory().post("/", {"form_token": TOKEN})
    request.user = user

    def refuse():
        ProjectFactory(specialist=user)
        raise ValidationError("不行")

    with pytest.raises(ValidationError):
        idempotency.once(request, refuse, url=lambda p: "/x/")
    assert not FormSubmission.objects.exists()
    assert not Project.objects.exists()  # the create and the claim went back together


def test_someone_elses_token_creates_nothing_and_reveals_nothing(client_for):
    owner = UserFactory(roles=[Role.SPECIALIST])
    project = ProjectFactory(specialist=owner)
    FormSubmission.objects.create(token=TOKEN, user=owner, url=reverse("projects:detail", args=[project.pk]))
    client = client_for(Role.SPECIALIST)
    response = client.post(reverse("projects:create"), {**NEW_PROJECT, "form_token": TOKEN})
    assert response.status_code == 302
    assert response["Location"] != reverse("projects:detail", args=[project.pk])
    assert Project.objects.count() == 1


def test_a_request_without_a_token_is_served_as_before(client_for):
    client = client_for(Role.SPECIALIST)
    response = client.post(reverse("projects:create"), NEW_PROJECT)
    assert response.status_code == 302
    assert Project.objects.count() == 1
    assert not FormSubmission.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_token_racing_make_one_record():
    """On PostgreSQL two threads send the same token at once: the second waits on the first's claim,
    then finds it taken, and its dossier is rolled back with it."""
    assert connection.vendor == "postgresql"
    user = UserFactory(roles=[Role.SPECIALIST])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(n: int):
        from django.db import connection as thread_connection

        request = RequestFactory().post("/", {"form_token": TOKEN})
        request.user = user
        request.session = {}
        request._messages = type("M", (), {"add": lambda *a, **k: None})()

        def create():
            project = ProjectFactory(specialist=user, name=f"并发{n}")
            time.sleep(0.3)  # hold the claim while the twin arrives
            return project

        try:
            barrier.wait()
            idempotency.once(request, create, url=lambda p: f"/projects/{p.pk}/")
            outcomes.append("created")
        except idempotency.AlreadySubmittedError:
            outcomes.append("already")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already", "created"]
    assert Project.objects.count() == 1
    assert FormSubmission.objects.get(token=TOKEN).url == f"/projects/{Project.objects.get().pk}/"


def test_a_double_submitted_feedback_makes_one_record(client_for):
    """Views of the other parts use ``@idempotent``: the same token twice, one record."""
    from projects.models import Feedback

    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    url = reverse("projects:feedback_create", args=[project.pk])
    token = _token_in(client.get(url))
    data = {
        "told_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": "电话",
        "content": "已告知补正材料清单。",
        "form_token": token,
    }
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Feedback.objects.count() == 1
    assert FormSubmission.objects.get(token=token).url == first["Location"]


def test_a_refused_decorated_form_frees_its_token(client_for):
    from projects.models import Feedback

    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    url = reverse("projects:feedback_create", args=[project.pk])
    data = {"told_at": "明天", "method": "电话", "content": "x", "form_token": TOKEN}
    assert client.post(url, data).status_code == 200
    assert not FormSubmission.objects.exists()
    data["told_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, data).status_code == 302
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    "template",
    [
        "projects/project_form.html",
        "projects/consultation_form.html",
        "projects/consultation_to_project.html",
        "projects/letter_form.html",
        "projects/matters_add.html",
        "projects/feedback_form.html",
        "projects/matter_form.html",
        "projects/material_form.html",
        "projects/bundle_form.html",
        "windows/handoff_form.html",
        "windows/handoff_detail.html",
        "windows/problem_form.html",
        "windows/meeting_form.html",
        "followups/notice_form.html",
        "followups/inspection_form.html",
        "followups/escalation_form.html",
        "followups/draw_form.html",
        "followups/visit_form.html",
        "ledger/import_upload.html",
        "qinqing/department_form.html",
    ],
)
def test_every_create_form_carries_the_token(template):
    from django.template import loader

    source = loader.get_template(template).template.source
    assert "{% form_token %}" in source
