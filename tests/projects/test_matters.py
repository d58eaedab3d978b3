"""Project matters: adding them, moving them through their statuses, deadlines, warnings and pauses."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from projects import deadlines, services
from projects.models import MatterPause, Project, ProjectMatter, TimelineEntry
from qinqing import calendar_text
from qinqing.models import AuditEntry
from qinqing.roles import Role
from qinqing.services import calendar_year_save
from qinqing.workdays import PROVISIONAL_TITLE, WorkCalendar
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory

S = ProjectMatter.Status


def move(pm: ProjectMatter, to: str, on: date, reason: str = "", mode: str | None = None, actor=None, **extra):
    pm.refresh_from_db()
    if to == S.DONE:
        extra.setdefault("result", ProjectMatter.Result.PASSED)
    return services.matter_move(
        **extra,
        actor=actor or pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status=to,
        on=on,
        reason=reason,
        mode=mode,
    )


@pytest.fixture
def pm(db):
    return ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=5))


def test_accepting_sets_the_deadline_from_the_chinese_calendar(pm):
    """DOMAIN.md: accepted 2026-02-12 with 5 working days → due 2026-02-26 (Spring Festival)."""
    moved = move(pm, S.ACCEPTED, date(2026, 2, 12))
    assert moved.status == S.ACCEPTED
    assert moved.accepted_on == date(2026, 2, 12)
    assert moved.due_on == date(2026, 2, 26)
    assert moved.due_provisional is False
    assert moved.time_limit_workdays == 5


def test_labour_day_example(db):
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=3))
    assert move(pm, S.ACCEPTED, date(2026, 4, 30)).due_on == date(2026, 5, 8)


def test_warning_state_follows_the_working_days_left(pm, settings):
    settings.WARNING_WORKDAYS = 2
    moved = move(pm, S.ACCEPTED, date(2026, 3, 2))  # Monday; due Monday 2026-03-09
    assert moved.due_on == date(2026, 3, 9)
    assert moved.warn_on == date(2026, 3, 5)
    assert moved.warning_on(date(2026, 3, 4)) == "正常"
    assert moved.warning_on(date(2026, 3, 5)) == "预警"
    assert moved.warning_on(date(2026, 3, 9)) == "预警"
    assert moved.warning_on(date(2026, 3, 10)) == "逾期"
    # the database filters agree with the Python property
    today = date(2026, 3, 10)
    assert list(ProjectMatter.objects.overdue(today)) == [moved]
    assert ProjectMatter.objects.with_warning(date(2026, 3, 6)).get().warning_state == "预警"


def test_a_share_of_the_limit_can_widen_the_warning(db, settings):
    settings.WARNING_WORKDAYS = 2
    settings.WARNING_SHARE_PERCENT = 50
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=10))
    moved = move(pm, S.ACCEPTED, date(2026, 3, 2))
    calendar = WorkCalendar()
    assert calendar.workdays_between(moved.warn_on, moved.due_on) == 5


def test_supplementing_materials_stops_the_clock_and_resuming_moves_the_deadline(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    paused = move(pm, S.SUPPLEMENT, date(2026, 3, 3), reason="缺少设计说明")
    assert paused.due_on is None
    assert paused.warning_on(date(2026, 3, 20)) == ""
    assert MatterPause.objects.get(project_matter=pm).resumed_on is None
    resumed = move(pm, S.REVIEWING, date(2026, 3, 5))
    # 03-04 and 03-05 do not count: 03-03, 03-06, 03-09, 03-10, 03-11
    assert resumed.due_on == date(2026, 3, 11)
    assert MatterPause.objects.get(project_matter=pm).resumed_on == date(2026, 3, 5)


def test_by_contract_matters_have_no_deadline(db):
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=0, category="中介服务"))
    moved = move(pm, S.ACCEPTED, date(2026, 3, 2))
    assert moved.due_on is None
    assert moved.warning_on(date(2027, 1, 1)) == ""


def test_a_deadline_into_an_unpublished_year_is_provisional_and_recomputed_when_entered(db):
    admin = UserFactory(roles=[Role.ADMIN])
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=30))
    moved = move(pm, S.ACCEPTED, date(2026, 11, 20))
    # 29 working days to the end of 2026; 2027-01-01 is 元旦 by the statutory rule, so the 30th is Monday 01-04
    assert moved.due_on == date(2027, 1, 4)
    assert moved.due_provisional is True
    # the administrator enters 2027 with its first seven days off: the deadline moves to 2027-01-08
    entries = calendar_text.parse("2027-01-01~2027-01-07 休 元旦（示例）", 2027)
    calendar_year_save(actor=admin, request=None, year=2027, source="测试", entries=entries, version=None)
    pm.refresh_from_db()
    assert pm.due_on == date(2027, 1, 8)
    assert pm.due_provisional is False


def test_the_view_says_a_deadline_is_provisional(client_for):
    client = client_for(Role.SPECIALIST)
    pm = ProjectMatterFactory(
        project=ProjectFactory(specialist=client.user), matter=MatterFactory(time_limit_workdays=30)
    )
    response = client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": S.ACCEPTED, "on": "2026-11-20", "mode": "常规", "reason": "", "version": pm.version},
        follow=True,
    )
    assert PROVISIONAL_TITLE in response.content.decode()


@pytest.mark.parametrize(
    ("path", "to", "message"),
    [
        ([], S.DONE, "不能直接改为“已办结”"),
        ([], S.REVIEWING, "不能直接改为“审查中”"),
        ([(S.ACCEPTED, "")], S.PENDING, "不能直接改为“待申报”"),
        ([(S.ACCEPTED, ""), (S.DONE, "")], S.REVIEWING, "已办结，不能再变更状态"),
        ([(S.ACCEPTED, ""), (S.WITHDRAWN, "申请人撤回")], S.ACCEPTED, "已撤回，不能再变更状态"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(pm, path, to, message):
    for status, reason in path:
        move(pm, status, date(2026, 3, 2), reason=reason)
    pm.refresh_from_db()
    before = (pm.status, pm.version, TimelineEntry.objects.count())
    with pytest.raises(ValidationError) as caught:
        move(pm, to, date(2026, 3, 3))
    assert message in caught.value.messages[0]
    pm.refresh_from_db()
    assert (pm.status, pm.version, TimelineEntry.objects.count()) == before


@pytest.mark.parametrize("to", [S.SUPPLEMENT, S.REFUSED, S.WITHDRAWN])
def test_refusal_withdrawal_and_pause_need_a_reason(pm, to):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    with pytest.raises(ValidationError, match="须填写原因"):
        move(pm, to, date(2026, 3, 3), reason="  ")
    assert ProjectMatter.objects.get(pk=pm.pk).status == S.ACCEPTED


def test_dates_cannot_go_backwards_or_into_the_future(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    with pytest.raises(ValidationError, match="不能早于该事项上一次变更的日期"):
        move(pm, S.DONE, date(2026, 3, 1))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        move(pm, S.DONE, date(2099, 1, 1))


def test_acceptance_needs_a_project_code(db):
    pm = ProjectMatterFactory(project=ProjectFactory(code=""))
    with pytest.raises(ValidationError, match="受理前请先在项目档案中填写项目代码"):
        move(pm, S.ACCEPTED, date(2026, 3, 2))


def test_a_mode_the_matter_does_not_allow_is_refused(db):
    pm = ProjectMatterFactory(matter=MatterFactory(allows_commitment=False, allows_deficiency=True))
    with pytest.raises(ValidationError, match="不适用告知承诺制"):
        move(pm, S.ACCEPTED, date(2026, 3, 2), mode="承诺办理")
    accepted = move(pm, S.ACCEPTED, date(2026, 3, 2), mode="容缺受理", missing=[(None, "施工图")], supply_workdays=5)
    assert accepted.mode == "容缺受理"


def test_a_stale_form_is_refused(pm):
    stale_version = pm.version
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    with pytest.raises(ValidationError, match="刚被他人更新为“已受理”.*状态（待申报 → 已受理）"):
        services.matter_move(
            actor=pm.project.specialist,
            request=None,
            project_matter_id=pm.pk,
            version=stale_version,
            to_status=S.WITHDRAWN,
            on=date(2026, 3, 3),
            reason="撤回",
        )


def test_first_acceptance_activates_the_project_and_moves_its_stage(db):
    project = ProjectFactory()
    assert project.status == Project.Status.CONSULTING
    pm = ProjectMatterFactory(project=project, matter=MatterFactory())
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert project.current_stage == pm.matter.stage


def test_each_move_is_in_the_timeline_and_the_audit_log(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.REFUSED, date(2026, 3, 4), reason="不符合规划条件")
    summaries = list(TimelineEntry.objects.filter(project_matter=pm).values_list("summary", flat=True))
    assert any("不予办理" in s and "不符合规划条件" in s for s in summaries)
    assert AuditEntry.objects.filter(object_type="projects.projectmatter", object_id=str(pm.pk)).count() == 2
    assert pm.history.count() >= 3


def test_adding_matters_skips_ones_already_in_progress(db):
    project = ProjectFactory()
    first, second = MatterFactory(), MatterFactory()
    added, skipped = services.project_matters_add(
        actor=project.specialist, request=None, project_id=project.pk, matters=[first]
    )
    assert [a.matter for a in added] == [first]
    assert skipped == []
    added, skipped = services.project_matters_add(
        actor=project.specialist, request=None, project_id=project.pk, matters=[first, second]
    )
    assert [a.matter for a in added] == [second]
    assert skipped == [first]
    assert project.matters.count() == 2


def test_adding_a_whole_stage_through_the_page(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    one = MatterFactory()
    MatterFactory(stage=one.stage)
    MatterFactory(stage=one.stage, is_active=False)
    response = client.post(reverse("projects:matters_add", args=[project.pk]), {"stage": one.stage.pk})
    assert response.status_code == 302
    assert project.matters.count() == 2


def test_adding_nothing_says_so(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    response = client.post(reverse("projects:matters_add", args=[project.pk]), {})
    assert "请选择事项" in response.content.decode()
    assert project.matters.count() == 0


def test_department_staff_move_their_units_matter_through_the_page(client_for):
    matter = MatterFactory()
    client = client_for(Role.DEPARTMENT, department=matter.unit)
    pm = ProjectMatterFactory(matter=matter)
    response = client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": S.ACCEPTED, "on": "2026-03-02", "mode": "常规", "reason": "", "version": pm.version},
    )
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.status == S.ACCEPTED
    assert pm.handler == client.user


def test_a_bad_move_through_the_page_shows_the_message(client_for):
    client = client_for(Role.SPECIALIST)
    pm = ProjectMatterFactory(project=ProjectFactory(specialist=client.user))
    response = client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": S.WITHDRAWN, "on": "2026-03-02", "mode": "", "reason": "", "version": pm.version},
    )
    assert response.status_code == 200
    assert "“撤回”须填写原因" in response.content.decode()
    assert ProjectMatter.objects.get(pk=pm.pk).status == S.PENDING


def test_deadlines_compute_handles_an_open_pause(db):
    due = deadlines.compute(
        accepted_on=date(2026, 3, 2), limit=5, pauses=[(date(2026, 3, 3), None)], calendar=WorkCalendar()
    )
    assert due.due_on is None
    assert due.warn_on is None
    # an open pause notified after the due date (03-09) stops nothing
    late = deadlines.compute(
        accepted_on=date(2026, 3, 2), limit=5, pauses=[(date(2026, 3, 10), None)], calendar=WorkCalendar()
    )
    assert (late.due_on, late.late_pauses) == (date(2026, 3, 9), 1)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_moving_the_same_matter_one_wins(db):
    """Two threads act on the same version at once: exactly one move lands, the other is told."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    pm = ProjectMatterFactory()
    version = pm.version
    results: list[str] = []
    barrier = threading.Barrier(2)

    def act(to: str, reason: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.matter_move(
                actor=pm.project.specialist,
                request=None,
                project_matter_id=pm.pk,
                version=version,
                to_status=to,
                on=date(2026, 3, 2),
                reason=reason,
            )
            results.append("ok")
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=act, args=(S.ACCEPTED, "")),
        threading.Thread(target=act, args=(S.WITHDRAWN, "申请人撤回")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1
    assert any("刚被他人更新" in r for r in results)
    pm.refresh_from_db()
    assert pm.version == version + 1
    assert TimelineEntry.objects.filter(project_matter=pm, kind=TimelineEntry.Kind.MATTER).count() == 1


def test_a_backdated_pause_cannot_erase_an_overdue(pm):
    """Accepted 03-02, due 03-09, in review since 03-10: a 补正 dated 03-03 would wipe the overdue."""
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.REVIEWING, date(2026, 3, 10))
    with pytest.raises(ValidationError, match=r"不能早于该事项上一次变更的日期（2026-03-10）"):
        move(pm, S.SUPPLEMENT, date(2026, 3, 3), reason="补图纸")
    pm.refresh_from_db()
    assert pm.due_on == date(2026, 3, 9)
    assert not MatterPause.objects.filter(project_matter=pm).exists()


def test_a_pause_after_the_due_date_keeps_the_matter_overdue(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.SUPPLEMENT, date(2026, 3, 12), reason="补图纸")
    resumed = move(pm, S.REVIEWING, date(2026, 3, 20))
    assert resumed.due_on == date(2026, 3, 9)
    assert resumed.warning_on(date(2026, 3, 20)) == "逾期"


def test_no_move_is_dated_before_the_project_was_registered(pm):
    with pytest.raises(ValidationError, match="不能早于项目登记日期"):
        move(pm, S.WITHDRAWN, date(2025, 12, 31), reason="撤回")


def test_finishing_while_paused_closes_the_pause_with_history(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.SUPPLEMENT, date(2026, 3, 3), reason="补图纸")
    move(pm, S.WITHDRAWN, date(2026, 3, 6), reason="申请人撤回")
    pause = MatterPause.objects.get(project_matter=pm)
    assert pause.resumed_on == date(2026, 3, 6)
    assert pause.history.count() == 2


def test_matters_of_a_closed_project_cannot_move(db):
    project = ProjectFactory(status=Project.Status.TERMINATED)
    pm = ProjectMatterFactory(project=project)
    with pytest.raises(ValidationError, match="项目已已终止"):
        move(pm, S.ACCEPTED, date(2026, 3, 2))


def test_a_done_matter_is_not_added_again_but_a_withdrawn_one_can_be(db):
    project = ProjectFactory()
    done, withdrawn = ProjectMatterFactory(project=project), ProjectMatterFactory(project=project)
    move(done, S.ACCEPTED, date(2026, 3, 2))
    move(done, S.DONE, date(2026, 3, 3))
    move(withdrawn, S.WITHDRAWN, date(2026, 3, 2), reason="暂不申报")
    added, skipped = services.project_matters_add(
        actor=project.specialist, request=None, project_id=project.pk, matters=[done.matter, withdrawn.matter]
    )
    assert [a.matter for a in added] == [withdrawn.matter]
    assert skipped == [done.matter]
    assert AuditEntry.objects.filter(object_type="projects.project", detail__startswith="添加事项").count() == 1


def test_a_date_from_the_year_one_is_a_form_error(client_for):
    client = client_for(Role.SPECIALIST)
    pm = ProjectMatterFactory(project=ProjectFactory(specialist=client.user))
    response = client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": S.ACCEPTED, "on": "0001-01-01", "mode": "常规", "reason": "", "version": pm.version},
    )
    assert response.status_code == 200
    assert "日期不能早于 2000 年" in response.content.decode()
