"""Writes of the windows part. Each is one transaction with a row lock where two people can race,
and records into the project's dossier through ``projects.timeline``."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from projects import services as project_services
from projects import timeline
from projects.models import Project, ProjectMatter, Stage
from projects.timeline import Kind
from qinqing import audit
from qinqing.models import AuditEntry, Counter, Department, User
from qinqing.services import lock_for_update
from qinqing.workdays import WorkCalendar
from windows.models import Attendance, Decision, Handoff, Meeting, Problem, Report

# ---------------------------------------------------------------------------------------------
# The windows (reference data kept on the stages)


def window_snapshot(stage: Stage) -> dict:
    return {
        "窗口名称": stage.window_label,
        "窗口电话": stage.window_phone,
        "牵头单位": stage.lead_unit.name if stage.lead_unit_id else "",
        "窗口人员": sorted(user.name for user in stage.window_staff.all()),
    }


@transaction.atomic
def window_update(
    *,
    actor: User,
    request: HttpRequest | None,
    stage_id: int,
    version: int,
    window_name: str,
    window_phone: str,
    lead_unit: Department | None,
    staff: list[User],
) -> Stage:
    stage = lock_for_update(Stage, stage_id, version=version)
    before = window_snapshot(stage)
    stage.window_name = window_name
    stage.window_phone = window_phone
    stage.lead_unit = lead_unit
    stage.version += 1
    stage._change_reason = "修改综合窗口"
    stage.save()
    stage.window_staff.set(staff)
    audit.record_changes(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=stage,
        before=before,
        after=window_snapshot(stage),
    )
    return stage


def is_window_staff(user: User, stage: Stage | int) -> bool:
    from projects.selectors import window_stage_ids

    return (stage.pk if isinstance(stage, Stage) else stage) in window_stage_ids(user)


# ---------------------------------------------------------------------------------------------
# Hand-offs and reports back to the specialist


@transaction.atomic
def handoff_create(*, actor: User, request: HttpRequest | None, project_id: int, stage: Stage, note: str) -> Handoff:
    """The specialist hands a stage of the project to its window; it must be accepted within a working day."""
    project = lock_for_update(Project, project_id)
    if project.is_closed:
        raise ValidationError(f"项目已{project.status}，不能再移交。", code="project_closed")
    has_matters = project.matters.filter(matter__stage=stage).exclude(status=ProjectMatter.Status.WITHDRAWN).exists()
    if not has_matters and project.current_stage_id != stage.pk:
        raise ValidationError(f"项目还没有“{stage.name}”的事项，请先添加该阶段的事项再移交。", code="no_matters")
    live = Handoff.objects.filter(
        project=project, stage=stage, status__in=[Handoff.Status.WAITING, Handoff.Status.ACCEPTED]
    )
    if live.exists():
        raise ValidationError(f"“{stage.name}”已移交给{stage.window_label}，不能重复移交。", code="duplicate")
    now = timezone.now()
    handoff = Handoff.objects.create(
        project=project,
        stage=stage,
        note=note,
        handed_by=actor,
        handed_at=now,
        accept_by=WorkCalendar().add_workdays(timezone.localdate(now), 1).date,
    )
    timeline.record(
        project,
        Kind.HANDOFF,
        actor,
        f"将{stage.name}移交{stage.window_label}：{note[:80]}",
        stage=stage,
        obj=handoff,
    )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=handoff)
    return handoff


def _lock_handoff(handoff_id: int, version: int) -> Handoff:
    handoff = lock_for_update(Handoff, handoff_id)
    if handoff.version != version:
        accepted = f"已由{handoff.accepted_by.name}接收" if handoff.accepted_by_id else f"已{handoff.status}"
        raise ValidationError(f"该移交刚刚{accepted}，请刷新页面。", code="stale")
    return handoff


@transaction.atomic
def handoff_accept(*, actor: User, request: HttpRequest | None, handoff_id: int, version: int) -> Handoff:
    """A window staff member accepts a hand-off and becomes first-responsible for the stage; one of two wins."""
    handoff = _lock_handoff(handoff_id, version)
    if handoff.status != Handoff.Status.WAITING:
        raise ValidationError(f"该移交{handoff.status}，不能接收。", code="not_waiting")
    handoff.status = Handoff.Status.ACCEPTED
    handoff.accepted_by = actor
    handoff.accepted_at = timezone.now()
    handoff.version += 1
    handoff._change_reason = "接收移交"
    handoff.save()
    late = " （超过一个工作日）" if timezone.localdate() > handoff.accept_by else ""
    timeline.record(
        handoff.project,
        Kind.HANDOFF,
        actor,
        f"{actor.name}接收{handoff.stage.name}移交，为首问负责人{late}",
        stage=handoff.stage,
        obj=handoff,
    )
    audit.record(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=handoff, after={"状态": "已接收"})
    return handoff


@transaction.atomic
def handoff_cancel(*, actor: User, request: HttpRequest | None, handoff_id: int, version: int, reason: str) -> Handoff:
    handoff = _lock_handoff(handoff_id, version)
    if handoff.status != Handoff.Status.WAITING:
        raise ValidationError("只能撤回尚未接收的移交。", code="not_waiting")
    if not reason.strip():
        raise ValidationError("撤回移交须填写原因。", code="reason_required")
    handoff.status = Handoff.Status.CANCELLED
    handoff.cancel_reason = reason
    handoff.version += 1
    handoff.save()
    timeline.record(
        handoff.project, Kind.HANDOFF, actor, f"撤回{handoff.stage.name}移交：{reason}", stage=handoff.stage
    )
    audit.record(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=handoff, after={"状态": "已撤回"})
    return handoff


@transaction.atomic
def handoff_return(*, actor: User, request: HttpRequest | None, handoff_id: int, version: int, reason: str) -> Handoff:
    """The window sends a waiting hand-off back to the specialist with the reason (材料不全, 阶段不对…);
    the specialist sees it on the timeline and the to-do list, and may hand the stage off again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("退回移交须填写原因，帮办专员将据此补充后重新移交。", code="reason_required")
    handoff = _lock_handoff(handoff_id, version)
    if handoff.status != Handoff.Status.WAITING:
        raise ValidationError(f"该移交{handoff.status}，只能退回尚未接收的移交。", code="not_waiting")
    handoff.status = Handoff.Status.RETURNED
    handoff.return_reason = reason
    handoff.returned_by = actor
    handoff.returned_at = timezone.now()
    handoff.version += 1
    handoff._change_reason = "退回移交"
    handoff.save()
    timeline.record(
        handoff.project,
        Kind.HANDOFF,
        actor,
        f"{handoff.stage.window_label}{actor.name}退回{handoff.stage.name}移交，原因：{reason}",
        stage=handoff.stage,
        obj=handoff,
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=handoff,
        after={"状态": "已退回", "退回原因": reason},
    )
    return handoff


def _report(*, project: Project, actor: User, content: str, handoff: Handoff | None = None, stage=None) -> Report:
    report = Report.objects.create(project=project, handoff=handoff, content=content, created_by=actor)
    timeline.record(
        project, Kind.HANDOFF, actor, f"向帮办专员反馈：{content[:100]}", stage=stage or getattr(handoff, "stage", None)
    )
    return report


@transaction.atomic
def report_create(*, actor: User, request: HttpRequest | None, handoff_id: int, content: str) -> Report:
    """The window sends progress back to the specialist, who sees it on the to-do list."""
    handoff = Handoff.objects.select_related("project", "stage").get(pk=handoff_id)
    if handoff.status != Handoff.Status.ACCEPTED:
        raise ValidationError("请先接收移交，再向帮办专员反馈。", code="not_accepted")
    report = _report(project=handoff.project, actor=actor, content=content, handoff=handoff)
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=report)
    return report


@transaction.atomic
def report_handle(
    *,
    actor: User,
    request: HttpRequest | None,
    report_id: int,
    pass_on: bool,
    method: str = "",
    content: str = "",
) -> Report:
    """The specialist passes a report on to the applicant (a feedback record), or marks it read."""
    report = lock_for_update(Report, report_id)
    if report.handled_at is not None:
        raise ValidationError("该反馈已处理。", code="handled")
    if pass_on:
        report.feedback = project_services.feedback_record(
            actor=actor,
            request=request,
            project_id=report.project_id,
            told_at=timezone.now(),
            method=method,
            content=content,
        )
    report.handled_by = actor
    report.handled_at = timezone.now()
    report.save()
    return report


# ---------------------------------------------------------------------------------------------
# Problems


@transaction.atomic
def problem_raise(
    *,
    actor: User,
    request: HttpRequest | None,
    project_id: int,
    project_matter: ProjectMatter | None,
    stage: Stage,
    description: str,
    owner_unit: Department | None,
    due_on: date,
) -> Problem:
    project = lock_for_update(Project, project_id)
    if project.is_closed:
        raise ValidationError(f"项目已{project.status}，不能再提出难点堵点。", code="project_closed")
    if project_matter is not None:
        if project_matter.project_id != project.pk:
            raise ValidationError("所选事项不属于该项目。", code="wrong_project")
        stage = project_matter.matter.stage
        owner_unit = owner_unit or project_matter.unit
    if owner_unit is None:
        raise ValidationError("请选择责任单位，或选择相关事项（按事项的办理单位）。", code="no_unit")
    if stage is None:
        raise ValidationError("请选择相关事项或所属阶段。", code="no_stage")
    if due_on < timezone.localdate():
        raise ValidationError("协调期限不能早于今天。", code="past_due")
    problem = Problem.objects.create(
        project=project,
        project_matter=project_matter,
        stage=stage,
        description=description,
        owner_unit=owner_unit,
        due_on=due_on,
        raised_by=actor,
    )
    timeline.record(
        project,
        Kind.PROBLEM,
        actor,
        f"提出难点堵点（责任单位 {owner_unit.name}，期限 {due_on:%Y-%m-%d}）：{description[:80]}",
        project_matter=project_matter,
        stage=stage,
        unit=owner_unit,
        obj=problem,
    )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=problem)
    return problem


@transaction.atomic
def problem_update(
    *, actor: User, request: HttpRequest | None, problem_id: int, version: int, status: str, resolution: str
) -> Problem:
    """Move a problem on; closing it needs the resolution (or, if it cannot be solved, the reason),
    which goes back to the specialist and into the dossier."""
    problem = lock_for_update(Problem, problem_id, version=version)
    status = Problem.Status(status)
    resolution = resolution.strip()
    if not problem.is_open:
        raise ValidationError(f"该问题已{problem.status}，不能再变更。", code="closed")
    if status == problem.status and status == Problem.Status.OPEN:
        raise ValidationError("请选择新的状态。", code="no_change")
    if status == Problem.Status.SOLVED and not resolution:
        raise ValidationError("标记“已解决”须填写解决情况。", code="resolution_required")
    if status == Problem.Status.UNSOLVABLE and not resolution:
        raise ValidationError("标记“无法解决”须填写原因，该原因将反馈给帮办专员。", code="reason_required")
    before = problem.status
    problem.status = status
    problem.resolution = resolution
    problem.version += 1
    if status in (Problem.Status.SOLVED, Problem.Status.UNSOLVABLE):
        problem.closed_at = timezone.now()
    problem.save()
    label = {Problem.Status.SOLVED: "解决情况", Problem.Status.UNSOLVABLE: "无法解决的原因"}.get(status, "说明")
    summary = f"难点堵点“{problem.description[:30]}”：{before} → {status}"
    if resolution:
        summary += f"，{label}：{resolution[:80]}"
    timeline.record(
        problem.project,
        Kind.PROBLEM,
        actor,
        summary,
        project_matter=problem.project_matter,
        stage=problem.stage,
        unit=problem.owner_unit,
        obj=problem,
    )
    if status in (Problem.Status.SOLVED, Problem.Status.UNSOLVABLE):
        Report.objects.create(
            project=problem.project,
            content=f"难点堵点{status}：{problem.description[:40].rstrip('。')}。{label}：{resolution}",
            created_by=actor,
        )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=problem,
        before={"状态": before},
        after={"状态": status, label: resolution},
    )
    return problem


# ---------------------------------------------------------------------------------------------
# Joint meetings and their decisions


def _lock_open_problems(problems: list[Problem], meeting: Meeting) -> None:
    for chosen in problems:
        problem = lock_for_update(Problem, chosen.pk)
        if not problem.is_open:
            raise ValidationError(
                f"问题“{problem.description[:20]}”已{problem.status}，不能再提交会议研究。", code="closed"
            )
        if problem.status == Problem.Status.OPEN:
            problem.status = Problem.Status.COORDINATING
            problem.version += 1
            problem._change_reason = f"提交{meeting.topic[:40]}研究"
            problem.save()


@transaction.atomic
def meeting_convene(
    *,
    actor: User,
    request: HttpRequest | None,
    convened_by: Department,
    stage: Stage | None,
    held_on: date,
    starts_at=None,
    place: str,
    chair: str,
    topic: str,
    agenda: str = "",
    units: list[Department],
    projects: list[Project],
    problems: list[Problem] = (),
) -> Meeting:
    """Convene a joint meeting ahead: the invited units see it in their to-do until it is held; its
    minutes are recorded afterwards (``minutes_record``) and issued (``minutes_issue``)."""
    units, projects, problems = list(units), list(projects), list(problems)
    if not units:
        raise ValidationError("请至少选择一个参会单位。", code="no_units")
    if not projects:
        raise ValidationError("请至少选择一个研究的项目。", code="no_projects")
    if not (place or "").strip():
        raise ValidationError("请填写会议地点。", code="no_place")
    if not (chair or "").strip():
        raise ValidationError("请填写主持人。", code="no_chair")
    for project in projects:
        if project.is_closed:
            raise ValidationError(f"项目“{project.name}”已{project.status}，不能再提交会议研究。", code="closed")
    for problem in problems:
        if problem.project not in projects:
            raise ValidationError(f"问题“{problem.description[:20]}”所属项目不在研究项目中。", code="problem_project")
    meeting = Meeting.objects.create(
        convened_by=convened_by,
        stage=stage,
        held_on=held_on,
        starts_at=starts_at,
        place=place.strip(),
        chair=chair.strip(),
        topic=topic,
        agenda=agenda,
        created_by=actor,
    )
    meeting.units.set(units)
    meeting.projects.set(projects)
    meeting.problems.set(problems)
    _lock_open_problems(problems, meeting)
    when = f"{held_on:%Y-%m-%d}" + (f" {starts_at:%H:%M}" if starts_at else "")
    for project in projects:
        timeline.record(
            project,
            Kind.MEETING,
            actor,
            f"{convened_by.name}召集联席会议（{when}，{meeting.place}，主持人 {meeting.chair}）研究：{topic}",
            stage=stage,
            obj=meeting,
        )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=meeting)
    return meeting


def _check_decisions(meeting: Meeting, decisions: list[dict], project_ids: set[int]) -> None:
    for number, decision in enumerate(decisions, start=1):
        if not decision.get("content") or decision.get("unit") is None or decision.get("due_on") is None:
            raise ValidationError(f"第 {number} 条议定事项须写明内容、责任单位和完成期限。", code="decision_incomplete")
        if decision["due_on"] <= meeting.held_on:
            raise ValidationError(
                f"第 {number} 条议定事项的完成期限须晚于会议日期（{meeting.held_on:%Y-%m-%d}）。",
                code="decision_due",
            )
        if decision.get("project") is not None and decision["project"].pk not in project_ids:
            raise ValidationError(f"第 {number} 条议定事项的项目不在研究项目中。", code="decision_project")


def _refuse_if_issued(meeting: Meeting) -> None:
    if meeting.is_issued:
        raise ValidationError(
            f"{meeting.number}已于 {timezone.localtime(meeting.issued_at):%Y-%m-%d} 签发，不能再修改。"
            "如需更正，请在议定事项的落实情况中说明，或召集会议另行形成纪要。",
            code="issued",
        )


@transaction.atomic
def minutes_record(
    *,
    actor: User,
    request: HttpRequest | None,
    meeting_id: int,
    version: int,
    chair: str,
    recorder: str,
    minutes: str,
    attendance: list[dict],
    decisions: list[dict],
) -> Meeting:
    """Record (or correct, until issued) the minutes of a meeting that has been held: attendance of
    every invited unit, chair, recorder, the minutes and the decisions, each due after the meeting."""
    meeting = lock_for_update(Meeting, meeting_id, version=version)
    _refuse_if_issued(meeting)
    if meeting.held_on > timezone.localdate():
        raise ValidationError(f"会议定于 {meeting.held_on:%Y-%m-%d} 召开，召开后再登记纪要。", code="not_held")
    chair, recorder, minutes = (chair or "").strip(), (recorder or "").strip(), (minutes or "").strip()
    if not chair:
        raise ValidationError("请填写主持人。", code="no_chair")
    if not recorder:
        raise ValidationError("请填写记录人。", code="no_recorder")
    if not minutes:
        raise ValidationError("请填写会议纪要。", code="no_minutes")
    invited = {unit.pk: unit for unit in meeting.units.all()}
    given = {row["unit"].pk: row for row in attendance}
    if set(given) != set(invited):
        missing = [invited[pk].name for pk in invited if pk not in given]
        raise ValidationError(
            f"请逐一登记参会单位的出席情况{('：' + '、'.join(missing) + ' 未登记') if missing else ''}。",
            code="attendance",
        )
    for row in attendance:
        if row["present"] and not (row.get("attendee") or "").strip():
            raise ValidationError(f"{row['unit'].name}出席，请填写参会人员。", code="attendee")
    _check_decisions(meeting, decisions, set(meeting.projects.values_list("pk", flat=True)))
    meeting.chair, meeting.recorder, meeting.minutes = chair, recorder, minutes
    meeting.status = Meeting.Status.DRAFT
    meeting.version += 1
    meeting._change_reason = "登记会议纪要"
    meeting.save()
    meeting.attendance.all().delete()
    Attendance.objects.bulk_create(
        Attendance(
            meeting=meeting,
            unit=row["unit"],
            present=row["present"],
            attendee=(row.get("attendee") or "").strip() if row["present"] else "",
        )
        for row in attendance
    )
    # a draft's decisions are replaced as a whole; they are tracked only once the minutes are issued
    meeting.decisions.all().delete()
    for decision in decisions:
        Decision.objects.create(
            meeting=meeting,
            project=decision.get("project"),
            content=decision["content"],
            unit=decision["unit"],
            due_on=decision["due_on"],
        )
    present = sum(1 for row in attendance if row["present"])
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=meeting,
        after={"状态": "纪要待签发", "出席单位": f"{present}/{len(attendance)}", "议定事项": len(decisions)},
    )
    return meeting


@transaction.atomic
def minutes_issue(*, actor: User, request: HttpRequest | None, meeting_id: int, version: int) -> Meeting:
    """Issue the recorded minutes: numbered, frozen, kept as a PDF; the decisions are then followed up."""
    from windows import documents

    meeting = lock_for_update(Meeting, meeting_id, version=version)
    _refuse_if_issued(meeting)
    if meeting.status != Meeting.Status.DRAFT:
        raise ValidationError(
            "请先登记会议纪要（出席情况、主持人、记录人、纪要和议定事项），再签发。", code="no_minutes"
        )
    meeting.year = meeting.held_on.year
    meeting.serial = Counter.next("meeting", meeting.year)
    meeting.status = Meeting.Status.ISSUED
    meeting.issued_by = actor
    meeting.issued_at = timezone.now()
    meeting.version += 1
    meeting._change_reason = "签发会议纪要"
    meeting.save()
    count = meeting.decisions.count()
    for project in meeting.projects.all():
        timeline.record(
            project,
            Kind.MEETING,
            actor,
            f"签发{meeting.number}（{meeting.held_on:%Y-%m-%d}，{meeting.convened_by.name}召集，主持人 {meeting.chair}，"
            f"记录人 {meeting.recorder}）研究：{meeting.topic}；议定事项 {count} 条",
            stage=meeting.stage,
            obj=meeting,
        )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=meeting,
        after={"状态": "纪要已签发", "文号": meeting.number},
    )
    documents.keep_after_issue(meeting.pk)
    return meeting


@transaction.atomic
def decision_update(
    *, actor: User, request: HttpRequest | None, decision_id: int, version: int, status: str, outcome: str
) -> Decision:
    decision = lock_for_update(Decision, decision_id, version=version)
    if decision.meeting.status != Meeting.Status.ISSUED:
        raise ValidationError("会议纪要尚未签发，议定事项签发后才跟踪落实情况。", code="not_issued")
    status = Decision.Status(status)
    outcome = outcome.strip()
    if decision.status != Decision.Status.OPEN:
        raise ValidationError(f"该议定事项已{decision.status}，不能再变更。", code="closed")
    if status == Decision.Status.OPEN:
        raise ValidationError("请选择“已落实”或“未落实”。", code="no_change")
    if not outcome:
        raise ValidationError("请填写落实说明。", code="outcome_required")
    decision.status = status
    decision.outcome = outcome
    decision.closed_at = timezone.now()
    decision.version += 1
    decision.save()
    meeting = decision.meeting
    targets = [decision.project] if decision.project_id else list(meeting.projects.all())
    for project in targets:
        timeline.record(
            project,
            Kind.MEETING,
            actor,
            f"{meeting.number}议定事项“{decision.content[:30]}”{status}（{decision.unit.name}）：{outcome[:80]}",
            stage=meeting.stage,
            unit=decision.unit,
            obj=decision,
        )
        Report.objects.create(
            project=project,
            content=f"联席会议议定事项{status}：{decision.content.rstrip('。')}。{outcome}",
            created_by=actor,
        )
    audit.record(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=decision, after={"状态": status})
    return decision
