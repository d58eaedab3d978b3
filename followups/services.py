"""Writes of the supervision part: draws and visits, rectifications, notices, escalations, inspections.

Each is one transaction, with a row lock and the form's version where two people can race; what
concerns a project goes into its dossier through ``projects.timeline``; every write is audited."""

from __future__ import annotations

import math
import random
import secrets
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from followups import documents
from followups.models import (
    BAD_RATINGS,
    DIMENSIONS,
    SUPERVISION_OFFICE,
    Draw,
    Escalation,
    Inspection,
    InspectionResult,
    Notice,
    Rating,
    Rectification,
    Visit,
)
from projects import timeline
from projects.models import Project, ProjectMatter, Stage
from projects.timeline import Kind
from qinqing import audit
from qinqing.masking import mask_phone
from qinqing.models import AuditEntry, Counter, Department, User
from qinqing.services import lock_for_update
from qinqing.workdays import add_workdays

MAX_SAMPLE = 500


# ---------------------------------------------------------------------------------------------
# What the audit log shows of a record: its fields by their Chinese names, as people read them


def _readable(value) -> str | int | None:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return value
    if isinstance(value, User):
        return value.name or value.get_username()
    if isinstance(value, Department):
        return value.name
    return str(value)


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """``obj``'s ``fields`` as {verbose name: readable value}: a choice by its label, a date as
    yyyy-mm-dd, a time in local time, a person or unit by name (never an id); a many-to-many field as
    its items' names joined by 、. The audit log's before and after."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            value = "、".join(str(item) for item in getattr(obj, name).all()) if obj.pk else ""
        elif field.choices:
            value = getattr(obj, f"get_{name}_display")() if getattr(obj, name) else ""
        else:
            value = _readable(getattr(obj, name))
        values[str(field.verbose_name)] = value
    return values


def _audit_changes(*, actor, request, obj, before: dict, fields: tuple[str, ...]) -> None:
    audit.record_changes(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=obj,
                         before=before, after=snapshot(obj, fields))  # fmt: skip


VISIT_FIELDS = ("status", "method", "respondent", "visited_at", "overall", "efficiency", "competence", "attitude",
                "comments", "problems_found", "unit", "recorded_by")  # fmt: skip
RECTIFICATION_FIELDS = ("status", "unit", "owner", "problem", "opened_on", "due_on", "measures", "rectified_on",
                        "rectified_by", "callback", "callback_on", "callback_rating", "closing_check", "closed_on",
                        "closed_by")  # fmt: skip
NOTICE_FIELDS = ("title", "unit", "source", "period_start", "period_end", "facts", "requirement", "copy_to",
                 "visits", "matters", "inspection", "status", "issued_at", "issued_by")  # fmt: skip
ESCALATION_FIELDS = ("unit", "reason", "referred_on", "referred_to", "signed_by", "signed_at", "reply", "replied_by",
                     "replied_at", "opinion", "opinion_on", "opinion_by", "status", "outcome", "closed_on")  # fmt: skip

# ---------------------------------------------------------------------------------------------
# The random draw of projects to visit (抽样)


def served_projects(period_start: date, period_end: date, *, stage: Stage | None = None, unit=None) -> list[int]:
    """The population of a draw: projects served in the period, i.e. with a walk-in logged, a matter
    accepted or finished, or a feedback given in it; narrowed to those with matters of ``stage`` or
    of ``unit``. Sorted ids, so the population is the same list whoever computes it."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(period_start, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(period_end, datetime.max.time(), tzinfo=zone)
    served = (
        Q(consultations__visited_at__range=(since, until))
        | Q(matters__accepted_on__range=(period_start, period_end))
        | Q(matters__finished_on__range=(period_start, period_end))
        | Q(feedback__told_at__range=(since, until))
    )
    projects = Project.objects.filter(served)
    if stage is not None:
        projects = projects.filter(matters__matter__stage=stage)
    if unit is not None:
        projects = projects.filter(matters__unit=unit)
    return sorted(set(projects.values_list("pk", flat=True)))


def already_visited(period_start: date, period_end: date) -> list[int]:
    """Projects with a visit (planned or done) for a period overlapping this one: not drawn twice."""
    visits = Visit.objects.filter(period_start__lte=period_end, period_end__gte=period_start)
    return sorted(set(visits.values_list("project_id", flat=True)))


def sample_of(seed: str, population: list[int], excluded: list[int], size: int) -> list[int]:
    """The sample a seed gives over a population: the same inputs always give the same sample."""
    left_out = set(excluded)
    candidates = [pk for pk in sorted(population) if pk not in left_out]
    return sorted(random.Random(seed).sample(candidates, size))  # noqa: S311  (an audit sample, not a secret)


def sample_size(available: int, *, share_percent: int | None, requested: int | None) -> int:
    if share_percent:
        return max(1, math.ceil(available * share_percent / 100)) if available else 0
    return requested or 0


@transaction.atomic
def draw_create(
    *,
    actor: User,
    request: HttpRequest | None,
    period_start: date,
    period_end: date,
    stage: Stage | None = None,
    unit: Department | None = None,
    share_percent: int | None = None,
    requested: int | None = None,
    note: str = "",
    seed: str | None = None,
) -> Draw:
    """Draw a random sample of the projects served in a period and plan a visit to each."""
    today = timezone.localdate()
    if period_end < period_start:
        raise ValidationError("服务期间的结束日期不能早于开始日期。", code="period")
    if period_end > today:
        raise ValidationError("服务期间不能晚于今天。", code="future")
    if bool(share_percent) == bool(requested):
        raise ValidationError("请填写抽样比例或抽样数量，二者选一。", code="size_kind")
    if share_percent is not None and not 1 <= share_percent <= 100:
        raise ValidationError("抽样比例应在 1% 到 100% 之间。", code="share")
    if requested is not None and not 1 <= requested <= MAX_SAMPLE:
        raise ValidationError(f"抽样数量应在 1 到 {MAX_SAMPLE} 之间。", code="requested")
    population = served_projects(period_start, period_end, stage=stage, unit=unit)
    if not population:
        raise ValidationError("该期间内没有符合条件的服务项目，无法抽样。", code="empty")
    excluded = [pk for pk in already_visited(period_start, period_end) if pk in set(population)]
    available = len(population) - len(excluded)
    if available == 0:
        raise ValidationError(
            f"符合条件的 {len(population)} 个项目本期均已安排回访，没有可抽取的项目。", code="all_visited"
        )
    size = sample_size(available, share_percent=share_percent, requested=requested)
    if size > available:
        raise ValidationError(
            f"抽样数量 {size} 大于可抽取的项目数 {available}（总体 {len(population)} 个，"
            f"其中 {len(excluded)} 个本期已安排回访）。",
            code="too_many",
        )
    seed = seed or secrets.token_hex(8)
    draw = Draw.objects.create(
        period_start=period_start,
        period_end=period_end,
        stage=stage,
        unit=unit,
        share_percent=share_percent,
        requested=requested,
        seed=seed,
        population=population,
        excluded=excluded,
        sample=sample_of(seed, population, excluded, size),
        drawn_by=actor,
        note=note,
    )
    projects = Project.objects.in_bulk(draw.sample)
    for pk in draw.sample:
        visit = Visit.objects.create(draw=draw, project=projects[pk], period_start=period_start, period_end=period_end)
        timeline.record(
            visit.project,
            Kind.VISIT,
            actor,
            f"列入回访抽样（服务期间 {period_start:%Y-%m-%d} 至 {period_end:%Y-%m-%d}）",
            obj=visit,
        )
    audit.record(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=draw,
        detail=f"回访抽样：种子 {seed}，总体 {len(population)}，排除 {len(excluded)}，样本 {size}",
    )
    return draw


def draw_replay(draw: Draw) -> list[int]:
    """Re-run a kept draw: its seed over its population gives its sample again."""
    return sample_of(draw.seed, draw.population, draw.excluded, len(draw.sample))


# ---------------------------------------------------------------------------------------------
# Visits (回访) and the rectification a bad rating opens


def rectification_due(opened_on: date, workdays: int | None = None) -> date:
    workdays = settings.RECTIFICATION_WORKDAYS if workdays is None else workdays
    deadline = add_workdays(opened_on, workdays)
    return deadline.date or opened_on


@transaction.atomic
def visit_record(
    *,
    actor: User,
    request: HttpRequest | None,
    visit_id: int,
    version: int,
    status: str,
    method: str,
    respondent: str,
    respondent_phone: str = "",
    visited_at: datetime,
    overall: str = "",
    efficiency: str = "",
    competence: str = "",
    attitude: str = "",
    comments: str = "",
    problems_found: str = "",
    unit: Department | None = None,
    owner: str = "",
    workdays: int | None = None,
) -> Visit:
    """Record a visit. A 不满意 or 非常不满意 rating on any dimension, or a problem found, opens a
    rectification with the unit concerned and a named owner; the visit lands in the dossier."""
    visit = lock_for_update(Visit, visit_id, version=version)
    if visit.status != Visit.Status.PLANNED:
        raise ValidationError(f"该回访已登记（{visit.status}），不能重复登记。", code="recorded")
    if status not in Visit.Status.values:
        raise ValidationError("请选择回访结果：已回访或无法联系。", code="status")
    status = Visit.Status(status)
    if status == Visit.Status.PLANNED:
        raise ValidationError("请选择回访结果：已回访或无法联系。", code="status")
    if method not in Visit.Method.values:
        raise ValidationError("请选择回访方式。", code="method")
    if visited_at > timezone.now():
        raise ValidationError("回访时间不能晚于现在。", code="future")
    if timezone.localtime(visited_at).date() < visit.period_start:
        raise ValidationError("回访时间不能早于所回访的服务期间。", code="early")
    ratings = {"overall": overall, "efficiency": efficiency, "competence": competence, "attitude": attitude}
    owner = owner.strip()
    problems_found = problems_found.strip()
    if status == Visit.Status.DONE:
        for field, label in DIMENSIONS:
            if ratings[field] not in Rating.values:
                raise ValidationError(f"请为“{label}”选择五级评价之一（非常满意至非常不满意）。", code="rating")
        if not respondent.strip():
            raise ValidationError("请填写受访人。", code="respondent")
    else:
        ratings = dict.fromkeys(ratings, "")
        problems_found = ""
    bad = any(value in BAD_RATINGS for value in ratings.values())
    opens = bad or bool(problems_found)
    if opens and (unit is None or not owner):
        raise ValidationError(
            "评价为不满意、非常不满意或发现问题时，须选择问题涉及单位并填写整改责任人。", code="owner_required"
        )
    before = snapshot(visit, VISIT_FIELDS)
    visit.status = status
    visit.method = method
    visit.respondent = respondent.strip()
    visit.respondent_phone = respondent_phone.strip()
    visit.visited_at = visited_at
    for field, value in ratings.items():
        setattr(visit, field, value)
    visit.comments = comments.strip()
    visit.problems_found = problems_found
    visit.unit = unit
    visit.recorded_by = actor
    visit.version += 1
    visit.save()
    if status == Visit.Status.DONE:
        summary = f"回访（{method}，受访人 {visit.respondent}）：" + "，".join(
            f"{label}{value}" for label, value in visit.ratings
        )
        if problems_found:
            summary += f"；发现问题：{problems_found[:60]}"
    else:
        summary = f"回访未能联系上申请人（{method}）"
    timeline.record(visit.project, Kind.VISIT, actor, summary, occurred_at=visited_at, unit=visit.unit, obj=visit)
    after = snapshot(visit, VISIT_FIELDS)
    after["受访人电话"] = mask_phone(visit.respondent_phone)
    audit.record(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=visit,
                 before={k: v for k, v in before.items() if after.get(k) != v},
                 after={k: v for k, v in after.items() if before.get(k) != v})  # fmt: skip
    if opens:
        reasons = [f"{label}{value}" for label, value in visit.ratings if value in BAD_RATINGS]
        problem = "；".join(
            part
            for part in ("回访评价：" + "，".join(reasons) if reasons else "", problems_found, visit.comments)
            if part
        )
        rectification_open(
            actor=actor,
            request=request,
            source=Rectification.Source.VISIT,
            unit=unit,
            owner=owner,
            problem=problem[:1000],
            project=visit.project,
            visit=visit,
            workdays=workdays,
        )
    return visit


# ---------------------------------------------------------------------------------------------
# What a unit must put right, followed to its close (整改)


def rectification_open(
    *,
    actor: User,
    request: HttpRequest | None,
    source: str,
    unit: Department,
    owner: str,
    problem: str,
    project: Project | None = None,
    visit: Visit | None = None,
    notice: Notice | None = None,
    workdays: int | None = None,
) -> Rectification:
    """Open a rectification in the caller's transaction, due in ``workdays`` working days (15 by default)."""
    if not owner.strip():
        raise ValidationError("请填写整改责任人。", code="owner")
    if not problem.strip():
        raise ValidationError("请写明需要整改的问题。", code="problem")
    if workdays is not None and not 1 <= workdays <= 60:
        raise ValidationError("整改期限应为 1 到 60 个工作日。", code="workdays")
    today = timezone.localdate()
    rectification = Rectification.objects.create(
        source=source,
        visit=visit,
        notice=notice,
        project=project,
        unit=unit,
        owner=owner.strip(),
        problem=problem.strip(),
        opened_on=today,
        due_on=rectification_due(today, workdays),
        created_by=actor,
    )
    if project is not None:
        timeline.record(
            project,
            Kind.RECTIFICATION,
            actor,
            f"下发整改（责任单位 {unit.name}，责任人 {rectification.owner}，期限 {rectification.due_on:%Y-%m-%d}）："
            f"{rectification.problem[:60]}",
            unit=unit,
            obj=rectification,
        )
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=rectification,
                 after=snapshot(rectification, ("source", "unit", "owner", "problem", "opened_on", "due_on")))  # fmt: skip
    return rectification


@transaction.atomic
def rectification_report(
    *,
    actor: User,
    request: HttpRequest | None,
    rectification_id: int,
    version: int,
    measures: str,
    rectified_on: date,
) -> Rectification:
    """The unit reports what it did; the office then calls the applicant back and closes it."""
    rectification = lock_for_update(Rectification, rectification_id, version=version)
    if rectification.status != Rectification.Status.OPEN:
        raise ValidationError(f"该整改{rectification.status}，不能再填报整改情况。", code="not_open")
    if not measures.strip():
        raise ValidationError("请填写整改措施与结果。", code="measures")
    if rectified_on > timezone.localdate():
        raise ValidationError("整改完成日期不能晚于今天。", code="future")
    if rectified_on < rectification.opened_on:
        raise ValidationError("整改完成日期不能早于下发日期。", code="early")
    before = snapshot(rectification, RECTIFICATION_FIELDS)
    rectification.status = Rectification.Status.RECTIFIED
    rectification.measures = measures.strip()
    rectification.rectified_on = rectified_on
    rectification.rectified_by = actor
    rectification.version += 1
    rectification.save()
    _rectification_timeline(rectification, actor, f"整改情况已填报：{rectification.measures[:60]}")
    _audit_changes(actor=actor, request=request, obj=rectification, before=before, fields=RECTIFICATION_FIELDS)
    return rectification


@transaction.atomic
def rectification_return(
    *, actor: User, request: HttpRequest | None, rectification_id: int, version: int, reason: str
) -> Rectification:
    """The office finds the measures insufficient (or the applicant still unhappy): back to the unit,
    which must report again; until then it is 整改中 and, past its deadline, overdue."""
    rectification = lock_for_update(Rectification, rectification_id, version=version)
    if rectification.status != Rectification.Status.RECTIFIED:
        raise ValidationError("只有“待回访核实”的整改可以退回。", code="not_rectified")
    if not reason.strip():
        raise ValidationError("请写明退回原因。", code="reason")
    earlier_on = f"{rectification.rectified_on:%Y-%m-%d}"
    earlier = f"原填报：整改完成日期 {earlier_on}"
    if rectification.rectified_by_id:
        earlier += f"，填报人 {rectification.rectified_by.name}"
    marker = f"\n【退回 {timezone.localdate():%Y-%m-%d}】{reason.strip()}（{earlier}）"
    before = snapshot(rectification, RECTIFICATION_FIELDS)
    # the report sent back no longer stands: not rectified any more, overdue once past the deadline;
    # its text stays above the marker, its date and author in the marker, the history and the dossier
    rectification.status = Rectification.Status.OPEN
    rectification.measures = f"{rectification.measures[: 2000 - len(marker)]}{marker}"[:2000]
    rectification.rectified_on = None
    rectification.rectified_by = None
    rectification.version += 1
    rectification.save()
    _rectification_timeline(rectification, actor, f"整改被退回：{reason.strip()[:60]}")
    audit.record_changes(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=rectification,
                         before={**before, "退回原因": ""},
                         after={**snapshot(rectification, RECTIFICATION_FIELDS), "退回原因": reason.strip()})  # fmt: skip
    return rectification


@transaction.atomic
def rectification_close(
    *,
    actor: User,
    request: HttpRequest | None,
    rectification_id: int,
    version: int,
    callback: str,
    callback_on: date | None,
    callback_rating: str,
    closing_check: str,
) -> Rectification:
    """Close after the callback to the applicant and the office's check; no callback, no closing."""
    rectification = lock_for_update(Rectification, rectification_id, version=version)
    if rectification.status != Rectification.Status.RECTIFIED:
        raise ValidationError("责任单位填报整改情况后才能回访核实、办结。", code="not_rectified")
    if not callback.strip() or callback_on is None:
        raise ValidationError("办结整改前须回访申请人，请填写回访日期和回访情况。", code="callback_required")
    if callback_rating and callback_rating not in Rating.values:
        raise ValidationError("回访评价应为五级评价之一。", code="rating")
    if callback_on > timezone.localdate() or callback_on < rectification.opened_on:
        raise ValidationError("回访日期应在下发日期和今天之间。", code="callback_date")
    if not closing_check.strip():
        raise ValidationError("请填写办结核查意见。", code="check_required")
    if callback_rating in BAD_RATINGS:
        raise ValidationError("申请人回访仍不满意，不能办结；请退回责任单位继续整改。", code="still_unhappy")
    before = snapshot(rectification, RECTIFICATION_FIELDS)
    rectification.status = Rectification.Status.CLOSED
    rectification.callback = callback.strip()
    rectification.callback_on = callback_on
    rectification.callback_rating = callback_rating
    rectification.closing_check = closing_check.strip()
    rectification.closed_on = timezone.localdate()
    rectification.closed_by = actor
    rectification.version += 1
    rectification.save()
    _rectification_timeline(
        rectification, actor, f"整改办结：回访申请人{callback_rating or ''}，{closing_check.strip()[:50]}"
    )
    _audit_changes(actor=actor, request=request, obj=rectification, before=before, fields=RECTIFICATION_FIELDS)
    return rectification


def _rectification_timeline(rectification: Rectification, actor: User, summary: str) -> None:
    if rectification.project_id:
        timeline.record(
            rectification.project, Kind.RECTIFICATION, actor, summary, unit=rectification.unit, obj=rectification
        )


# ---------------------------------------------------------------------------------------------
# The periodic checks of units and the notices about them (定期检查、通报)


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    request: HttpRequest | None,
    inspected_on: date,
    subject: str,
    results: list[tuple[Department, str, str]],
    findings: str,
    result: str,
) -> Inspection:
    """Record an inspection with each inspected unit's own result: (unit, 无问题 or 发现问题, the problem).
    The overall result agrees with them: 合格 only when no unit has a problem, and not 合格 when one has."""
    if inspected_on > timezone.localdate():
        raise ValidationError("检查日期不能晚于今天。", code="future")
    if not results:
        raise ValidationError("请选择至少一个被检查单位，并逐个填写检查结果。", code="units")
    if result not in Inspection.Result.values:
        raise ValidationError("请选择检查结果。", code="result")
    if len({unit.pk for unit, _, _ in results}) != len(results):
        raise ValidationError("同一单位只能登记一个检查结果。", code="unit_twice")
    cleaned = []
    for unit, outcome, problem in results:
        problem = (problem or "").strip()
        if outcome not in InspectionResult.Outcome.values:
            raise ValidationError(f"请为{unit.name}选择检查结果：无问题或发现问题。", code="outcome")
        if outcome == InspectionResult.Outcome.FOUND and not problem:
            raise ValidationError(f"{unit.name}选择了“发现问题”，请写明发现的问题。", code="problem")
        if outcome == InspectionResult.Outcome.CLEAR and problem:
            raise ValidationError(f"{unit.name}选择了“无问题”，不应填写问题；有问题请选择“发现问题”。",
                                  code="clear_with_problem")  # fmt: skip
        cleaned.append((unit, outcome, problem[:1000]))
    found = [unit for unit, outcome, _ in cleaned if outcome == InspectionResult.Outcome.FOUND]
    if found and result == Inspection.Result.PASSED:
        raise ValidationError("有单位发现问题，检查结果不能为“合格”。", code="passed_with_problems")
    if not found and result != Inspection.Result.PASSED:
        raise ValidationError("各被检查单位均无问题，检查结果应为“合格”。", code="criticised_without_problems")
    inspection = Inspection.objects.create(
        inspected_on=inspected_on, subject=subject.strip(), findings=findings.strip(), result=result, recorded_by=actor
    )
    inspection.units.set([unit for unit, _, _ in cleaned])
    InspectionResult.objects.bulk_create(
        InspectionResult(inspection=inspection, unit=unit, outcome=outcome, problem=problem)
        for unit, outcome, problem in cleaned
    )
    audit.record(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=inspection,
        after={
            "检查日期": f"{inspected_on:%Y-%m-%d}",
            "检查事项": inspection.subject,
            "检查结果": inspection.get_result_display(),
            "各单位结果": "；".join(
                f"{unit.name}：{outcome}" + (f"（{problem[:40]}）" if problem else "")
                for unit, outcome, problem in cleaned
            ),
        },
    )
    return inspection


def _check_notice(unit, period_start, period_end, visits, matters, title: str = "") -> None:
    if unit is None:
        raise ValidationError("请选择被通报单位。", code="unit")
    if period_end < period_start:
        raise ValidationError("所涉期间的结束日期不能早于开始日期。", code="period")
    if any(v.unit_id not in (None, unit.pk) for v in visits):
        raise ValidationError("所选回访涉及的是其他单位。", code="visit_unit")
    if any(pm.unit_id != unit.pk for pm in matters):
        raise ValidationError("所选事项不属于被通报单位。", code="matter_unit")
    doubled = documents.doubled_words(title)
    if doubled:
        raise ValidationError(f"标题中“{doubled[0]}”重复了，请修改。", code="title_doubled")


@transaction.atomic
def notice_draft(
    *,
    actor: User,
    request: HttpRequest | None,
    unit: Department | None,
    title: str,
    facts: str,
    requirement: str = "",
    period_start: date,
    period_end: date,
    source: str,
    visits: list[Visit] = (),
    inspection: Inspection | None = None,
    matters: list[ProjectMatter] = (),
    copy_to: str = SUPERVISION_OFFICE,
) -> Notice:
    """Draft a notice about one unit, from a visit, an inspection or overdue matters; circulated to the
    member units with ``copy_to`` (区政府督查室 by default) in 抄送."""
    _check_notice(unit, period_start, period_end, visits, matters, title)
    if inspection is not None:
        own = inspection.results.filter(unit=unit).first()
        if own is None:
            raise ValidationError("被通报单位不在该次检查的被检查单位中。", code="inspection_unit")
        if own.outcome != InspectionResult.Outcome.FOUND:
            raise ValidationError(f"{unit.name}在这次检查中无问题，不能据此通报。", code="inspection_clear")
    notice = Notice.objects.create(
        unit=unit,
        title=title.strip(),
        facts=facts.strip(),
        requirement=requirement.strip(),
        period_start=period_start,
        period_end=period_end,
        source=source,
        inspection=inspection,
        copy_to=documents.copy_to_of(copy_to),
        drafted_by=actor,
    )
    notice.visits.set(visits)
    notice.matters.set(matters)
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=notice,
                 after=snapshot(notice, NOTICE_FIELDS[:-3]))  # fmt: skip
    return notice


@transaction.atomic
def notice_update(
    *,
    actor: User,
    request: HttpRequest | None,
    notice_id: int,
    version: int,
    title: str,
    facts: str,
    requirement: str,
    period_start: date,
    period_end: date,
    visits: list[Visit] = (),
    matters: list[ProjectMatter] = (),
    copy_to: str | None = None,
) -> Notice:
    notice = lock_for_update(Notice, notice_id, version=version)
    if notice.status != Notice.Status.DRAFT:
        raise ValidationError("已印发的通报不能修改。", code="issued")
    _check_notice(notice.unit, period_start, period_end, visits, matters, title)
    before = snapshot(notice, NOTICE_FIELDS)
    notice.title, notice.facts, notice.requirement = title.strip(), facts.strip(), requirement.strip()
    notice.period_start, notice.period_end = period_start, period_end
    if copy_to is not None:
        notice.copy_to = documents.copy_to_of(copy_to)
    notice.version += 1
    notice.save()
    notice.visits.set(visits)
    notice.matters.set(matters)
    _audit_changes(actor=actor, request=request, obj=notice, before=before, fields=NOTICE_FIELDS)
    return notice


@transaction.atomic
def notice_issue(*, actor: User, request: HttpRequest | None, notice_id: int, version: int) -> Notice:
    """Issue a draft: it gets the year's next number (江北工改通〔2026〕3号) and never changes again; the
    member units it is circulated to are kept with it; the dossiers of the projects it concerns record
    it; its PDF is kept as issued once this commits."""
    notice = lock_for_update(Notice, notice_id, version=version)
    if notice.status != Notice.Status.DRAFT:
        raise ValidationError(f"该通报已印发（{notice.number}）。", code="issued")
    before = snapshot(notice, ("status", "issued_at", "issued_by"))
    now = timezone.localtime()
    notice.year = now.year
    notice.serial = Counter.next("notice", now.year)
    notice.status = Notice.Status.ISSUED
    notice.issued_at = now
    notice.issued_by = actor
    notice.recipients = documents.member_units()
    notice.version += 1
    notice.save()
    projects = {v.project for v in notice.visits.select_related("project")}
    projects |= {pm.project for pm in notice.matters.select_related("project")}
    for project in sorted(projects, key=lambda p: p.pk):
        timeline.record(project, Kind.NOTICE, actor, f"{notice.number} 通报{notice.unit.name}：{notice.title}",
                        unit=notice.unit, obj=notice)  # fmt: skip
    audit.record(action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=notice, before=before,
                 after={**snapshot(notice, ("status", "issued_at", "issued_by")), "文号": notice.number,
                        "主送": f"各成员单位（{len(notice.recipients)} 个）", "抄送": notice.copy_to})  # fmt: skip
    documents.keep_after_issue(notice.pk)
    return notice


# ---------------------------------------------------------------------------------------------
# Referring a unit to 区政府督查室 (督查督办): the numbered 督办单, signed for and replied to by the unit


@transaction.atomic
def escalation_create(
    *,
    actor: User,
    request: HttpRequest | None,
    unit: Department | None,
    reason: str,
    referred_on: date,
    referred_to: str = SUPERVISION_OFFICE,
    owner: str,
    visits: list[Visit] = (),
    matters: list[ProjectMatter] = (),
    notices: list[Notice] = (),
    workdays: int | None = None,
) -> Escalation:
    """Refer a unit to 区政府督查室 with the evidence: the 督办单 (移送函) gets the year's next number
    (江北工改督〔2026〕N号, under the counter's row lock: never two alike, never a gap), its PDF is kept
    once this commits, and a rectification follows."""
    if unit is None:
        raise ValidationError("请选择被督办单位。", code="unit")
    if not reason.strip():
        raise ValidationError("请写明督办事由。", code="reason")
    if referred_on > timezone.localdate():
        raise ValidationError("移送日期不能晚于今天。", code="future")
    if not (visits or matters or notices):
        raise ValidationError("请至少附一项证据：回访、事项或通报。", code="evidence")
    if any(n.unit_id != unit.pk or n.status != Notice.Status.ISSUED for n in notices):
        raise ValidationError("作为证据的通报须已印发且针对被督办单位。", code="notice_unit")
    if any(pm.unit_id != unit.pk for pm in matters):
        raise ValidationError("作为证据的事项须属于被督办单位。", code="matter_unit")
    rectification = rectification_open(
        actor=actor,
        request=request,
        source=Rectification.Source.ESCALATION,
        unit=unit,
        owner=owner,
        problem=reason,
        workdays=workdays,
    )
    year = timezone.localdate().year
    escalation = Escalation.objects.create(
        unit=unit,
        reason=reason.strip(),
        referred_on=referred_on,
        referred_to=referred_to.strip() or SUPERVISION_OFFICE,
        rectification=rectification,
        year=year,
        serial=Counter.next("escalation", year),
        created_by=actor,
    )
    escalation.visits.set(visits)
    escalation.matters.set(matters)
    escalation.notices.set(notices)
    projects = {v.project for v in visits} | {pm.project for pm in matters}
    for project in sorted(projects, key=lambda p: p.pk):
        timeline.record(project, Kind.ESCALATION, actor,
                        f"{escalation.number} {unit.name}移送{escalation.referred_to}督查督办：{reason[:60]}",
                        unit=unit, obj=escalation)  # fmt: skip
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=escalation,
                 after={"督办单编号": escalation.number,
                        **snapshot(escalation, ("unit", "reason", "referred_on", "referred_to", "visits", "matters",
                                                "notices"))})  # fmt: skip
    documents.keep_escalation_after_issue(escalation.pk)
    return escalation


def _supervised_unit_only(actor: User, escalation: Escalation) -> None:
    from followups.selectors import unit_of

    if unit_of(actor) != escalation.unit_id:
        raise ValidationError(f"只有{escalation.unit.name}的人员可以签收、回复这份督办单。", code="not_unit")


@transaction.atomic
def escalation_sign(*, actor: User, request: HttpRequest | None, escalation_id: int, version: int) -> Escalation:
    """The supervised unit signs for the 督办单 (签收): who and when, once."""
    escalation = lock_for_update(Escalation, escalation_id, version=version)
    _supervised_unit_only(actor, escalation)
    if escalation.signed_at is not None:
        raise ValidationError(
            f"该督办单已由{escalation.signed_by.name}于{timezone.localtime(escalation.signed_at):%Y-%m-%d %H:%M}签收。",
            code="signed",
        )
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError("该督办已办结，无需签收。", code="closed")
    before = snapshot(escalation, ESCALATION_FIELDS)
    escalation.signed_by = actor
    escalation.signed_at = timezone.now()
    escalation.version += 1
    escalation.save()
    _audit_changes(actor=actor, request=request, obj=escalation, before=before, fields=ESCALATION_FIELDS)
    return escalation


@transaction.atomic
def escalation_reply(
    *, actor: User, request: HttpRequest | None, escalation_id: int, version: int, reply: str
) -> Escalation:
    """The supervised unit replies in the system (办理情况回复), after signing; it may amend its reply
    until 区政府督查室's opinion is recorded."""
    escalation = lock_for_update(Escalation, escalation_id, version=version)
    _supervised_unit_only(actor, escalation)
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError("该督办已办结，不能再回复。", code="closed")
    if escalation.signed_at is None:
        raise ValidationError("请先签收督办单，再回复办理情况。", code="not_signed")
    if escalation.opinion:
        raise ValidationError("区政府督查室已就回复提出意见，回复不能再修改。", code="opinion_given")
    if not reply.strip():
        raise ValidationError("请填写办理情况回复。", code="reply")
    before = snapshot(escalation, ESCALATION_FIELDS)
    escalation.reply = reply.strip()
    escalation.replied_by = actor
    escalation.replied_at = timezone.now()
    escalation.version += 1
    escalation.save()
    _audit_changes(actor=actor, request=request, obj=escalation, before=before, fields=ESCALATION_FIELDS)
    return escalation


@transaction.atomic
def escalation_opinion(
    *, actor: User, request: HttpRequest | None, escalation_id: int, version: int, opinion: str, opinion_on: date
) -> Escalation:
    """The office records 区政府督查室's opinion on the unit's reply, on the 督查室's behalf."""
    escalation = lock_for_update(Escalation, escalation_id, version=version)
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError("该督办已办结，不能再录入意见。", code="closed")
    if escalation.replied_at is None:
        raise ValidationError("被督办单位回复后，才能录入区政府督查室意见。", code="not_replied")
    if not opinion.strip():
        raise ValidationError("请填写区政府督查室意见。", code="opinion")
    if opinion_on > timezone.localdate():
        raise ValidationError("意见日期不能晚于今天。", code="future")
    if opinion_on < escalation.referred_on:
        raise ValidationError("意见日期不能早于移送日期。", code="early")
    before = snapshot(escalation, ESCALATION_FIELDS)
    escalation.opinion = opinion.strip()
    escalation.opinion_on = opinion_on
    escalation.opinion_by = actor
    escalation.version += 1
    escalation.save()
    _audit_changes(actor=actor, request=request, obj=escalation, before=before, fields=ESCALATION_FIELDS)
    return escalation


@transaction.atomic
def escalation_close(
    *, actor: User, request: HttpRequest | None, escalation_id: int, version: int, outcome: str
) -> Escalation:
    """Close a referral once the unit has signed for and replied to the 督办单 and its rectification is
    closed (callback made, checked)."""
    escalation = lock_for_update(Escalation, escalation_id, version=version)
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError("该督办已办结。", code="closed")
    if escalation.replied_at is None:
        raise ValidationError(f"{escalation.unit.name}尚未签收并回复督办单，不能办结督办。", code="not_replied")
    if escalation.rectification.status != Rectification.Status.CLOSED:
        raise ValidationError(
            "督办对应的整改尚未办结（须整改、回访核实后办结），不能结束督办。", code="open_rectification"
        )
    if not outcome.strip():
        raise ValidationError("请填写办结情况。", code="outcome")
    before = snapshot(escalation, ESCALATION_FIELDS)
    escalation.status = Escalation.Status.CLOSED
    escalation.outcome = outcome.strip()
    escalation.closed_on = timezone.localdate()
    escalation.version += 1
    escalation.save()
    _audit_changes(actor=actor, request=request, obj=escalation, before=before, fields=ESCALATION_FIELDS)
    return escalation
