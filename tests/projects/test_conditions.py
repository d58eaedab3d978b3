"""Rules a unit cannot game, and 容缺受理 / 告知承诺 as tracked obligations (issue 16): a late 补正 keeps
the matter overdue, missing materials and commitments with deadlines, the results of 办结, 逾期办结,
a project completed by its last matter, acceptance on a non-working day."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import conditions, services
from projects.exchange.codes import Blzt
from projects.models import Commitment, MissingMaterial, Project, ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from qinqing.workdays import WorkCalendar
from tests.factories import (
    DepartmentFactory,
    MaterialFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
from windows.todo import todo_for

S = ProjectMatter.Status
R = ProjectMatter.Result
TODAY = date(2026, 3, 20)


def move(pm: ProjectMatter, to: str, on: date, reason: str = "", actor=None, **extra) -> ProjectMatter:
    pm.refresh_from_db()
    return services.matter_move(
        actor=actor or pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status=to,
        on=on,
        reason=reason,
        **extra,
    )


@pytest.fixture
def pm(db):
    unit = DepartmentFactory(name="区住房城乡建委")
    matter = MatterFactory(time_limit_workdays=5, unit=unit, allows_deficiency=True, allows_commitment=True)
    return ProjectMatterFactory(matter=matter)


def unit_user(pm: ProjectMatter):
    return UserFactory(roles=[Role.DEPARTMENT], department=pm.unit)


# ---------------------------------------------------------------------------------------------
# A late 补正 does not hide an overdue matter


def test_a_unit_cannot_clear_an_overdue_matter_by_a_late_supplement(pm):
    """Accepted 03-02, 5 working days: due 03-09. The unit asks for materials on 03-12, after the due
    date: the 补正 is recorded, but the clock keeps running and the matter stays in every 逾期 list."""
    staff = unit_user(pm)
    move(pm, S.ACCEPTED, date(2026, 3, 2), actor=staff)
    paused = move(pm, S.SUPPLEMENT, date(2026, 3, 12), reason="补图纸", actor=staff)
    assert paused.status == S.SUPPLEMENT
    assert paused.due_on == date(2026, 3, 9)
    assert not paused.clock_stopped
    assert paused.warning_on(TODAY) == "逾期"
    assert ProjectMatter.objects.overdue(TODAY).filter(pk=pm.pk).exists()
    entry = TimelineEntry.objects.filter(project_matter=pm, kind="matter").first()
    assert "补正不停止计时，仍计逾期" in entry.summary
    # resuming on 03-20 does not move the due date either: 9 working days overdue, none paused
    resumed = move(pm, S.REVIEWING, date(2026, 3, 20), actor=staff)
    assert resumed.due_on == date(2026, 3, 9)
    assert WorkCalendar().workdays_between(resumed.due_on, TODAY) == 9


def test_a_supplement_in_time_stops_the_clock_and_moves_the_due_date(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    paused = move(pm, S.SUPPLEMENT, date(2026, 3, 4), reason="补图纸")
    assert paused.clock_stopped
    assert paused.due_on is None
    assert not ProjectMatter.objects.overdue(TODAY).filter(pk=pm.pk).exists()
    resumed = move(pm, S.REVIEWING, date(2026, 3, 11))
    assert resumed.due_on == date(2026, 3, 16)  # 5 working days, 03-05…03-11 not counted


def test_a_late_supplement_shows_overdue_on_the_units_list_and_the_dossier(client_for, pm):
    client = client_for(Role.DEPARTMENT, department=pm.unit)
    move(pm, S.ACCEPTED, date(2026, 3, 2), actor=client.user)
    move(pm, S.SUPPLEMENT, date(2026, 3, 12), reason="补图纸", actor=client.user)
    page = client.get(reverse("projects:unit_matters")).content.decode()
    assert "2026-03-09" in page
    assert 'data-warning="逾期"' in page
    dossier = client.get(reverse("projects:detail", args=[pm.project_id])).content.decode()
    assert "逾期后补正，不停止计时" in dossier


# ---------------------------------------------------------------------------------------------
# 容缺受理


def test_deficiency_acceptance_needs_the_missing_materials_and_changes_nothing_without(pm):
    with pytest.raises(ValidationError, match="容缺受理须登记所缺的材料"):
        move(pm, S.ACCEPTED, date(2026, 3, 2), mode="容缺受理", supply_workdays=5)
    with pytest.raises(ValidationError, match="补齐时限"):
        move(pm, S.ACCEPTED, date(2026, 3, 2), mode="容缺受理", missing=[(None, "施工图")])
    pm.refresh_from_db()
    assert pm.status == S.PENDING
    assert not MissingMaterial.objects.exists()


def test_a_material_of_another_matter_cannot_be_missing(pm):
    other = MaterialFactory()
    with pytest.raises(ValidationError, match="不是该事项的申请材料"):
        move(pm, S.ACCEPTED, date(2026, 3, 2), mode="容缺受理", missing=[(other, other.name)], supply_workdays=5)


def test_missing_materials_have_a_deadline_in_working_days_and_show_in_the_to_do(pm):
    material = MaterialFactory(matter=pm.matter, name="消防设计文件", can_defer=True)
    move(
        pm,
        S.ACCEPTED,
        date(2026, 3, 2),
        mode="容缺受理",
        missing=[(material, material.name), (None, "人防审查意见")],
        supply_workdays=3,
    )
    items = list(MissingMaterial.objects.filter(project_matter=pm).order_by("id"))
    assert [i.name for i in items] == ["消防设计文件", "人防审查意见"]
    assert {i.supply_by for i in items} == {date(2026, 3, 5)}
    assert items[0].state(TODAY) == "逾期未补"
    # the unit, the specialist and (past the deadline) the reform office see them
    for user, title in (
        (unit_user(pm), "待补齐的容缺材料"),
        (pm.project.specialist, "待补齐的容缺材料"),
        (UserFactory(roles=[Role.OFFICE]), "逾期未补齐的容缺材料"),
    ):
        section = next(s for s in todo_for(user, TODAY) if s.key == "missing_materials")
        assert section.title == title
        assert section.count == 2
        assert section.items[0].badge == "逾期"
    # not overdue yet: the office does not see it, the unit sees it without a badge
    early = next(
        s for s in todo_for(UserFactory(roles=[Role.OFFICE]), date(2026, 3, 3)) if s.key == "missing_materials"
    )
    assert early.count == 0


def test_supplying_closes_an_item_and_passing_needs_them_all(pm):
    move(
        pm, S.ACCEPTED, date(2026, 3, 2), mode="容缺受理", missing=[(None, "施工图"), (None, "合同")], supply_workdays=5
    )
    first, second = MissingMaterial.objects.filter(project_matter=pm).order_by("id")
    staff = unit_user(pm)
    conditions.missing_supply(actor=staff, request=None, item_id=first.pk, version=first.version, on=date(2026, 3, 4))
    with pytest.raises(ValidationError, match="尚有容缺材料未补齐：合同"):
        move(pm, S.DONE, date(2026, 3, 6), result=R.PASSED, actor=staff)
    done = move(pm, S.DONE, date(2026, 3, 6), result=R.PASSED_DEFICIENT, actor=staff)
    assert done.status_label == "办结（容缺通过）"
    # supplied twice is refused; a stale form is refused
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="已于 2026-03-04 登记补齐"):
        conditions.missing_supply(actor=staff, request=None, item_id=first.pk, version=first.version, on=TODAY)
    with pytest.raises(ValidationError, match="刚被他人更新"):
        conditions.missing_supply(actor=staff, request=None, item_id=second.pk, version=99, on=TODAY)
    conditions.missing_supply(actor=staff, request=None, item_id=second.pk, version=0, on=TODAY, note="已交原件")
    assert "容缺材料已全部补齐" in TimelineEntry.objects.filter(project_matter=pm).first().summary
    assert AuditEntry.objects.filter(object_type="projects.missingmaterial").count() == 2


def test_passing_deficient_is_only_for_a_deficiency_acceptance(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    with pytest.raises(ValidationError, match="不是容缺受理的"):
        move(pm, S.DONE, date(2026, 3, 6), result=R.PASSED_DEFICIENT)


def test_the_unit_records_a_supply_on_the_matter_page(client_for, pm):
    client = client_for(Role.DEPARTMENT, department=pm.unit)
    move(
        pm,
        S.ACCEPTED,
        date(2026, 3, 2),
        mode="容缺受理",
        missing=[(None, "施工图")],
        supply_workdays=5,
        actor=client.user,
    )
    item = MissingMaterial.objects.get(project_matter=pm)
    page = client.get(reverse("projects:matter_move", args=[pm.pk])).content.decode()
    assert "施工图" in page
    assert "逾期未补" in page
    bad = client.post(
        reverse("projects:missing_supply", args=[item.pk]), {"version": 0, "on": "2099-01-01"}, follow=True
    )
    assert "日期不能晚于今天" in bad.content.decode()
    item.refresh_from_db()
    assert item.supplied_on is None
    client.post(reverse("projects:missing_supply", args=[item.pk]), {"version": 0, "on": "2026-03-10", "note": "已交"})
    item.refresh_from_db()
    assert item.supplied_on == date(2026, 3, 10)


def test_a_deficiency_through_the_move_form(client_for, pm):
    material = MaterialFactory(matter=pm.matter, name="施工图设计文件审查合格书", can_defer=True)
    client = client_for(Role.DEPARTMENT, department=pm.unit)
    url = reverse("projects:matter_move", args=[pm.pk])
    form = client.get(url).content.decode()
    assert "施工图设计文件审查合格书（目录标明可容缺）" in form
    assert 'data-qq-show-when="to_status=已受理;mode=容缺受理"' in form
    data = {"to_status": "已受理", "on": "2026-03-02", "mode": "容缺受理", "version": 0, "supply_workdays": 5}
    refused = client.post(url, data)
    assert "容缺受理须登记所缺的材料" in refused.content.decode()
    client.post(url, {**data, "missing_materials": [material.pk], "missing_other": "授权委托书\n\n"})
    assert set(MissingMaterial.objects.values_list("name", flat=True)) == {"施工图设计文件审查合格书", "授权委托书"}


# ---------------------------------------------------------------------------------------------
# 告知承诺


def commit(pm: ProjectMatter, verify_by=date(2026, 3, 16)) -> Commitment:
    move(
        pm,
        S.ACCEPTED,
        date(2026, 3, 2),
        mode="承诺办理",
        commitment=conditions.CommitmentTerms(content="承诺 30 日内补交规划许可证", verify_by=verify_by),
    )
    return Commitment.objects.get(project_matter=pm)


def test_commitment_acceptance_needs_content_and_a_check_date(pm):
    with pytest.raises(ValidationError, match="须填写申请人承诺的内容"):
        move(pm, S.ACCEPTED, date(2026, 3, 2), mode="承诺办理")
    with pytest.raises(ValidationError, match="核查日期不能早于受理日期"):
        commit(pm, verify_by=date(2026, 2, 1))
    assert not Commitment.objects.exists()
    commitment = commit(pm)
    assert commitment.status == "待核查"
    assert next(s for s in todo_for(unit_user(pm), TODAY) if s.key == "commitments").items[0].badge == "逾期"


def test_a_commitment_found_false_opens_the_revocation_path(pm):
    commitment = commit(pm)
    move(pm, S.DONE, date(2026, 3, 5), result=R.PASSED)
    staff = unit_user(pm)
    with pytest.raises(ValidationError, match="须写明不符合的情况"):
        conditions.commitment_check(
            actor=staff, request=None, commitment_id=commitment.pk, version=0, on=TODAY, passed=False, note=""
        )
    with pytest.raises(ValidationError, match="须确定整改期限"):
        conditions.commitment_check(
            actor=staff, request=None, commitment_id=commitment.pk, version=0, on=TODAY, passed=False, note="未补交"
        )
    checked = conditions.commitment_check(
        actor=staff,
        request=None,
        commitment_id=commitment.pk,
        version=0,
        on=date(2026, 3, 16),
        passed=False,
        note="未补交规划许可证",
        rectify_by=date(2026, 3, 18),
    )
    assert checked.status == "不符合"
    assert checked.overdue(TODAY)
    office = next(s for s in todo_for(UserFactory(roles=[Role.OFFICE]), TODAY) if s.key == "commitments")
    assert office.count == 1
    revoked = conditions.commitment_close(
        actor=staff,
        request=None,
        commitment_id=commitment.pk,
        version=1,
        on=TODAY,
        revoke=True,
        note="江北建撤〔2026〕3号",
    )
    assert revoked.status == "已撤销"
    pm.refresh_from_db()
    assert pm.status == S.REVOKED
    assert pm.is_final
    assert "撤销审批" in TimelineEntry.objects.filter(project_matter=pm).first().summary
    # the SPGL status history ends with 15 撤销
    assert pm.events.order_by("id").last().status == Blzt.REVOKED


def test_an_open_matter_is_not_revoked_but_concluded_first(pm):
    """A revocation while the matter is still 审查中 would leave it open and passable afterwards: refused,
    nothing changes; once the matter is concluded 办结（不通过）, there is no approval to revoke either."""
    commitment = commit(pm)
    staff = unit_user(pm)
    conditions.commitment_check(
        actor=staff,
        request=None,
        commitment_id=commitment.pk,
        version=0,
        on=date(2026, 3, 16),
        passed=False,
        note="未补交规划许可证",
        rectify_by=date(2026, 3, 18),
    )
    for status, result in ((S.ACCEPTED, ""), (S.DONE, R.FAILED)):
        if status == S.DONE:
            move(pm, S.DONE, date(2026, 3, 19), result=R.FAILED, reason="承诺不实，不予许可")
        with pytest.raises(ValidationError, match="没有可撤销的审批"):
            conditions.commitment_close(
                actor=staff,
                request=None,
                commitment_id=commitment.pk,
                version=1,
                on=TODAY,
                revoke=True,
                note="江北建撤〔2026〕3号",
            )
        commitment.refresh_from_db()
        pm.refresh_from_db()
        assert (commitment.status, pm.status, pm.result) == ("不符合", status, result)


def test_a_commitment_checked_true_closes(pm):
    commitment = commit(pm)
    checked = conditions.commitment_check(
        actor=unit_user(pm), request=None, commitment_id=commitment.pk, version=0, on=TODAY, passed=True, note=""
    )
    assert checked.status == "符合"
    assert not checked.is_open
    with pytest.raises(ValidationError, match="已核查"):
        conditions.commitment_check(
            actor=unit_user(pm), request=None, commitment_id=commitment.pk, version=1, on=TODAY, passed=True, note=""
        )


def test_the_check_is_recorded_on_the_matter_page_after_the_matter_is_done(client_for, pm):
    client = client_for(Role.DEPARTMENT, department=pm.unit)
    commitment = commit(pm)
    move(pm, S.DONE, date(2026, 3, 5), result=R.PASSED, actor=client.user)
    dossier = client.get(reverse("projects:detail", args=[pm.project_id])).content.decode()
    assert "告知承诺：待核查" in dossier
    assert reverse("projects:matter_move", args=[pm.pk]) in dossier
    client.post(
        reverse("projects:commitment_check", args=[commitment.pk]),
        {"version": 0, "on": "2026-03-16", "passed": "0", "note": "未补交", "rectify_by": "2026-03-25"},
    )
    commitment.refresh_from_db()
    assert commitment.status == "不符合"
    assert commitment.rectify_by == date(2026, 3, 25)


# ---------------------------------------------------------------------------------------------
# 办结 results, 逾期办结, completion


def test_a_done_needs_its_result_and_not_passed_needs_a_reason(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    with pytest.raises(ValidationError, match="请选择办结结果"):
        move(pm, S.DONE, date(2026, 3, 5))
    with pytest.raises(ValidationError, match="办结（不通过）须填写原因"):
        move(pm, S.DONE, date(2026, 3, 5), result=R.FAILED)
    done = move(pm, S.DONE, date(2026, 3, 5), result=R.FAILED, reason="不符合规划条件")
    assert done.status_label == "办结（不通过）"
    assert "办结（不通过）" in TimelineEntry.objects.filter(project_matter=pm, kind="matter").first().summary


def test_a_matter_finished_after_its_due_date_is_recorded_as_late(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    done = move(pm, S.DONE, date(2026, 3, 12), result=R.PASSED)
    assert done.finished_late
    entry = TimelineEntry.objects.filter(project_matter=pm, kind="matter").first()
    assert "逾期办结（到期日 2026-03-09，逾期 3 个工作日）" in entry.summary
    on_time = ProjectMatterFactory(matter=pm.matter)
    move(on_time, S.ACCEPTED, date(2026, 3, 2))
    assert not move(on_time, S.DONE, date(2026, 3, 9), result=R.PASSED).finished_late


@pytest.fixture
def final_stage_project(db):
    project = ProjectFactory(status=Project.Status.ACTIVE)
    acceptance = MatterFactory(stage=StageFactory(number=4, name="竣工验收阶段"), time_limit_workdays=5)
    filing = MatterFactory(stage=StageFactory(number=4, name="竣工验收阶段"), time_limit_workdays=5)
    return (
        project,
        ProjectMatterFactory(project=project, matter=acceptance),
        ProjectMatterFactory(project=project, matter=filing),
    )


def test_the_last_matter_of_the_last_stage_completes_the_project_on_its_date(final_stage_project):
    project, first, last = final_stage_project
    move(first, S.ACCEPTED, date(2026, 3, 2))
    move(first, S.DONE, date(2026, 3, 4), result=R.PASSED)
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE  # one still pending
    move(last, S.ACCEPTED, date(2026, 3, 5))
    move(last, S.DONE, date(2026, 3, 10), result=R.PASSED)
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.completed_on == date(2026, 3, 10)
    assert TimelineEntry.objects.filter(
        project=project, kind="project", summary__startswith="项目办结（2026-03-10）"
    ).exists()
    assert AuditEntry.objects.filter(object_type="projects.project", detail__contains="项目自动办结").exists()


def test_a_refusal_or_an_earlier_stage_does_not_complete_the_project(final_stage_project, pm):
    project, first, last = final_stage_project
    last.delete()
    move(first, S.ACCEPTED, date(2026, 3, 2))
    move(first, S.DONE, date(2026, 3, 4), result=R.FAILED, reason="验收不合格")
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    move(pm, S.ACCEPTED, date(2026, 3, 2))  # stage 3
    move(pm, S.DONE, date(2026, 3, 4), result=R.PASSED)
    pm.project.refresh_from_db()
    assert pm.project.status != Project.Status.COMPLETED


def test_the_completion_date_is_corrected_with_a_reason(final_stage_project):
    project, first, last = final_stage_project
    for item in (first, last):
        move(item, S.ACCEPTED, date(2026, 3, 2))
        move(item, S.DONE, date(2026, 3, 10), result=R.PASSED)
    project.refresh_from_db()
    fields = {f: getattr(project, f) for f in services.PROJECT_FIELDS}

    def update(**kwargs):
        project.refresh_from_db()
        return services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=project.version,
            specialist=project.specialist,
            status=Project.Status.COMPLETED,
            **fields,
            **kwargs,
        )

    with pytest.raises(ValidationError, match="更正办结日期（原为 2026-03-10）须填写原因"):
        update(completed_on=date(2026, 3, 12))
    with pytest.raises(ValidationError, match="不能早于最后一个事项的办结日期"):
        update(completed_on=date(2026, 3, 9), reason="录错")
    corrected = update(completed_on=date(2026, 3, 12), reason="以不动产登记证载日期为准")
    assert corrected.completed_on == date(2026, 3, 12)
    entry = TimelineEntry.objects.filter(project=project, kind="project").first()
    assert "办结日期" in entry.summary
    assert "以不动产登记证载日期为准" in entry.summary


# ---------------------------------------------------------------------------------------------
# Acceptance on a non-working day


def test_accepting_on_a_non_working_day_asks_for_confirmation(pm):
    saturday = date(2026, 3, 7)
    with pytest.raises(ValidationError, match="2026-03-07（周六）不是工作日"):
        move(pm, S.ACCEPTED, saturday)
    pm.refresh_from_db()
    assert pm.status == S.PENDING
    accepted = move(pm, S.ACCEPTED, saturday, confirm_non_workday=True)
    assert accepted.due_on == date(2026, 3, 13)  # counted from Monday 03-09


def test_the_form_offers_the_confirmation(client_for, pm):
    client = client_for(Role.DEPARTMENT, department=pm.unit)
    url = reverse("projects:matter_move", args=[pm.pk])
    data = {"to_status": "已受理", "on": "2026-10-01", "mode": "常规", "version": 0}
    page = client.post(url, data).content.decode()
    assert "2026-10-01（周四）不是工作日" in page
    assert "确认在非工作日受理" in page
    client.post(url, {**data, "confirm_non_workday": "on"})
    pm.refresh_from_db()
    assert pm.status == S.ACCEPTED
