"""Writes of the dossier part."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import urlencode

from projects import conditions, deadlines, timeline
from projects.exchange import events
from projects.exchange.codes import Blzt
from projects.lookup import ensure_lookup_no
from projects.models import (
    Consultation,
    Feedback,
    Material,
    Matter,
    MatterPause,
    NotificationLetter,
    Project,
    ProjectMatter,
    Stage,
)
from projects.timeline import Kind
from qinqing import audit
from qinqing.masking import mask_phone
from qinqing.models import AuditEntry, Counter, User
from qinqing.services import lock_for_update, versioned_update
from qinqing.stale import stale_error
from qinqing.workdays import PROVISIONAL_MARK, WorkCalendar

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# ---------------------------------------------------------------------------------------------
# Projects


def project_snapshot(project: Project) -> dict:
    return {
        "项目名称": project.name,
        "项目代码": project.code,
        "建设单位": project.builder,
        "统一社会信用代码": project.builder_credit_code,
        "联系人": project.contact_name,
        "联系电话": mask_phone(project.contact_phone),
        "建设地点": project.site,
        "投资类型": project.investment_type,
        "建设性质": project.nature,
        "项目类别": project.category,
        "用地面积": str(project.land_area) if project.land_area is not None else "",
        "建筑面积": str(project.floor_area) if project.floor_area is not None else "",
        "总投资": str(project.total_investment) if project.total_investment is not None else "",
        "重点项目": "是" if project.is_key else "否",
        "帮办专员": project.specialist.name if project.specialist_id else "",
        "项目状态": project.status,
        "所处阶段": project.current_stage.name if project.current_stage_id else "",
        "办结日期": f"{project.completed_on:%Y-%m-%d}" if project.completed_on else "",
        "备注": project.note,
    }


PROJECT_FIELDS = (
    "name",
    "code",
    "builder",
    "builder_credit_code",
    "contact_name",
    "contact_phone",
    "site",
    "investment_type",
    "nature",
    "category",
    "land_area",
    "floor_area",
    "total_investment",
    "is_key",
    "current_stage",
    "note",
)


def _check_code_free(code: str, exclude_pk: int | None = None) -> None:
    if code and Project.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise ValidationError(f"项目代码 {code} 已有档案，请在项目列表中查找该项目。", code="duplicate_code")


@transaction.atomic
def project_create(
    *,
    actor: User,
    request: HttpRequest | None,
    specialist: User | None = None,
    registered_at: datetime | None = None,
    confirmed_distinct_from: list[Project] = (),
    **fields,
) -> Project:
    """Open a dossier; the specialist is the one opening it unless another is named. ``registered_at``
    is the visit it was opened from (default: now). ``confirmed_distinct_from``: the similar open
    dossiers the clerk was shown and confirmed to be other projects (kept on the timeline)."""
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    if not fields.get("investment_type"):
        raise ValidationError("请选择投资类型（政府投资或社会投资）。", code="investment_type_required")
    _check_code_free(fields.get("code", ""))
    project = Project(
        specialist=specialist or actor,
        created_by=actor,
        registered_on=timezone.localdate(registered_at) if registered_at else timezone.localdate(),
        **fields,
    )
    if project.current_stage_id is None:
        project.current_stage = Stage.objects.order_by("number").first()
    project._change_reason = "建立项目档案"
    project.save()
    if not project.code:
        ensure_lookup_no(project)  # the applicant's 查询号 until the project has a code
    summary = f"建立项目档案，帮办专员：{project.specialist.name}"
    detail = {}
    if confirmed_distinct_from:
        names = "、".join(f"《{other.name}》" for other in confirmed_distinct_from)
        summary += f"（登记时提示 {len(confirmed_distinct_from)} 个相似档案，经确认不是同一项目）"
        detail = {"相似档案": names, "相似档案编号": [other.pk for other in confirmed_distinct_from]}
    timeline.record(project, Kind.PROJECT, actor, summary, occurred_at=registered_at, detail=detail, obj=project)
    audit.record(
        action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=project, after=project_snapshot(project)
    )
    return project


@transaction.atomic
def project_update(
    *,
    actor: User,
    request: HttpRequest | None,
    project_id: int,
    version: int,
    specialist: User,
    status: str,
    reason: str = "",
    completed_on=None,
    **fields,
) -> Project:
    """Correct a dossier's facts, hand it to another specialist or change its status; refused if stale.

    The completion date is set when the last matter finishes (or to today when marked 已办结 by hand);
    correcting it needs a reason, which the history, timeline and audit log keep."""
    current = lock_for_update(Project, project_id, version=version)
    if current.status == Project.Status.MERGED:
        raise ValidationError("该档案已合并到另一档案，不能再修改；请在保留的档案中办理。", code="project_merged")
    if status == Project.Status.MERGED:
        raise ValidationError("合并档案请使用“合并档案”功能。", code="merge_by_form")
    _check_code_free(fields.get("code", ""), exclude_pk=project_id)
    if status != current.status and status in (Project.Status.ON_HOLD, Project.Status.TERMINATED) and not reason:
        raise ValidationError(f"将项目改为“{status}”须填写原因。", code="reason_required")
    closing = status in (Project.Status.COMPLETED, Project.Status.TERMINATED) and status != current.status
    if closing and current.matters.exclude(status__in=ProjectMatter.FINAL_STATUSES).exists():
        raise ValidationError(
            f"项目还有未办结的事项（含待申报），请先办结或撤回后再标为“{status}”。", code="open_matters"
        )
    if not fields.get("code", current.code) and current.matters.filter(accepted_on__isnull=False).exists():
        raise ValidationError("项目已有受理的事项，项目代码不能清空。", code="code_required")
    before = project_snapshot(current)
    changes = {**fields, "specialist": specialist, "status": status}
    if status == Project.Status.COMPLETED:
        changes["completed_on"] = _completion_date(current, completed_on, reason)
    else:
        changes["completed_on"] = None
    project = versioned_update(
        model=Project,
        pk=project_id,
        version=version,
        changes=changes,
        snapshot=project_snapshot,
        actor=actor,
        request=request,
        reason=reason or "修改项目档案",
    )
    after = project_snapshot(project)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        summary = "修改项目信息：" + "、".join(changed)
        if reason:
            summary += f"（原因：{reason}）"
        timeline.record(project, Kind.PROJECT, actor, summary, detail={"changes": changed, "reason": reason})
    return project


def _completion_date(current: Project, wanted, reason: str):
    """The completion date of a project marked or kept 已办结: the one asked for, checked."""
    today = timezone.localdate()
    if wanted is None:
        return current.completed_on or today
    if wanted != current.completed_on and current.completed_on is not None and not reason:
        raise ValidationError(
            f"更正办结日期（原为 {current.completed_on:%Y-%m-%d}）须填写原因。", code="reason_required"
        )
    if wanted > today:
        raise ValidationError("办结日期不能晚于今天。", code="future_date")
    if wanted < current.registered_on:
        raise ValidationError(
            f"办结日期不能早于项目登记日期（{current.registered_on:%Y-%m-%d}）。", code="before_registration"
        )
    last = (
        current.matters.filter(finished_on__isnull=False)
        .order_by("-finished_on")
        .values_list("finished_on", flat=True)[:1]
    )
    if last and wanted < last[0]:
        raise ValidationError(
            f"办结日期不能早于最后一个事项的办结日期（{last[0]:%Y-%m-%d}）。", code="before_last_matter"
        )
    return wanted


# ---------------------------------------------------------------------------------------------
# Consultations and one-time notification letters


@transaction.atomic
def consultation_log(
    *,
    actor: User,
    request: HttpRequest | None,
    project: Project | None,
    new_project: dict | None = None,
    visited_at,
    kind: str,
    visitor_name: str,
    visitor_phone: str = "",
    visitor_company: str = "",
    question: str,
    answer: str = "",
    policies: str = "",
    outcome: str = Consultation.Outcome.ANSWERED,
    matters: list[Matter] = (),
    confirmed_distinct_from: list[Project] = (),
) -> Consultation:
    """Log a walk-in; with ``new_project`` (project fields) a new dossier is opened from it."""
    if project is not None and new_project:
        raise ValidationError("请选择已有项目或新建档案，二者只能选一。", code="project_twice")
    if visited_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError("来访时间不能晚于现在。", code="future_visit")
    if project is not None and project.status == Project.Status.MERGED:
        raise ValidationError("该档案已合并到另一档案，请在保留的档案中登记。", code="project_merged")
    if new_project:
        project = project_create(
            actor=actor,
            request=request,
            registered_at=visited_at,
            confirmed_distinct_from=confirmed_distinct_from,
            **new_project,
        )
    consultation = Consultation.objects.create(
        project=project,
        visited_at=visited_at,
        kind=kind,
        visitor_name=visitor_name,
        visitor_phone=visitor_phone,
        visitor_company=visitor_company,
        question=question,
        answer=answer,
        policies=policies,
        outcome=outcome,
        recorded_by=actor,
    )
    consultation.matters.set(matters)
    if project is not None:
        names = "、".join(m.name for m in matters)
        summary = f"{kind}：{visitor_name}{('（' + visitor_company + '）') if visitor_company else ''}，{question[:60]}"
        timeline.record(
            project,
            Kind.CONSULTATION,
            actor,
            summary,
            occurred_at=visited_at,
            detail={"涉及事项": names, "答复": answer, "惠企政策": policies, "结果": outcome},
            obj=consultation,
        )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=consultation)
    return consultation


def consultation_may_change(user: User, consultation: Consultation) -> bool:
    """Who answers a 待答复 consultation or files it into a dossier: the specialist who recorded it, or
    the specialist of its project."""
    from qinqing.roles import Role, user_roles

    if Role.SPECIALIST not in user_roles(user):
        return False
    return consultation.recorded_by_id == user.pk or (
        consultation.project_id is not None and consultation.project.specialist_id == user.pk
    )


def _consultation_summary(consultation: Consultation) -> str:
    company = f"（{consultation.visitor_company}）" if consultation.visitor_company else ""
    return f"{consultation.kind}：{consultation.visitor_name}{company}，{consultation.question[:60]}"


@transaction.atomic
def consultation_answer(
    *,
    actor: User,
    request: HttpRequest | None,
    consultation_id: int,
    version: int,
    answer: str,
    outcome: str,
    answered_at: datetime | None = None,
) -> Consultation:
    """Answer a consultation left 待答复: the answer, the outcome and when and by whom it was given."""
    consultation = lock_for_update(Consultation, consultation_id, version=version)
    if not consultation_may_change(actor, consultation):
        raise ValidationError("只有登记该咨询的帮办专员或项目的帮办专员可以答复。", code="not_yours")
    if consultation.outcome != Consultation.Outcome.PENDING:
        raise ValidationError(f"该咨询已答复（{consultation.outcome}），无需再答复。", code="already_answered")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复情况。", code="answer_required")
    if outcome == Consultation.Outcome.PENDING or outcome not in Consultation.Outcome.values:
        raise ValidationError("请选择答复后的办理结果。", code="outcome_required")
    answered_at = answered_at or timezone.now()
    if answered_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError("答复时间不能晚于现在。", code="future_answer")
    if answered_at < consultation.visited_at:
        raise ValidationError(
            f"答复时间不能早于来访时间（{timezone.localtime(consultation.visited_at):%Y-%m-%d %H:%M}）。",
            code="answer_before_visit",
        )
    before = {"答复情况": consultation.answer, "办理结果": consultation.outcome}
    consultation.answer = answer
    consultation.outcome = outcome
    consultation.answered_at = answered_at
    consultation.answered_by = actor
    consultation.version += 1
    consultation._change_reason = "答复待答复的咨询"
    consultation.save()
    if consultation.project_id is not None:
        timeline.record(
            consultation.project,
            Kind.CONSULTATION,
            actor,
            f"答复{timezone.localtime(consultation.visited_at):%m月%d日}的{consultation.kind}（{consultation.visitor_name}）："
            f"{answer[:60]}",
            occurred_at=answered_at,
            detail={"答复": answer, "结果": outcome},
            obj=consultation,
        )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=consultation,
        before=before,
        after={"答复情况": answer, "办理结果": outcome},
    )
    return consultation


@transaction.atomic
def consultation_to_project(
    *,
    actor: User,
    request: HttpRequest | None,
    consultation_id: int,
    version: int,
    project: Project | None = None,
    new_project: dict | None = None,
    confirmed_distinct_from: list[Project] = (),
) -> Consultation:
    """转为项目档案: file a consultation logged without a project into one of the specialist's dossiers,
    or open a dossier from it (registered on the day of the visit). Both go on the dossier's timeline."""
    if (project is None) == (not new_project):
        raise ValidationError("请选择已有项目或新建档案，二者只能选一。", code="project_twice")
    consultation = lock_for_update(Consultation, consultation_id, version=version)
    if not consultation_may_change(actor, consultation):
        raise ValidationError("只有登记该咨询的帮办专员可以将其转为项目档案。", code="not_yours")
    if consultation.project_id is not None:
        raise ValidationError("该咨询已属于一个项目档案。", code="has_project")
    if project is not None:
        project = lock_for_update(Project, project.pk)
        if project.specialist_id != actor.pk:
            raise ValidationError("只能归入自己负责的项目档案。", code="not_your_project")
        if project.status == Project.Status.MERGED:
            raise ValidationError("该档案已合并到另一档案，请归入保留的档案。", code="project_merged")
        opened = False
    else:
        project = project_create(
            actor=actor,
            request=request,
            registered_at=consultation.visited_at,
            confirmed_distinct_from=confirmed_distinct_from,
            **new_project,
        )
        opened = True
    consultation.project = project
    consultation.version += 1
    consultation._change_reason = "转为项目档案" if opened else "归入项目档案"
    consultation.save()
    timeline.record(
        project,
        Kind.CONSULTATION,
        actor,
        _consultation_summary(consultation) + ("（由来访登记建档）" if opened else "（来访登记归入本档案）"),
        occurred_at=consultation.visited_at,
        detail={
            "涉及事项": "、".join(m.name for m in consultation.matters.all()),
            "答复": consultation.answer,
            "惠企政策": consultation.policies,
            "结果": consultation.outcome,
        },
        obj=consultation,
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=consultation,
        before={"项目": ""},
        after={"项目": project.name},
        detail="转为项目档案" if opened else "归入项目档案",
    )
    return consultation


def _material_item(material: Material) -> dict:
    return {
        "name": material.name,
        "form": material.form or "未注明",
        "copies": material.copies,
        "medium": material.medium,
        "required": material.required,
        "condition": material.condition,
        "source": material.source,
        "issuer": material.issuer,
        "can_defer": material.can_defer,
        "commitment_ok": material.commitment_ok,
        "note": material.note,
    }


def letter_ready(matter: Matter) -> bool:
    """A matter's materials may be printed as they are: at least one active material, all verified."""
    active = [m for m in matter.materials.all() if m.is_active]
    return bool(active) and all(m.verified for m in active)


def letter_item(matter: Matter, *, guide_told: bool = False) -> dict:
    """What a letter says about one matter, frozen at issue: every verified material with its form and
    copies, where and when to go, whom to call. ``guide_told``: the specialist explained the service guide
    in person because the catalogue's materials are not yet verified (recorded on the letter)."""
    stage = matter.stage
    policies = [
        label
        for flag, label in (
            (matter.allows_commitment, "可实行告知承诺制"),
            (matter.allows_deficiency, "可容缺受理"),
            (matter.allows_parallel, "可并联审批"),
        )
        if flag
    ]
    active = [m for m in matter.materials.all() if m.is_active]
    verified = [m for m in active if m.verified]
    ready = bool(active) and len(verified) == len(active)
    return {
        "matter_id": matter.pk,
        "name": matter.name,
        "category": matter.category,
        "stage": stage.name,
        "handling": matter.handling,
        "unit": matter.unit.name,
        "unit_phone": matter.phone,
        "address": matter.address,
        "hours": matter.hours,
        "channel": matter.channel,
        "fees": matter.fees,
        "complaint_phone": matter.complaint_phone,
        "result_name": matter.result_name,
        "window": stage.window_label + (f"（牵头单位：{stage.lead_unit.name}）" if stage.lead_unit_id else ""),
        "window_phone": stage.window_phone,
        "time_limit": "按合同约定" if matter.by_contract else f"{matter.time_limit_workdays} 个工作日",
        "statutory_limit": f"{matter.statutory_limit_workdays} 个工作日" if matter.statutory_limit_workdays else "",
        "materials": [_material_item(m) for m in verified if m.to_submit] if ready else [],
        "shared": [_material_item(m) for m in verified if not m.to_submit] if ready else [],
        "guide_told": guide_told and not ready,
        "bundles": [bundle.name for bundle in matter.bundles.all() if bundle.is_active],
        "note": matter.note,
        "policies": policies,
    }


def letter_matters_queryset():
    return Matter.objects.select_related("stage", "stage__lead_unit", "unit").prefetch_related("materials", "bundles")


@transaction.atomic
def letter_issue(
    *,
    actor: User,
    request: HttpRequest | None,
    project_id: int,
    matters: list[Matter],
    recipient: str,
    guide_told: list[Matter] = (),
    policies: str = "",
    note: str = "",
    consultation: Consultation | None = None,
    lookup_base: str = "",
) -> NotificationLetter:
    """Issue a one-time notification letter for ``matters``; it is numbered and kept as issued.

    A matter whose catalogue materials are not (all) verified goes on the letter only if the specialist
    states, for that matter, that the service guide's materials were explained in person."""
    if not matters:
        raise ValidationError("请至少选择一个事项。", code="no_matters")
    project = lock_for_update(Project, project_id)
    if project.is_closed:
        raise ValidationError(f"项目已{project.status}，不能再出具告知单。", code="project_closed")
    if consultation is not None and consultation.project_id not in (None, project.pk):
        raise ValidationError("所选咨询登记不属于该项目。", code="wrong_consultation")
    told = {m.pk for m in guide_told}
    matters = sorted(
        letter_matters_queryset().filter(pk__in=[m.pk for m in matters]), key=lambda m: (m.stage.number, m.pk)
    )
    missing = [m.name for m in matters if not letter_ready(m) and m.pk not in told]
    if missing:
        raise ValidationError(
            "以下事项的申请材料尚未经管理员核实，请逐项勾选“材料以办事指南为准，已当面告知”后再出具："
            + "、".join(missing),
            code="materials_unverified",
        )
    lookup_code = project.code or ensure_lookup_no(project)
    now = timezone.now()
    year = timezone.localdate(now).year
    items = [letter_item(m, guide_told=m.pk in told) for m in matters]
    letter = NotificationLetter.objects.create(
        project=project,
        project_name=project.name,
        project_code=project.code,
        lookup_code=lookup_code,
        contact={
            "specialist": project.specialist.name,
            "specialist_phone": project.specialist.phone,
            "issuer": actor.name,
            # the QR code's target: the applicant's look-up with the code filled in
            "lookup_url": f"{lookup_base}?{urlencode({'code': lookup_code})}" if lookup_base else "",
        },
        consultation=consultation,
        year=year,
        serial=Counter.next("letter", year),
        recipient=recipient,
        items=items,
        policies=policies,
        note=note,
        issued_at=now,
        issued_by=actor,
    )
    told_names = [item["name"] for item in items if item["guide_told"]]
    detail = {"事项": "、".join(m.name for m in matters)}
    if told_names:
        detail["按办事指南当面告知"] = "、".join(told_names)
    timeline.record(
        project,
        Kind.LETTER,
        actor,
        f"出具一次性告知单 {letter.number}：{len(matters)} 个事项，告知对象 {recipient}"
        + (f"（{len(told_names)} 个事项材料以办事指南为准，已当面告知）" if told_names else ""),
        detail=detail,
        obj=letter,
    )
    audit.record(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=letter,
        detail=detail.get("按办事指南当面告知", ""),
    )
    return letter


# ---------------------------------------------------------------------------------------------
# Project matters


@transaction.atomic
def project_matters_add(
    *, actor: User, request: HttpRequest | None, project_id: int, matters: list[Matter]
) -> tuple[list[ProjectMatter], list[Matter]]:
    """Put catalogue matters on a project; a matter already open on it is skipped and returned."""
    project = lock_for_update(Project, project_id)
    if project.is_closed:
        raise ValidationError(f"项目已{project.status}，不能再添加事项。", code="project_closed")
    # a matter waiting, in progress or already done on this project is not added again;
    # one refused or withdrawn can be applied for anew
    open_ids = set(
        project.matters.exclude(status__in=[ProjectMatter.Status.REFUSED, ProjectMatter.Status.WITHDRAWN]).values_list(
            "matter_id", flat=True
        )
    )
    added, skipped = [], []
    for matter in matters:
        if matter.pk in open_ids or not matter.is_active:
            skipped.append(matter)
            continue
        open_ids.add(matter.pk)
        added.append(ProjectMatter(project=project, matter=matter, unit_id=matter.unit_id))
    for item in added:
        item._change_reason = "添加事项"
        item.save()
    if added:
        names = "、".join(item.matter.name for item in added)
        timeline.record(project, Kind.MATTER, actor, f"添加 {len(added)} 个事项：{names}")
        audit.record(
            action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=project, detail=f"添加事项：{names}"
        )
    return added, skipped


TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProjectMatter.Status.PENDING: (ProjectMatter.Status.ACCEPTED, ProjectMatter.Status.WITHDRAWN),
    ProjectMatter.Status.ACCEPTED: (
        ProjectMatter.Status.REVIEWING,
        ProjectMatter.Status.SUPPLEMENT,
        ProjectMatter.Status.DONE,
        ProjectMatter.Status.REFUSED,
        ProjectMatter.Status.WITHDRAWN,
    ),
    ProjectMatter.Status.REVIEWING: (
        ProjectMatter.Status.SUPPLEMENT,
        ProjectMatter.Status.DONE,
        ProjectMatter.Status.REFUSED,
        ProjectMatter.Status.WITHDRAWN,
    ),
    ProjectMatter.Status.SUPPLEMENT: (
        ProjectMatter.Status.REVIEWING,
        ProjectMatter.Status.REFUSED,
        ProjectMatter.Status.WITHDRAWN,
    ),
}
REASON_REQUIRED = (ProjectMatter.Status.SUPPLEMENT, ProjectMatter.Status.REFUSED, ProjectMatter.Status.WITHDRAWN)
MODE_FLAGS = {
    ProjectMatter.Mode.PARALLEL: ("allows_parallel", "并联审批"),
    ProjectMatter.Mode.COMMITMENT: ("allows_commitment", "告知承诺制"),
    ProjectMatter.Mode.DEFICIENCY: ("allows_deficiency", "容缺受理"),
}
ACTION_LABELS = {
    ProjectMatter.Status.ACCEPTED: "受理",
    ProjectMatter.Status.REVIEWING: "进入审查",
    ProjectMatter.Status.SUPPLEMENT: "通知补正材料（暂停计时）",
    ProjectMatter.Status.DONE: "办结",
    ProjectMatter.Status.REFUSED: "不予办理",
    ProjectMatter.Status.WITHDRAWN: "撤回",
}


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


@transaction.atomic
def matter_move(
    *,
    actor: User,
    request: HttpRequest | None,
    project_matter_id: int,
    version: int,
    to_status: str,
    on,
    reason: str = "",
    mode: str | None = None,
    result: str = "",
    missing: list[tuple[Material | None, str]] | None = None,
    supply_workdays: int | None = None,
    commitment: conditions.CommitmentTerms | None = None,
    confirm_non_workday: bool = False,
    city: tuple[int, str] | None = None,
    calendar: WorkCalendar | None = None,
) -> ProjectMatter:
    """Move a project matter to ``to_status`` on date ``on``; one of two racing moves wins.

    The row is locked and the form's version checked, so a second person acting on what they saw
    before is told, not silently applied. Accepting 容缺 records the missing materials and their
    deadline, accepting 告知承诺 the commitments and the check date (``projects.conditions``); 办结
    carries its result (通过 / 容缺通过 / 不通过); the last matter finished completes the project. Every move is
    written in the SPGL status history (``MatterEvent``); ``city`` = (BLZT, DFSJZJ) when the exchange applies a
    row of the city's approval system (``projects.exchange``)."""
    pm = lock_for_update(ProjectMatter, project_matter_id)
    if pm.version != version:
        raise stale_error(
            pm, version, lead=f"该事项刚被他人更新为“{pm.status}”，您看到的是旧状态。请刷新页面后再操作。"
        )
    pm = ProjectMatter.objects.select_related(
        "project", "matter", "matter__stage", "project__current_stage", "unit"
    ).get(pk=pm.pk)
    before = pm.status
    to_status = ProjectMatter.Status(to_status)
    if pm.is_final:
        raise ValidationError(f"该事项已{before}，不能再变更状态。", code="final")
    if pm.project.is_closed:
        raise ValidationError(f"项目已{pm.project.status}，不能再办理其事项。", code="project_closed")
    if to_status not in allowed_moves(before):
        raise ValidationError(f"事项当前为“{before}”，不能直接改为“{to_status}”。", code="illegal_move")
    today = timezone.localdate()
    if on > today:
        raise ValidationError("日期不能晚于今天。", code="future_date")
    if on < pm.project.registered_on:
        raise ValidationError(
            f"日期不能早于项目登记日期（{pm.project.registered_on:%Y-%m-%d}）。", code="before_registration"
        )
    if pm.last_changed_on and on < pm.last_changed_on:
        raise ValidationError(
            f"日期不能早于该事项上一次变更的日期（{pm.last_changed_on:%Y-%m-%d}）。", code="date_backwards"
        )
    reason = reason.strip()
    if to_status in REASON_REQUIRED and not reason:
        raise ValidationError(f"“{ACTION_LABELS[to_status]}”须填写原因。", code="reason_required")

    calendar = calendar or WorkCalendar()  # (a run of many moves shares one: each year's table is built once)
    if to_status == ProjectMatter.Status.ACCEPTED:
        if not pm.project.code:
            raise ValidationError("受理前请先在项目档案中填写项目代码（投资项目统一代码）。", code="code_required")
        if not confirm_non_workday and not calendar.is_workday(on):
            raise ValidationError(
                f"{on:%Y-%m-%d}（{WEEKDAYS[on.weekday()]}）不是工作日。确需在该日受理的，请勾选“确认在非工作日受理”。",
                code="non_workday",
            )
        mode = ProjectMatter.Mode(mode or ProjectMatter.Mode.REGULAR)
        if mode in MODE_FLAGS:
            flag, label = MODE_FLAGS[mode]
            if not getattr(pm.matter, flag):
                raise ValidationError(f"“{pm.matter.name}”不适用{label}，请选择其他办理方式。", code="mode_not_allowed")
        conditions.check_terms(
            pm=pm, mode=mode, on=on, missing=missing, supply_workdays=supply_workdays, commitment=commitment
        )
        pm.mode = mode
        pm.accepted_on = on
        pm.time_limit_workdays = pm.matter.time_limit_workdays or None
        pm.handler = actor
        if not pm.case_no:
            pm.case_no = events.local_case_no(pm, on)
    elif to_status == ProjectMatter.Status.SUPPLEMENT:
        MatterPause.objects.create(project_matter=pm, paused_on=on, reason=reason)
    elif before == ProjectMatter.Status.SUPPLEMENT or to_status in ProjectMatter.FINAL_STATUSES:
        # leaving 补正 ends the 补正 pause (a 特别程序 running beside it goes on); a final status ends every pause
        running = pm.pauses.filter(resumed_on__isnull=True)
        if to_status not in ProjectMatter.FINAL_STATUSES:
            running = running.filter(kind=MatterPause.Kind.SUPPLEMENT)
        for pause in running:
            pause.resumed_on = on
            pause._change_reason = ACTION_LABELS[to_status]
            pause.save()
    if to_status == ProjectMatter.Status.DONE:
        pm.result = _check_result(pm, result, reason, city_instance=bool(city and pm.city_key))
    if to_status in ProjectMatter.FINAL_STATUSES:
        pm.finished_on = on
    pm.status = to_status
    pm.last_changed_on = on
    pm.last_reason = reason
    pm.version += 1
    due = deadlines.refresh(pm, calendar)
    label = (
        ProjectMatter.Result(pm.result).label if to_status == ProjectMatter.Status.DONE else ACTION_LABELS[to_status]
    )
    pm._change_reason = label + (f"：{reason}" if reason else "")
    pm.save()

    summary = f"{pm.matter.name}：{label}（{on:%Y-%m-%d}）"
    if to_status == ProjectMatter.Status.ACCEPTED:
        summary += f"，{pm.mode}"
    if reason:
        summary += f"，原因：{reason}"
    # a 补正 in time stops the clock (no due date while it runs); one notified late leaves it running
    if to_status == ProjectMatter.Status.SUPPLEMENT and pm.due_on is not None:
        summary += f"；已超过到期日 {pm.due_on:%Y-%m-%d}，补正不停止计时，仍计逾期"
    if pm.finished_late:
        summary += (
            f"；逾期办结（到期日 {pm.due_on:%Y-%m-%d}，逾期 {calendar.workdays_between(pm.due_on, on)} 个工作日）"
        )
    if actor.pk != pm.project.specialist_id and actor.department_id != pm.unit_id:
        summary += f"（{actor.name}代{pm.unit.name}录入）"
    if pm.due_on and to_status in (ProjectMatter.Status.ACCEPTED, ProjectMatter.Status.REVIEWING):
        summary += f"，到期日 {pm.due_on:%Y-%m-%d}" + (PROVISIONAL_MARK if due.provisional else "")
    now = timezone.localtime()
    occurred_at = now if on == now.date() else now.replace(year=on.year, month=on.month, day=on.day)
    timeline.record(
        pm.project,
        Kind.MATTER,
        actor,
        summary,
        occurred_at=occurred_at,
        project_matter=pm,
        detail={"from": before, "to": to_status, "date": on.isoformat(), "reason": reason},
        obj=pm,
    )
    events.record_move(pm, before=before, on=on, occurred_at=occurred_at, actor=actor, opinion=reason, city=city)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=pm,
        before={"状态": before},
        after={"状态": to_status, "日期": on.isoformat(), "原因": reason},
    )
    if to_status == ProjectMatter.Status.ACCEPTED:
        conditions.record_terms(
            pm=pm,
            actor=actor,
            on=on,
            occurred_at=occurred_at,
            missing=missing,
            supply_workdays=supply_workdays,
            commitment=commitment,
        )
        _advance_project(pm, actor, occurred_at)
    elif to_status == ProjectMatter.Status.DONE:
        _complete_project(pm, actor, request, occurred_at)
    from projects.notify import matter_moved

    matter_moved(pm, actor=actor)  # the applicant's SMS, queued in this transaction, sent by the worker
    return pm


@transaction.atomic
def set_works_code(*, actor: User, project_id: int, works_code: str, request: HttpRequest | None = None) -> Project:
    """Give a project its 工程代码 (GCDM): its project code, "-" and four digits."""
    project = lock_for_update(Project, project_id)
    works_code = works_code.strip()
    if not project.code or not re.fullmatch(re.escape(project.code) + r"-\d{4}", works_code):
        raise ValidationError(
            f"工程代码应为项目代码加“-”和 4 位数字（如 {project.code or '项目代码'}-0001），收到“{works_code}”。",
            code="works_code",
        )
    if Project.objects.filter(works_code=works_code).exclude(pk=project.pk).exists():
        raise ValidationError(f"工程代码 {works_code} 已属于另一个项目。", code="works_code_taken")
    before = project.works_code
    project.works_code = works_code
    project.version += 1
    project._change_reason = "工程代码"
    project.save()
    timeline.record(project, Kind.PROJECT, actor, f"工程代码：{works_code}")
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=project,
        before={"工程代码": before},
        after={"工程代码": works_code},
    )
    return project


@transaction.atomic
def attach_city_matter(*, actor: User, project: Project, matter: Matter, case_no: str, city_key: str) -> ProjectMatter:
    """A matter instance of the city's (办件 ``case_no``) on this project: the project matter already carrying the
    number, else the one of that matter waiting or open without a number, else a new one (as 添加事项 does)."""
    if not case_no:
        raise ValidationError("市审批系统的办件没有办件编号（SPSXSLBM）。", code="case_no")
    pm = ProjectMatter.objects.filter(case_no=case_no).first()
    if pm is not None:
        if pm.project_id != project.pk or pm.matter_id != matter.pk:
            raise ValidationError(
                f"办件编号 {case_no} 在本系统属于“{pm}”，与市审批系统的项目或事项不一致。", code="case_no_elsewhere"
            )
        return pm
    pm = (
        project.matters.filter(
            matter=matter, case_no="", status__in=[ProjectMatter.Status.PENDING, *ProjectMatter.OPEN_STATUSES]
        )
        .order_by("id")
        .first()
    )
    if pm is None:
        added, _ = project_matters_add(actor=actor, request=None, project_id=project.pk, matters=[matter])
        if not added:
            raise ValidationError(
                f"“{matter.name}”不能再添加到项目“{project.name}”（已办结或已停用）。", code="not_added"
            )
        pm = added[0]
    pm = lock_for_update(ProjectMatter, pm.pk)
    pm.case_no, pm.city_key = case_no, city_key
    pm.version += 1
    pm._change_reason = f"市审批系统办件 {case_no}"
    pm.save()
    timeline.record(
        project, Kind.MATTER, actor, f"{matter.name}：关联市审批系统办件 {case_no}", project_matter=pm, obj=pm
    )
    return pm


@transaction.atomic
def special_procedure(
    *,
    actor: User,
    request: HttpRequest | None,
    project_matter_id: int,
    version: int,
    start: bool,
    on,
    reason: str = "",
    city: tuple[int, str] | None = None,
    calendar: WorkCalendar | None = None,
) -> ProjectMatter:
    """A 特别程序 (hearing, expert review, on-site survey, public notice) starts or ends on ``on``: the clock
    stops in between, as for 补正, while the matter stays in review (SPGL statuses 9 and 10)."""
    pm = lock_for_update(ProjectMatter, project_matter_id)
    if pm.version != version:
        raise stale_error(pm, version, lead="该事项刚被他人更新，请刷新页面后再操作。")
    pm = ProjectMatter.objects.select_related("project", "matter", "unit").get(pk=pm.pk)
    reason = reason.strip()
    open_pause = pm.pauses.filter(kind=MatterPause.Kind.SPECIAL, resumed_on__isnull=True).first()
    if on > timezone.localdate():
        raise ValidationError("日期不能晚于今天。", code="future_date")
    if pm.last_changed_on and on < pm.last_changed_on:
        raise ValidationError(
            f"日期不能早于该事项上一次变更的日期（{pm.last_changed_on:%Y-%m-%d}）。", code="date_backwards"
        )
    if start:
        if pm.status not in (ProjectMatter.Status.ACCEPTED, ProjectMatter.Status.REVIEWING):
            raise ValidationError(
                f"事项当前为“{pm.status_label}”，只有受理后、审查中的事项才能进入特别程序。", code="not_open"
            )
        if open_pause is not None:
            raise ValidationError(
                f"该事项已于 {open_pause.paused_on:%Y-%m-%d} 进入特别程序，尚未结束。", code="already_special"
            )
        if not reason:
            raise ValidationError(
                "进入特别程序须写明程序名称和原因（如：专家评审、听证、现场踏勘）。", code="reason_required"
            )
        MatterPause.objects.create(project_matter=pm, paused_on=on, reason=reason[:300], kind=MatterPause.Kind.SPECIAL)
        pm.status = ProjectMatter.Status.REVIEWING
    else:
        if open_pause is None:
            raise ValidationError("该事项没有进行中的特别程序。", code="no_special")
        if on < open_pause.paused_on:
            raise ValidationError(
                f"结束日期不能早于开始日期（{open_pause.paused_on:%Y-%m-%d}）。", code="date_backwards"
            )
        open_pause.resumed_on = on
        open_pause._change_reason = "特别程序结束"
        open_pause.save()
    pm.last_changed_on = on
    pm.version += 1
    due = deadlines.refresh(pm, calendar or WorkCalendar())
    label = "特别程序开始（暂停计时）" if start else "特别程序结束（恢复计时）"
    pm._change_reason = label
    pm.save()
    summary = f"{pm.matter.name}：{label}（{on:%Y-%m-%d}）" + (f"，{reason}" if reason else "")
    if not start and pm.due_on:
        summary += f"，到期日 {pm.due_on:%Y-%m-%d}" + (PROVISIONAL_MARK if due.provisional else "")
    now = timezone.localtime()
    occurred_at = now if on == now.date() else now.replace(year=on.year, month=on.month, day=on.day)
    timeline.record(pm.project, Kind.MATTER, actor, summary[:300], occurred_at=occurred_at, project_matter=pm, obj=pm)
    status = Blzt.SPECIAL_START if start else Blzt.SPECIAL_END
    events.record_status(pm, status=status, on=on, occurred_at=occurred_at, actor=actor, opinion=reason, city=city)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=pm,
        after={"特别程序": "开始" if start else "结束", "日期": on.isoformat(), "原因": reason},
    )
    return pm


def _advance_project(pm: ProjectMatter, actor: User, occurred_at: datetime) -> None:
    """First acceptance makes a consulting project active; a later approval stage moves it on."""
    project = Project.objects.select_for_update().get(pk=pm.project_id)
    stage = pm.matter.stage
    changes = []
    if project.status == Project.Status.CONSULTING:
        project.status = Project.Status.ACTIVE
        changes.append("项目状态改为“在办”")
    current = project.current_stage.number if project.current_stage_id else 0
    # stage 5 (市政公用服务) runs alongside 2–4, so it never moves the project on
    if stage.number != 5 and stage.number > current:
        project.current_stage = stage
        changes.append(f"进入{stage.name}")
    if changes:
        project.version += 1
        project._change_reason = "；".join(changes)
        project.save()
        timeline.record(
            project,
            Kind.PROJECT,
            actor,
            "；".join(changes) + f"（因受理“{pm.matter.name}”）",
            occurred_at=occurred_at,
        )


def _check_result(pm: ProjectMatter, result: str, reason: str, *, city_instance: bool = False) -> str:
    """The result of a 办结: 容缺通过 only for a matter accepted 容缺; 通过 only once every missing
    material is supplied; 不通过 with its reason. A matter instance of the city's system (``city_instance``)
    was accepted there, with its 容缺 terms kept there: its 容缺通过 is recorded as the city reports it."""
    if result not in ProjectMatter.Result.values:
        raise ValidationError("请选择办结结果：通过、容缺通过或不通过。", code="result_required")
    if result == ProjectMatter.Result.FAILED and not reason:
        raise ValidationError("办结（不通过）须填写原因。", code="reason_required")
    if (
        result == ProjectMatter.Result.PASSED_DEFICIENT
        and pm.mode != ProjectMatter.Mode.DEFICIENCY
        and not city_instance
    ):
        raise ValidationError("该事项不是容缺受理的，不能以“容缺通过”办结。", code="not_deficient")
    if result == ProjectMatter.Result.PASSED:
        missing = list(pm.missing_materials.filter(supplied_on__isnull=True).values_list("name", flat=True))
        if missing:
            raise ValidationError(
                "尚有容缺材料未补齐：" + "、".join(missing) + "。请先登记补齐，或选择“办结（容缺通过）”。",
                code="missing_materials",
            )
    return ProjectMatter.Result(result)


# the stages whose last matter closes a project: 竣工验收 ends the four approval stages, 不动产登记
# follows it when the project has one
CLOSING_STAGES = (4, 6)


def _complete_project(pm: ProjectMatter, actor: User, request: HttpRequest | None, occurred_at: datetime) -> None:
    """The last matter of the last stage approved: the project is 已办结 on that matter's date."""
    if pm.result == ProjectMatter.Result.FAILED or pm.matter.stage.number not in CLOSING_STAGES:
        return
    project = Project.objects.select_for_update().get(pk=pm.project_id)
    if project.is_closed or project.matters.exclude(status__in=ProjectMatter.FINAL_STATUSES).exists():
        return
    before = project.status
    project.status = Project.Status.COMPLETED
    project.completed_on = pm.finished_on
    project.version += 1
    project._change_reason = f"最后一个事项“{pm.matter.name}”办结"
    project.save()
    timeline.record(
        project,
        Kind.PROJECT,
        actor,
        f"项目办结（{pm.finished_on:%Y-%m-%d}）：最后一个事项“{pm.matter.name}”{pm.status_label}",
        occurred_at=occurred_at,
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=project,
        before={"项目状态": before},
        after={"项目状态": project.status, "办结日期": f"{project.completed_on:%Y-%m-%d}"},
        detail=f"最后一个事项“{pm.matter.name}”办结，项目自动办结",
    )


# ---------------------------------------------------------------------------------------------
# Feedback to the applicant


@transaction.atomic
def feedback_record(
    *,
    actor: User,
    request: HttpRequest | None,
    project_id: int,
    told_at,
    method: str,
    content: str,
    project_matter: ProjectMatter | None = None,
) -> Feedback:
    project = Project.objects.get(pk=project_id)
    if project.status == Project.Status.MERGED:
        raise ValidationError("该档案已合并到另一档案，请在保留的档案中记录反馈。", code="project_merged")
    if project_matter is not None and project_matter.project_id != project.pk:
        raise ValidationError("所选事项不属于该项目。", code="wrong_project")
    if told_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError("反馈时间不能晚于现在。", code="future_feedback")
    feedback = Feedback.objects.create(
        project=project,
        project_matter=project_matter,
        told_at=told_at,
        method=method,
        content=content,
        recorded_by=actor,
    )
    timeline.record(
        project,
        Kind.FEEDBACK,
        actor,
        f"{method}反馈申请人：{content[:80]}",
        occurred_at=told_at,
        project_matter=project_matter,
        obj=feedback,
    )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=feedback)
    return feedback
