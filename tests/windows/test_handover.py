"""人员交接: disabling an account that holds open work, and the office's bulk reassignment.

A specialist's open projects and a window clerk's 首问 stages are listed when their account is
disabled and move to a successor in the same step (timeline and audit on every project), a successor
who cannot do the work is refused with nothing changed, a stale page is refused, and only the
reform office and the administrator reach the bulk page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from projects.models import Project, TimelineEntry
from qinqing import handover as registry
from qinqing import services as account_services
from qinqing.models import AuditEntry, User
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, StageFactory, UserFactory
from windows import handover, services
from windows.models import Handoff


@pytest.fixture
def hall(db):
    """刘清 (specialist) has two open projects and a completed one; 孙一窗 (stage-3 window) is 首问负责人
    of stage 3 on the first; 李晓帮 is another specialist, 王立窗 another stage-3 clerk, 钱二窗 a clerk
    of another stage."""
    matter = MatterFactory(name="施工许可")
    stage = matter.stage
    other_stage = StageFactory(number=4, name="竣工验收阶段")
    leaver = UserFactory(display_name="刘清", roles=[Role.SPECIALIST])
    clerk = UserFactory(display_name="孙一窗", roles=[Role.WINDOW])
    heir = UserFactory(display_name="李晓帮", roles=[Role.SPECIALIST])
    heir_clerk = UserFactory(display_name="王立窗", roles=[Role.WINDOW])
    far_clerk = UserFactory(display_name="钱二窗", roles=[Role.WINDOW])
    stage.window_staff.add(clerk, heir_clerk)
    other_stage.window_staff.add(far_clerk)
    first = ProjectFactory(name="滨江花园", specialist=leaver)
    second = ProjectFactory(name="观音桥广场", specialist=leaver)
    done = ProjectFactory(name="已办结项目", specialist=leaver, status=Project.Status.COMPLETED)
    ProjectMatterFactory(project=first, matter=matter)
    h = services.handoff_create(actor=leaver, request=None, project_id=first.pk, stage=stage, note="请接收")
    h = services.handoff_accept(actor=clerk, request=None, handoff_id=h.pk, version=h.version)
    admin = UserFactory(display_name="陈管理", roles=[Role.ADMIN])
    office = UserFactory(display_name="赵督查", roles=[Role.OFFICE])
    return type(
        "Hall",
        (),
        {
            "stage": stage,
            "leaver": leaver,
            "clerk": clerk,
            "heir": heir,
            "heir_clerk": heir_clerk,
            "far_clerk": far_clerk,
            "first": first,
            "second": second,
            "done": done,
            "handoff": h,
            "admin": admin,
            "office": office,
        },
    )


def _client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _snapshot():
    """What a refused hand-over must leave untouched."""
    return (
        sorted(Project.objects.values_list("pk", "specialist_id", "version")),
        sorted(Handoff.objects.values_list("pk", "accepted_by_id", "version")),
        TimelineEntry.objects.count(),
        User.objects.filter(is_active=True).count(),
    )


# --- what a person holds ---------------------------------------------------------------------------


def test_open_work_counts_projects_and_first_responsible_stages(hall):
    work = registry.open_work(hall.leaver)
    assert work.summary() == "在办项目（帮办专员） 2 个"  # the completed project is not open work
    assert work.roles == {Role.SPECIALIST}
    assert registry.open_work(hall.clerk).summary() == "作为首问负责人的阶段 1 个"
    assert registry.open_work(hall.heir).transferable == []


def test_the_staff_page_says_how_much_open_work_before_disabling(hall):
    page = _client(hall.admin).get(reverse("staff:detail", args=[hall.leaver.pk])).content.decode()
    assert 'data-testid="open-work"' in page
    assert "在办项目（帮办专员） 2 个" in page
    assert "滨江花园" in page
    assert "观音桥广场" in page
    assert "已办结项目" not in page
    assert "不移交，确认停用" in page
    # the successor list offers specialists, not the leaver nor window clerks
    assert "李晓帮（帮办专员" in page
    assert "孙一窗（" not in page
    clerk_page = _client(hall.admin).get(reverse("staff:detail", args=[hall.clerk.pk])).content.decode()
    assert "作为首问负责人的阶段 1 个" in clerk_page
    assert "滨江花园 · 施工许可阶段" in clerk_page


# --- disabling -------------------------------------------------------------------------------------


def test_disabling_without_successor_or_confirmation_is_refused(hall):
    before = _snapshot()
    with pytest.raises(ValidationError, match="仍有在办工作：在办项目（帮办专员） 2 个"):
        account_services.account_disable(actor=hall.admin, request=None, user_id=hall.leaver.pk, reason="调离")
    assert _snapshot() == before


def test_disabling_with_a_successor_hands_over_projects_and_ends_sessions(hall):
    client = _client(hall.leaver)
    assert client.get(reverse("ledger:workbench")).status_code == 200
    admin = _client(hall.admin)
    fingerprint = registry.open_work(hall.leaver).fingerprint()
    response = admin.post(
        reverse("staff:disable", args=[hall.leaver.pk]),
        {"reason": "调离岗位", "successor": hall.heir.pk, "open_work": fingerprint},
        follow=True,
    )
    assert "在办工作已移交给李晓帮" in response.content.decode()
    hall.leaver.refresh_from_db()
    assert not hall.leaver.is_active
    assert client.get(reverse("ledger:workbench")).status_code == 302  # its sessions ended
    assert set(Project.objects.filter(specialist=hall.heir).values_list("name", flat=True)) == {
        "滨江花园",
        "观音桥广场",
    }
    assert Project.objects.get(pk=hall.done.pk).specialist == hall.leaver  # closed projects keep their history
    for project in (hall.first, hall.second):
        entry = TimelineEntry.objects.filter(project=project, summary__startswith="人员交接").get()
        assert entry.summary == "人员交接：帮办专员由刘清改为李晓帮（原因：停用账号：调离岗位）"
        audit = AuditEntry.objects.get(object_type="projects.project", object_id=str(project.pk))
        assert audit.before == {"帮办专员": "刘清"}
        assert audit.after == {"帮办专员": "李晓帮"}
    disable = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE, object_id=str(hall.leaver.pk))
    assert "在办工作移交给李晓帮：在办项目（帮办专员） 2 个" in disable.detail


def test_a_window_clerk_hands_first_responsibility_to_a_clerk_of_the_same_stage(hall):
    account_services.account_disable(
        actor=hall.admin, request=None, user_id=hall.clerk.pk, reason="休产假", successor_id=hall.heir_clerk.pk
    )
    hall.handoff.refresh_from_db()
    assert hall.handoff.accepted_by == hall.heir_clerk
    entry = TimelineEntry.objects.filter(project=hall.first, summary__startswith="人员交接").get()
    assert entry.stage == hall.stage
    assert "首问负责人由孙一窗改为王立窗" in entry.summary


@pytest.mark.parametrize("who", ["far_clerk", "heir", "leaver"])
def test_a_successor_who_cannot_do_the_work_is_refused_and_nothing_changes(hall, who):
    before = _snapshot()
    user = hall.clerk
    successor = getattr(hall, who)
    with pytest.raises(ValidationError) as refused:
        account_services.account_disable(
            actor=hall.admin, request=None, user_id=user.pk, reason="调离", successor_id=successor.pk
        )
    assert "不能" in " ".join(refused.value.messages) or "另一位" in " ".join(refused.value.messages)
    assert _snapshot() == before


def test_a_wrong_successor_on_the_page_gets_a_chinese_message(hall):
    before = _snapshot()
    response = _client(hall.admin).post(
        reverse("staff:disable", args=[hall.leaver.pk]),
        {"reason": "调离", "successor": hall.clerk.pk, "open_work": registry.open_work(hall.leaver).fingerprint()},
        follow=True,
    )
    assert "接手人孙一窗不是在用的帮办专员，不能接手在办项目。" in response.content.decode()
    assert _snapshot() == before


def test_disabling_anyway_lists_the_work_as_unassigned_for_the_office(hall):
    account_services.account_disable(
        actor=hall.admin, request=None, user_id=hall.leaver.pk, reason="辞职", leave_unassigned=True
    )
    assert Project.objects.filter(specialist=hall.leaver).count() == 3  # nothing moved
    disable = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE, object_id=str(hall.leaver.pk))
    assert "未移交，列为无人负责：在办项目（帮办专员） 2 个" in disable.detail
    page = _client(hall.office).get(reverse("windows:handover")).content.decode()
    assert 'data-testid="unassigned"' in page
    assert "刘清</a>（已停用）：在办项目 2 个（帮办专员）" in page
    assert reverse("windows:handover_from", args=[hall.leaver.pk]) in page


def test_disabling_from_a_stale_page_is_refused(hall):
    """The page listed one project; another was given to the leaver before the confirmation."""
    shown = registry.open_work(hall.leaver).fingerprint()
    ProjectFactory(name="新分来的项目", specialist=hall.leaver)
    with pytest.raises(ValidationError, match="在办工作在你打开页面后有变化"):
        account_services.account_disable(
            actor=hall.admin,
            request=None,
            user_id=hall.leaver.pk,
            reason="辞职",
            leave_unassigned=True,
            open_work=shown,
        )
    assert User.objects.get(pk=hall.leaver.pk).is_active


def test_an_account_without_open_work_is_disabled_as_before(hall):
    account_services.account_disable(actor=hall.admin, request=None, user_id=hall.heir.pk, reason="调离")
    assert not User.objects.get(pk=hall.heir.pk).is_active


# --- the bulk page ---------------------------------------------------------------------------------


def _stamps(user, *projects):
    rows = {row.project.pk: row for row in handover.rows_for(user)}
    return [rows[p.pk].stamp for p in projects]


def test_bulk_reassignment_moves_the_ticked_projects_with_timeline_and_audit(hall):
    office = _client(hall.office)
    picked = office.get(reverse("windows:handover"), {"from": hall.leaver.pk})
    assert picked.status_code == 302
    assert picked["Location"] == reverse("windows:handover_from", args=[hall.leaver.pk])
    page = office.get(picked["Location"]).content.decode()
    assert "滨江花园" in page
    assert "观音桥广场" in page
    assert "data-qq-check-all" in page
    response = office.post(
        reverse("windows:handover_from", args=[hall.leaver.pk]),
        {
            "to_user": hall.heir.pk,
            "projects": _stamps(hall.leaver, hall.second),
            "reason": "刘清调离",
        },
        follow=True,
    )
    assert "已将刘清的 1 个项目交由李晓帮负责" in response.content.decode()
    assert Project.objects.get(pk=hall.second.pk).specialist == hall.heir
    assert Project.objects.get(pk=hall.first.pk).specialist == hall.leaver  # not ticked
    entry = TimelineEntry.objects.get(project=hall.second, summary__startswith="人员交接")
    assert entry.actor == hall.office
    assert "刘清调离" in entry.summary
    assert entry.detail["批次"] == "批量交接 1 个项目：刘清 → 李晓帮"
    audit = AuditEntry.objects.get(object_type="projects.project", object_id=str(hall.second.pk))
    assert audit.actor == hall.office
    assert "刘清调离" in audit.detail


def test_select_all_without_script_ticks_every_project(hall):
    url = reverse("windows:handover_from", args=[hall.leaver.pk])
    page = _client(hall.admin).get(url, {"all": "1"}).content.decode()
    assert page.count('name="projects"') == 2
    assert page.count(" checked") == 2


def test_bulk_reassignment_of_a_window_clerk_moves_first_responsibility(hall):
    moved = handover.reassign(
        actor=hall.admin,
        request=None,
        from_user_id=hall.clerk.pk,
        to_user_id=hall.heir_clerk.pk,
        stamps=_stamps(hall.clerk, hall.first),
        reason="轮岗",
    )
    assert moved == 1
    hall.handoff.refresh_from_db()
    assert hall.handoff.accepted_by == hall.heir_clerk
    assert Project.objects.get(pk=hall.first.pk).specialist == hall.leaver  # the clerk was not its specialist
    audit = AuditEntry.objects.get(
        object_type="windows.handoff", object_id=str(hall.handoff.pk), detail__contains="轮岗"
    )
    assert audit.after == {"首问负责人": "王立窗"}


@pytest.mark.parametrize(
    ("from_", "to", "message"),
    [
        ("leaver", "clerk", "接手人孙一窗不是在用的帮办专员"),
        ("clerk", "far_clerk", "接手人钱二窗不是“施工许可阶段综合窗口”的在用窗口人员"),
        ("clerk", "heir", "接手人李晓帮不是“施工许可阶段综合窗口”的在用窗口人员"),
    ],
)
def test_bulk_reassignment_to_a_wrong_successor_changes_nothing(hall, from_, to, message):
    before = _snapshot()
    from_user = getattr(hall, from_)
    response = _client(hall.office).post(
        reverse("windows:handover_from", args=[from_user.pk]),
        {
            "to_user": getattr(hall, to).pk,
            "projects": _stamps(from_user, hall.first),
            "reason": "调整",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _snapshot() == before
    assert not AuditEntry.objects.filter(detail__contains="人员交接").exists()


def test_bulk_reassignment_from_a_stale_page_is_refused_whole(hall):
    stamps = _stamps(hall.leaver, hall.first, hall.second)
    Project.objects.filter(pk=hall.second.pk).update(version=99)  # someone saved it meanwhile
    before = _snapshot()
    with pytest.raises(ValidationError, match="观音桥广场。本次未做任何改动"):
        handover.reassign(
            actor=hall.office,
            request=None,
            from_user_id=hall.leaver.pk,
            to_user_id=hall.heir.pk,
            stamps=stamps,
            reason="调整",
        )
    assert _snapshot() == before


def test_bulk_reassignment_needs_a_reason_and_a_ticked_project(hall):
    office = _client(hall.office)
    page = office.post(
        reverse("windows:handover_from", args=[hall.leaver.pk]), {"to_user": hall.heir.pk, "reason": ""}
    ).content.decode()
    assert "请填写交接原因。" in page
    assert "请至少勾选一个项目。" in page
    assert Project.objects.filter(specialist=hall.heir).count() == 0


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.AUDITOR])
def test_only_the_office_and_the_administrator_reach_the_bulk_page(hall, role, client_for):
    client = client_for(role)
    assert client.get(reverse("windows:handover")).status_code == 403
    url = reverse("windows:handover_from", args=[hall.leaver.pk])
    assert client.get(url).status_code == 403
    before = _snapshot()
    response = client.post(url, {"to_user": hall.heir.pk, "projects": _stamps(hall.leaver, hall.first), "reason": "x"})
    assert response.status_code == 403
    assert _snapshot() == before
