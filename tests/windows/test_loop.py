"""The windows part end to end: hand-off → accept → report → passed on; problem → meeting →
decision → resolution, all visible in the dossier and on the right to-do lists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from projects.models import Feedback, TimelineEntry
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.pdf import assert_cjk_fonts_embedded, require_cjk_font
from tests.windows.meetings import hold_meeting
from windows import services
from windows.models import Decision, Handoff, Problem, Report
from windows.todo import todo_count, todo_for


@pytest.fixture
def hall(db):
    """A project of stage 3 with one matter of 区住房城乡建委, its specialist, the stage-3 window."""
    unit = DepartmentFactory(name="区住房城乡建委")
    matter = MatterFactory(name="建设工程消防设计审查", unit=unit)
    stage = matter.stage
    stage.lead_unit = unit
    stage.save()
    window = UserFactory(roles=[Role.WINDOW])
    other_window = UserFactory(roles=[Role.WINDOW])
    stage.window_staff.add(window, other_window)
    project = ProjectFactory(name="滨江花园")
    pm = ProjectMatterFactory(project=project, matter=matter)
    department = UserFactory(roles=[Role.DEPARTMENT], department=unit)
    return type(
        "Hall",
        (),
        {
            "unit": unit,
            "stage": stage,
            "window": window,
            "other_window": other_window,
            "project": project,
            "pm": pm,
            "specialist": project.specialist,
            "department": department,
        },
    )


def _raise(hall, *, actor=None, stage=None, description="意见冲突", owner_unit=None, project_matter=None, **kw):
    """A problem on the hall's project, with the usual defaults."""
    return services.problem_raise(
        actor=actor or hall.window,
        request=None,
        project_id=hall.project.pk,
        project_matter=project_matter,
        stage=stage if stage is not None else (None if project_matter else hall.stage),
        description=description,
        owner_unit=owner_unit or hall.unit,
        due_on=kw.get("due_on", timezone.localdate()),
    )


def _kinds(project) -> list[str]:
    return list(TimelineEntry.objects.filter(project=project).values_list("kind", flat=True))


def test_the_hand_off_loop(hall):
    handoff = services.handoff_create(
        actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="请跟进消防审查"
    )
    assert handoff.status == "待接收"
    assert handoff.accept_by > timezone.localdate() - timedelta(days=1)
    assert [s.key for s in todo_for(hall.window, timezone.localdate()) if s.count] == ["handoffs"]

    accepted = services.handoff_accept(actor=hall.window, request=None, handoff_id=handoff.pk, version=handoff.version)
    assert accepted.accepted_by == hall.window
    with pytest.raises(ValidationError, match=f"已由{hall.window.name}接收"):
        services.handoff_accept(actor=hall.other_window, request=None, handoff_id=handoff.pk, version=handoff.version)

    services.report_create(actor=hall.window, request=None, handoff_id=handoff.pk, content="预计周五出具意见")
    sections = {s.key: s for s in todo_for(hall.specialist, timezone.localdate())}
    assert sections["reports"].count == 1
    report = Report.objects.get()
    services.report_handle(
        actor=hall.specialist,
        request=None,
        report_id=report.pk,
        pass_on=True,
        method="电话",
        content="预计周五出具意见",
    )
    report.refresh_from_db()
    assert report.feedback == Feedback.objects.get()
    assert {s.key: s.count for s in todo_for(hall.specialist, timezone.localdate())}["reports"] == 0
    summaries = " ".join(TimelineEntry.objects.filter(project=hall.project).values_list("summary", flat=True))
    assert "移交" in summaries
    assert f"{hall.window.name}接收" in summaries
    assert "向帮办专员反馈：预计周五出具意见" in summaries
    assert "电话反馈申请人" in summaries


def test_a_stage_is_handed_off_once_and_only_with_its_matters(hall):
    services.handoff_create(actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x")
    with pytest.raises(ValidationError, match="不能重复移交"):
        services.handoff_create(
            actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x"
        )
    empty = ProjectFactory(specialist=hall.specialist)
    with pytest.raises(ValidationError, match="请先添加该阶段的事项"):
        services.handoff_create(actor=hall.specialist, request=None, project_id=empty.pk, stage=hall.stage, note="x")
    assert Handoff.objects.count() == 1


def test_a_hand_off_not_accepted_in_a_working_day_is_flagged(hall, client_for):
    handoff = services.handoff_create(
        actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x"
    )
    Handoff.objects.filter(pk=handoff.pk).update(accept_by=timezone.localdate() - timedelta(days=1))
    office = client_for(Role.OFFICE)
    sections = {s.key: s for s in todo_for(office.user, timezone.localdate())}
    assert sections["late_handoffs"].count == 1
    assert sections["late_handoffs"].items[0].badge == "超时"
    page = office.get(reverse("windows:index")).content.decode()
    assert "超时" in page


def test_accepting_through_the_page_with_a_stale_version_changes_nothing(hall, client_for):
    handoff = services.handoff_create(
        actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x"
    )
    services.handoff_accept(actor=hall.other_window, request=None, handoff_id=handoff.pk, version=handoff.version)
    client = client_for(Role.WINDOW)
    hall.stage.window_staff.add(client.user)
    response = client.post(reverse("windows:handoff_accept", args=[handoff.pk]), {"version": 0}, follow=True)
    assert f"已由{hall.other_window.name}接收" in response.content.decode()
    assert Handoff.objects.get().accepted_by == hall.other_window


def test_closing_a_problem_needs_a_resolution_and_the_reason_flows_back(hall):
    problem = _raise(
        hall, project_matter=hall.pm, description="审查意见不一致", due_on=timezone.localdate() + timedelta(days=3)
    )
    assert problem.stage == hall.stage
    assert {s.key: s.count for s in todo_for(hall.department, timezone.localdate())}["problems"] == 1
    for status in ("已解决", "无法解决"):
        with pytest.raises(ValidationError, match="须填写"):
            services.problem_update(
                actor=hall.window, request=None, problem_id=problem.pk, version=0, status=status, resolution=" "
            )
    assert Problem.objects.get().status == "待协调"
    services.problem_update(
        actor=hall.department,
        request=None,
        problem_id=problem.pk,
        version=0,
        status="无法解决",
        resolution="选址位于生态红线内",
    )
    report = Report.objects.get(project=hall.project)
    assert "无法解决" in report.content
    assert "选址位于生态红线内" in report.content
    assert "选址位于生态红线内" in TimelineEntry.objects.filter(kind="problem").first().summary
    with pytest.raises(ValidationError, match="不能再变更"):
        services.problem_update(
            actor=hall.window, request=None, problem_id=problem.pk, version=1, status="协调中", resolution=""
        )


def test_meeting_decisions_are_followed_to_the_dossier(hall, client_for):
    problem = _raise(hall, description="两部门意见冲突")
    meeting = hold_meeting(
        actor=hall.window,
        request=None,
        convened_by=hall.unit,
        stage=hall.stage,
        held_on=timezone.localdate(),
        topic="消防审查会商",
        units=[hall.unit],
        projects=[hall.project],
        problems=[problem],
        minutes="会议研究决定如下。",
        decisions=[
            {"content": "出具审查意见", "unit": hall.unit, "due_on": timezone.localdate() + timedelta(days=2)},
        ],
    )
    assert meeting.number.startswith("联席会议纪要〔")
    assert Problem.objects.get().status == "协调中"
    decision = Decision.objects.get()
    assert {s.key: s.count for s in todo_for(hall.department, timezone.localdate())}["decisions"] == 1
    client = client_for(Role.DEPARTMENT, department=hall.unit)
    response = client.post(
        reverse("windows:decision_update", args=[decision.pk]),
        {f"dec{decision.pk}-status": "已落实", f"dec{decision.pk}-outcome": "已出具", f"dec{decision.pk}-version": 0},
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.status == "已落实"
    summaries = list(
        TimelineEntry.objects.filter(project=hall.project, kind="meeting").values_list("summary", flat=True)
    )
    assert any("议定事项“出具审查意见”已落实" in s for s in summaries)
    dossier = client_for(Role.OFFICE).get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert meeting.number in dossier


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ({"content": "做某事", "unit": None, "due_on": date(2026, 12, 1)}, "须写明内容、责任单位和完成期限"),
        ({"content": "做某事", "unit": "unit", "due_on": None}, "须写明内容、责任单位和完成期限"),
    ],
)
def test_a_decision_without_unit_or_date_saves_nothing(hall, decision, message):
    if decision["unit"] == "unit":
        decision["unit"] = hall.unit
    with pytest.raises(ValidationError, match=message):
        hold_meeting(
            actor=hall.window,
            request=None,
            convened_by=hall.unit,
            stage=hall.stage,
            held_on=timezone.localdate(),
            topic="t",
            units=[hall.unit],
            projects=[hall.project],
            problems=[],
            minutes="m",
            decisions=[decision],
        )
    assert not Decision.objects.exists()


def test_the_minutes_form_refuses_a_half_filled_decision(hall, client_for):
    client = client_for(Role.WINDOW)
    hall.stage.window_staff.add(client.user)
    meeting = services.meeting_convene(
        actor=client.user,
        request=None,
        convened_by=hall.unit,
        stage=hall.stage,
        held_on=timezone.localdate(),
        place="三楼会议室",
        chair="王主任",
        topic="会商",
        units=[hall.unit],
        projects=[hall.project],
    )
    data = {
        "chair": "王主任",
        "recorder": "李记录",
        "minutes": "纪要",
        "version": meeting.version,
        "a-TOTAL_FORMS": 1,
        "a-INITIAL_FORMS": 1,
        "a-0-unit": hall.unit.pk,
        "a-0-present": "1",
        "a-0-attendee": "张科长",
        "d-TOTAL_FORMS": 1,
        "d-INITIAL_FORMS": 0,
        "d-0-content": "出具意见",
        "d-0-unit": "",
        "d-0-due_on": "",
    }
    response = client.post(reverse("windows:meeting_minutes", args=[meeting.pk]), data)
    assert "须同时写明内容、责任单位和完成期限" in response.content.decode()
    assert not Decision.objects.exists()
    data.update({"d-0-unit": hall.unit.pk, "d-0-due_on": (timezone.localdate() + timedelta(days=5)).isoformat()})
    response = client.post(reverse("windows:meeting_minutes", args=[meeting.pk]), data)
    assert response.status_code == 302
    assert Decision.objects.get().unit == hall.unit


def test_minutes_pdf_embeds_a_cjk_font(hall, client_for):
    require_cjk_font()
    meeting = hold_meeting(
        actor=hall.window,
        request=None,
        convened_by=hall.unit,
        stage=hall.stage,
        held_on=timezone.localdate(),
        topic="消防审查会商",
        units=[hall.unit],
        projects=[hall.project],
        problems=[],
        minutes="会议研究决定如下。",
        decisions=[],
    )
    office = client_for(Role.OFFICE)
    response = office.get(reverse("windows:meeting_pdf", args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert_cjk_fonts_embedded(response.content)
    from qinqing.models import AuditEntry

    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, object_type="windows.meeting")
    assert exported.actor == office.user
    assert exported.detail.startswith(f"下载 PDF：联席会议纪要-{meeting.year}-{meeting.serial}.pdf（签发存档")


def test_the_todo_of_a_unit_shows_nothing_of_other_units(hall):
    other_unit = DepartmentFactory(name="区水利局")
    _raise(hall, description="水利问题", owner_unit=other_unit)
    sections = {s.key: s for s in todo_for(hall.department, timezone.localdate())}
    assert sections["problems"].count == 0
    assert todo_count(hall.department, timezone.localdate()) == 0


def test_the_navigation_shows_the_todo_count(hall, client_for):
    services.handoff_create(actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x")
    client = client_for(Role.WINDOW)
    hall.stage.window_staff.add(client.user)
    page = client.get(reverse("projects:catalogue")).content.decode()
    assert 'data-testid="todo-count"' in page


def test_window_staff_track_their_stage_filtered_by_stage(hall, client_for):
    other_stage_matter = ProjectMatterFactory(
        project=hall.project, matter=MatterFactory(stage__number=4, stage__name="竣工验收阶段")
    )
    client = client_for(Role.WINDOW)
    hall.stage.window_staff.add(client.user)
    rows = list(client.get(reverse("projects:unit_matters")).context["page"])
    assert rows == [] or all(pm.matter.stage_id == hall.stage.pk for pm in rows)
    services_pm = hall.pm
    from projects import services as project_services

    project_services.matter_move(
        actor=client.user,
        request=None,
        project_matter_id=services_pm.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    rows = list(client.get(reverse("projects:unit_matters"), {"stage": hall.stage.number}).context["page"])
    assert [pm.pk for pm in rows] == [hall.pm.pk]
    assert other_stage_matter.pk not in [pm.pk for pm in rows]
    entry = TimelineEntry.objects.filter(project_matter=hall.pm, kind=TimelineEntry.Kind.MATTER).first()
    assert f"{client.user.name}代{hall.unit.name}录入" in entry.summary


def test_a_meeting_cannot_reopen_a_problem_closed_meanwhile(hall):
    problem = _raise(hall, description="意见冲突")
    stale_copy = Problem.objects.get(pk=problem.pk)
    services.problem_update(
        actor=hall.window, request=None, problem_id=problem.pk, version=0, status="已解决", resolution="已协调好"
    )
    with pytest.raises(ValidationError, match="已已解决，不能再提交会议研究"):
        hold_meeting(
            actor=hall.window,
            request=None,
            convened_by=hall.unit,
            stage=hall.stage,
            held_on=timezone.localdate(),
            topic="t",
            units=[hall.unit],
            projects=[hall.project],
            problems=[stale_copy],
            minutes="m",
            decisions=[],
        )
    problem.refresh_from_db()
    assert problem.status == "已解决"
    assert problem.resolution == "已协调好"


def test_no_problem_is_raised_on_a_closed_project(hall):
    hall.project.status = "已终止"
    hall.project.save()
    with pytest.raises(ValidationError, match="不能再提出难点堵点"):
        _raise(hall, description="x")


def test_the_meeting_form_offers_a_window_only_its_stages_problems(hall, client_for):
    client = client_for(Role.WINDOW)
    hall.stage.window_staff.add(client.user)
    other_stage = MatterFactory(stage__number=1, stage__name="立项用地规划许可阶段").stage
    ProjectMatterFactory(project=hall.project, matter=MatterFactory(stage=other_stage))
    for stage, text in ((hall.stage, "本阶段问题"), (other_stage, "别的阶段问题")):
        _raise(hall, actor=hall.specialist, stage=stage, description=text)
    choices = client.get(reverse("windows:meeting_create")).context["form"].fields["problems"].queryset
    assert [p.description for p in choices] == ["本阶段问题"]


def test_a_late_hand_off_counts_once_for_office_and_window_staff(hall):
    both = UserFactory(roles=[Role.OFFICE, Role.WINDOW])
    hall.stage.window_staff.add(both)
    handoff = services.handoff_create(
        actor=hall.specialist, request=None, project_id=hall.project.pk, stage=hall.stage, note="x"
    )
    Handoff.objects.filter(pk=handoff.pk).update(accept_by=timezone.localdate() - timedelta(days=2))
    sections = {s.key: s.count for s in todo_for(both, timezone.localdate())}
    assert sections["handoffs"] == 1
    assert sections["late_handoffs"] == 0
