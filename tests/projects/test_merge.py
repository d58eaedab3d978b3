"""Merging two dossiers of one project: matters, consultations, feedback move; letters and timeline stay
(append-only) and show on the kept dossier; the other is frozen with a pointer; audited; locked."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from projects import merging, services, timeline
from projects.models import Consultation, Feedback, NotificationLetter, Project, ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory


def _letter(project, user) -> NotificationLetter:
    return NotificationLetter.objects.create(
        project=project,
        project_name=project.name,
        year=2026,
        serial=NotificationLetter.objects.count() + 1,
        recipient="王磊",
        items=[],
        issued_at=timezone.now(),
        issued_by=user,
    )


@pytest.fixture
def pair(db):
    specialist = UserFactory(roles=[Role.SPECIALIST], display_name="李帮办")
    winner = ProjectFactory(name="悦来会展二期", specialist=specialist, code="", builder_credit_code="")
    loser = ProjectFactory(
        name="悦来会展二期项目", specialist=specialist, site="悦来街道", code="2601-500105-04-01-12121X"
    )
    pm = ProjectMatterFactory(project=loser)
    consultation = Consultation.objects.create(
        project=loser,
        visited_at=timezone.now(),
        visitor_name="王磊",
        question="怎么办？",
        recorded_by=specialist,
    )
    feedback = Feedback.objects.create(project=loser, told_at=timezone.now(), content="已告知", recorded_by=specialist)
    letter = _letter(loser, specialist)
    timeline.record(loser, "project", specialist, "建立项目档案（重复）")
    return specialist, winner, loser, pm, consultation, feedback, letter


def _merge(actor, winner, loser, reason="同一项目重复建档"):
    return merging.project_merge(
        actor=actor,
        request=None,
        winner_id=winner.pk,
        loser_id=loser.pk,
        winner_version=winner.version,
        loser_version=loser.version,
        reason=reason,
    )


def test_merging_moves_what_may_move_and_freezes_the_other(pair):
    specialist, winner, loser, pm, consultation, feedback, letter = pair
    _merge(specialist, winner, loser)
    winner.refresh_from_db()
    loser.refresh_from_db()
    assert loser.status == Project.Status.MERGED
    assert loser.merged_into == winner
    pm.refresh_from_db()
    consultation.refresh_from_db()
    feedback.refresh_from_db()
    assert (pm.project, consultation.project, feedback.project) == (winner, winner, winner)
    # the code only the loser had moves to the winner; blank facts are filled, own facts kept
    assert winner.code == "2601-500105-04-01-12121X"
    assert loser.code == ""
    assert winner.site == "悦来街道"
    assert winner.name == "悦来会展二期"
    # append-only rows stay where they were written
    letter.refresh_from_db()
    assert letter.project == loser
    assert TimelineEntry.objects.filter(project=loser, summary="建立项目档案（重复）").exists()
    # both timelines say what happened; the audit log has a row for each dossier
    assert "并入本档案" in TimelineEntry.objects.filter(project=winner).first().summary
    assert "本档案已并入《悦来会展二期》" in TimelineEntry.objects.filter(project=loser).first().summary
    audited = AuditEntry.objects.filter(action="update", object_type="projects.project")
    assert {str(loser.pk), str(winner.pk)} <= set(audited.values_list("object_id", flat=True))
    assert "合并档案" in audited.get(object_id=str(loser.pk)).detail


def test_the_kept_dossier_shows_the_merged_ones_letters_and_timeline(pair, client):
    specialist, winner, loser, pm, consultation, feedback, letter = pair
    _merge(specialist, winner, loser)
    sign_in(client, specialist)
    page = client.get(reverse("projects:detail", args=[winner.pk])).content.decode()
    assert letter.number in page
    assert "建立项目档案（重复）" in page
    assert "原档案《悦来会展二期项目》" in page
    # the frozen one points at the kept one and offers no changes
    frozen = client.get(reverse("projects:detail", args=[loser.pk]))
    assert 'data-testid="merged-pointer"' in frozen.content.decode()
    assert reverse("projects:detail", args=[winner.pk]) in frozen.content.decode()
    assert not frozen.context["can_change"]
    edit = client.get(reverse("projects:edit", args=[loser.pk]))
    assert edit["Location"] == reverse("projects:detail", args=[loser.pk])
    # lists hide it unless asked for
    listed = client.get(reverse("projects:index")).context["page"].object_list
    assert loser not in listed
    assert loser in client.get(reverse("projects:index") + "?status=已合并").context["page"].object_list


def test_a_merged_dossier_refuses_every_change(pair):
    specialist, winner, loser, *_ = pair
    _merge(specialist, winner, loser)
    loser.refresh_from_db()
    with pytest.raises(ValidationError, match="已合并"):
        services.project_update(
            actor=specialist,
            request=None,
            project_id=loser.pk,
            version=loser.version,
            specialist=specialist,
            status="在办",
            name=loser.name,
        )
    with pytest.raises(ValidationError, match="已合并"):
        services.project_matters_add(actor=specialist, request=None, project_id=loser.pk, matters=[MatterFactory()])
    with pytest.raises(ValidationError, match="已合并"):
        services.feedback_record(
            actor=specialist, request=None, project_id=loser.pk, told_at=timezone.now(), method="电话", content="x"
        )
    with pytest.raises(ValidationError, match="已合并"):
        _merge(specialist, Project.objects.get(pk=winner.pk), Project.objects.get(pk=loser.pk))


def test_the_same_matter_open_on_both_is_refused_and_named(pair):
    specialist, winner, loser, pm, *_ = pair
    ProjectMatterFactory(project=winner, matter=pm.matter)
    with pytest.raises(ValidationError, match=pm.matter.name):
        _merge(specialist, winner, loser)
    loser.refresh_from_db()
    assert loser.status != Project.Status.MERGED
    # once the duplicate is withdrawn on the loser, the merge goes through
    ProjectMatter.objects.filter(pk=pm.pk).update(status="撤回")
    _merge(specialist, winner, Project.objects.get(pk=loser.pk))


def test_different_codes_stale_versions_and_strangers_are_refused(pair):
    specialist, winner, loser, *_ = pair
    Project.objects.filter(pk=winner.pk).update(code="2601-500105-04-01-99999X")
    with pytest.raises(ValidationError, match="项目代码不同"):
        _merge(specialist, Project.objects.get(pk=winner.pk), loser)
    Project.objects.filter(pk=winner.pk).update(code="")
    with pytest.raises(ValidationError, match="已被他人修改"):
        merging.project_merge(
            actor=specialist,
            request=None,
            winner_id=winner.pk,
            loser_id=loser.pk,
            winner_version=winner.version + 1,
            loser_version=loser.version,
            reason="x",
        )
    stranger = UserFactory(roles=[Role.SPECIALIST])
    with pytest.raises(PermissionDenied):
        _merge(stranger, winner, loser)
    with pytest.raises(ValidationError, match="合并原因"):
        _merge(specialist, winner, loser, reason=" ")
    assert not Project.objects.filter(status=Project.Status.MERGED).exists()


def test_the_office_merges_two_specialists_dossiers_and_the_keeper_sees_the_letters(db, client):
    office = UserFactory(roles=[Role.OFFICE])
    keeper = UserFactory(roles=[Role.SPECIALIST])
    other = UserFactory(roles=[Role.SPECIALIST])
    winner = ProjectFactory(specialist=keeper)
    loser = ProjectFactory(specialist=other, code="")
    letter = _letter(loser, other)
    _merge(office, winner, loser)
    loser.refresh_from_db()
    assert loser.specialist == keeper
    sign_in(client, keeper)
    assert client.get(reverse("projects:letter_detail", args=[letter.pk])).status_code == 200


def test_a_dossier_merged_earlier_follows_on_to_the_final_one(db):
    specialist = UserFactory(roles=[Role.SPECIALIST])
    a, b, c = (ProjectFactory(specialist=specialist, code="") for _ in range(3))
    timeline.record(a, "project", specialist, "甲的记录")
    _merge(specialist, b, a)
    _merge(specialist, c, Project.objects.get(pk=b.pk))
    assert Project.objects.get(pk=a.pk).merged_into_id == c.pk
    from projects.selectors import dossier_timeline

    assert dossier_timeline(UserFactory(roles=[Role.OFFICE]), c).filter(summary="甲的记录").exists()


def test_the_merge_page(client_for):
    client = client_for(Role.SPECIALIST)
    this = ProjectFactory(name="礼嘉智慧公园", specialist=client.user, code="")
    other = ProjectFactory(name="礼嘉智慧公园项目", specialist=client.user, registered_on=date(2026, 2, 1))
    detail = client.get(reverse("projects:detail", args=[this.pk])).content.decode()
    assert reverse("projects:merge", args=[this.pk]) in detail
    start = client.get(reverse("projects:merge", args=[this.pk]))
    assert f"?other={other.pk}" in start.content.decode()
    url = reverse("projects:merge", args=[this.pk]) + f"?other={other.pk}"
    compare = client.get(url)
    assert 'data-testid="merge-compare"' in compare.content.decode()
    data = {"keep": "other", "reason": "", "this_version": this.version, "other_version": other.version}
    refused = client.post(url, data)
    assert "请填写合并原因" in refused.content.decode()
    done = client.post(url, {**data, "reason": "重复登记"})
    assert done["Location"] == reverse("projects:detail", args=[other.pk])
    assert Project.objects.get(pk=this.pk).merged_into_id == other.pk


def test_merge_page_permissions(client_for):
    owner = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=owner.user)
    url = reverse("projects:merge", args=[project.pk])
    assert client_for(Role.DEPARTMENT).get(url).status_code == 403
    assert client_for(Role.SPECIALIST).get(url).status_code == 404  # another specialist's dossier
    assert client_for(Role.OFFICE).get(url).status_code == 200
    assert owner.put(url).status_code == 405
    # a specialist cannot merge in a dossier that is not theirs
    foreign = ProjectFactory()
    response = owner.get(url + f"?other={foreign.pk}")
    assert response.context["other"] is None
