"""Notices (通报) and periodic inspections (定期检查) of the reform office.

A notice names one unit and what was found, from a return visit, an inspection or the unit's overdue
matters; the office drafts it (prefilled from where it came from), corrects it, and issues it: the
year's next number, never changed again, a formal PDF, and a line in the dossier of every project it
concerns. A unit's staff see the issued notices about their unit; drafts stay in the office."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.encoding import escape_uri_path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import documents, selectors, services
from followups.forms.notices import InspectionForm, NoticeEditForm, NoticeFilterForm, NoticeForm, NoticeIssueForm
from followups.forms.notices import inspected_units as units_to_notify
from followups.models import COPY_TO, DIMENSIONS, Inspection, InspectionResult, Notice, Rectification, Visit
from projects.models import Project, ProjectMatter
from qinqing import audit
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.models import AuditEntry, Department
from qinqing.validators import int_or_none

# the most matters a drafted list of overdue matters spells out (the facts hold 5,000 characters)
MAX_LISTED_MATTERS = 30
logger = logging.getLogger(__name__)
_cn = documents.cn_date
_period = documents.cn_period


# --- access -----------------------------------------------------------------------------------


def get_notice(request, pk: int) -> Notice:
    """The notice, or 404 for one the user may not see (another unit's, or a draft for a unit's staff)."""
    return get_object_or_404(selectors.notices_for(request.user), pk=pk)


def get_inspection(request, pk: int) -> Inspection:
    return get_object_or_404(selectors.inspections_for(request.user), pk=pk)


# --- what a draft starts from -----------------------------------------------------------------


def _visit_facts(visits: list[Visit], unit: Department | None = None) -> str:
    """One visit in prose; several in a summary, their details in the attached 回访情况表."""
    if len(visits) == 1:
        visit = visits[0]
        when = _cn(timezone.localtime(visit.visited_at).date()) if visit.visited_at else ""
        ratings = "，".join(f"{label}“{getattr(visit, field) or '—'}”" for field, label in DIMENSIONS)
        lines = [
            f"{when}，区工改办以{visit.method or '电话'}方式回访“{visit.project.name}”项目建设单位，"
            f"了解其{_period(visit.period_start, visit.period_end)}期间办理审批事项的情况。受访人评价：{ratings}。"
        ]
        if visit.problems_found:
            lines.append(f"回访发现的问题：{visit.problems_found}")
        if visit.comments:
            lines.append(f"申请人意见建议：{visit.comments}")
        return "\n".join(lines)
    if not visits:
        return ""
    bad = sum(1 for v in visits if v.is_bad)
    found = sum(1 for v in visits if v.problems_found)
    who = unit.name if unit is not None else "有关单位"
    parts = [f"区工改办回访了涉及{who}的{len(visits)}个项目"]
    if bad:
        parts.append(f"其中{bad}个项目的建设单位评价为不满意或非常不满意")
    if found:
        parts.append(f"{found}个项目发现问题")
    return "，".join(parts) + "。各项目的回访评价和发现的问题见附件回访情况表。"


def _inspection_facts(inspection: Inspection, unit: Department | None) -> str:
    """What the inspection found at ``unit``: its own problem only (never the other units' findings,
    nor an overall result that does not concern it)."""
    own = inspection.results.filter(unit=unit).first() if unit is not None else None
    head = f"{_cn(inspection.inspected_on)}，区工改办开展“{inspection.subject}”定期检查，"
    if own is None or own.outcome != InspectionResult.Outcome.FOUND:
        return head + "检查情况如下：\n" + inspection.findings
    problems = [part.strip() for part in re.split(r"[；;\n]+", own.problem) if part.strip()]
    return (
        head
        + f"发现{unit.name}存在以下问题：\n"
        + "\n".join(f"{n}．{problem}" if len(problems) > 1 else problem for n, problem in enumerate(problems, 1))
    )


def _overdue_facts(start: date, end: date, matters: list[ProjectMatter], unit: Department | None = None) -> str:
    """A summary of the overdue matters; the list itself goes into the attached 逾期事项清单."""
    if not matters:
        return ""
    who = unit.name if unit is not None else "该单位"
    open_count = sum(1 for pm in matters if pm.status != ProjectMatter.Status.DONE or not pm.finished_on)
    done_late = len(matters) - open_count
    parts = []
    if done_late:
        parts.append(f"{done_late}个超期办结")
    if open_count:
        parts.append(f"{open_count}个至今未办结")
    return (
        f"经查，{_period(start, end)}期间，{who}承办的{len(matters)}个审批事项未在承诺时限内办结"
        f"（{'、'.join(parts)}），逐项情况见附件逾期事项清单。"
    )


def _title(source: str, unit: Department | None, inspection: Inspection | None = None) -> str:
    """The drafted title; never a word twice ("专项检查检查情况", "通报的通报")."""
    if unit is None:
        return ""
    title = ""
    if source == Notice.Source.VISIT:
        title = f"关于{unit.name}在审批服务回访中发现问题的通报"
    elif source == Notice.Source.INSPECTION:
        if inspection is not None:
            subject = re.sub(r"(的通报|通报|结果)+$", "", inspection.subject.strip())
            if subject.endswith("检查情况"):
                subject = subject[: -len("情况")]
            if not subject.endswith("检查"):
                subject += "检查"
            title = f"关于{unit.name}在{subject}中发现问题的通报"
        if not 0 < len(title) <= 100:
            title = f"关于{unit.name}定期检查发现问题的通报"
    elif source == Notice.Source.OVERDUE:
        title = f"关于{unit.name}审批事项逾期办理情况的通报"
    return documents.undouble(title)


def _requirement(unit: Department | None = None) -> str:
    who = unit.name if unit is not None else "被通报单位"
    return (
        f"请{who}高度重视，认真查找原因，自收到本通报之日起{settings.RECTIFICATION_WORKDAYS}个工作日内完成整改，"
        "并将整改情况书面报送区工改办。\n各成员单位要引以为戒，举一反三，切实提升审批服务质量。"
    )


def _date_param(request, name: str) -> date | None:
    try:
        return parse_date(request.GET.get(name, "").strip())
    except ValueError:
        return None


def _default_period(request) -> tuple[date, date]:
    """The period asked for; what is not asked for runs from the first day of last month to today."""
    today = timezone.localdate()
    default_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = _date_param(request, "start") if request.GET.get("start", "").strip() else default_start
    end = _date_param(request, "end") if request.GET.get("end", "").strip() else today
    if start is None or end is None or end < start:
        messages.warning(request, "所填期间无效，已改用上月初至今天。")
        start, end = default_start, today
    return start, end


def _prefill(request) -> tuple[dict, dict]:
    """The initial draft from the query: ``?visit=``, ``?inspection=&unit=``, or ``?unit=&source=``
    (with ``start`` and ``end``); and what the page says it was drafted from."""
    user = request.user
    unit_id = int_or_none(request.GET.get("unit"))
    unit = get_object_or_404(units_to_notify(), pk=unit_id) if unit_id is not None else None
    source = request.GET.get("source", "")
    source = source if source in Notice.Source.values else ""
    visit_id = int_or_none(request.GET.get("visit"))
    inspection_id = int_or_none(request.GET.get("inspection"))
    visits: list[Visit] = []
    matters: list[ProjectMatter] = []
    inspection = None
    facts = ""
    basis = ""
    if visit_id is not None:
        visit = get_object_or_404(selectors.visits_for(user).filter(status=Visit.Status.DONE), pk=visit_id)
        unit = visit.unit or unit
        source, visits = Notice.Source.VISIT, [visit]
        start, end = visit.period_start, visit.period_end
        facts = _visit_facts(visits, unit)
        basis = f"回访：{visit.project.name}（{timezone.localtime(visit.visited_at):%Y-%m-%d}）"
    elif inspection_id is not None:
        inspection = get_object_or_404(selectors.inspections_for(user), pk=inspection_id)
        results = list(inspection.results.select_related("unit"))
        found = [r.unit for r in results if r.outcome == InspectionResult.Outcome.FOUND]
        if unit is None and len(found) == 1:
            unit = found[0]
        if unit is not None and unit not in [r.unit for r in results]:
            raise Http404("该单位不在这次检查的被检查单位中。")
        if unit is not None and unit not in found:
            raise Http404("该单位在这次检查中无问题，不能据此通报。")
        source = Notice.Source.INSPECTION
        start, end = inspection.inspected_on.replace(day=1), inspection.inspected_on
        facts = _inspection_facts(inspection, unit)
        basis = f"定期检查：{inspection}"
    else:
        start, end = _default_period(request)
        if unit is not None and source == Notice.Source.OVERDUE:
            matters = list(selectors.overdue_matters_of(unit, start, end))
            facts = _overdue_facts(start, end, matters, unit)
            basis = f"逾期事项：{unit.name}，{_period(start, end)}，{len(matters)} 个"
            if not matters:
                messages.info(request, f"{unit.name}在{_period(start, end)}期间没有逾期事项。")
        elif unit is not None and source == Notice.Source.VISIT:
            visits = list(
                Visit.objects.filter(
                    status=Visit.Status.DONE, unit=unit, visited_at__date__range=(start, end)
                ).select_related("project")
            )
            facts = _visit_facts(visits, unit)
            basis = f"回访：{unit.name}，{_period(start, end)}，{len(visits)} 次"
        elif unit is not None and source == Notice.Source.INSPECTION:
            inspection = (
                Inspection.objects.filter(
                    results__unit=unit,
                    results__outcome=InspectionResult.Outcome.FOUND,
                    inspected_on__range=(start, end),
                )
                .order_by("-inspected_on", "-id")
                .first()
            )
            facts = _inspection_facts(inspection, unit) if inspection else ""
            basis = f"定期检查：{inspection}" if inspection else ""
    initial = {
        "unit": unit,
        "source": source or Notice.Source.OTHER,
        "title": _title(source, unit, inspection),
        "period_start": start,
        "period_end": end,
        "facts": facts,
        "copy_to": COPY_TO,
        "requirement": _requirement(unit) if source and source != Notice.Source.OTHER else "",
        "visits": [v.pk for v in visits],
        "matters": [pm.pk for pm in matters],
        "inspection": inspection.pk if inspection else None,
    }
    chooser = {"unit": unit, "source": source, "start": start, "end": end, "basis": basis}
    return initial, chooser


def _offer(unit: Department | None) -> dict:
    """What the pickers list for a unit: its visits that found something and its matters that were ever
    late (open past their due date, or finished after it)."""
    if unit is None:
        return {"visits": Visit.objects.none(), "matters": ProjectMatter.objects.none()}
    today = timezone.localdate()
    late = Q(status__in=ProjectMatter.OPEN_STATUSES, due_on__lt=today) | Q(
        status=ProjectMatter.Status.DONE, finished_on__gt=F("due_on")
    )
    return {
        "visits": Visit.objects.filter(status=Visit.Status.DONE, unit=unit),
        "matters": ProjectMatter.objects.filter(unit=unit, due_on__isnull=False).filter(late),
    }


def _posted_unit(request) -> Department | None:
    unit_id = int_or_none(request.POST.get("unit"))
    return units_to_notify().filter(pk=unit_id).first() if unit_id is not None else None


# --- notices ----------------------------------------------------------------------------------


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def notice_list(request):
    user = request.user
    notices = selectors.notices_for(user).order_by(F("issued_at").desc(nulls_first=True), "-drafted_at", "-id")
    can_manage = user.has_perm("qinqing.manage_followups")
    form = None
    if can_manage:
        form = NoticeFilterForm(
            request.GET or None, units=Department.objects.filter(pk__in=Notice.objects.values("unit")).order_by("name")
        )
        if form.is_bound and form.is_valid():
            if form.cleaned_data["status"]:
                notices = notices.filter(status=form.cleaned_data["status"])
            if form.cleaned_data["unit"]:
                notices = notices.filter(unit=form.cleaned_data["unit"])
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "followups/notice_list.html", {"page": page, "form": form, "can_manage": can_manage})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
@idempotent
def notice_create(request):
    if request.method == "POST":
        form = NoticeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.notice_draft(
                    actor=request.user,
                    request=request,
                    unit=data["unit"],
                    title=data["title"],
                    facts=data["facts"],
                    requirement=data["requirement"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    source=data["source"],
                    visits=list(data["visits"]),
                    inspection=data["inspection"],
                    matters=list(data["matters"]),
                    copy_to=data["copy_to"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "已保存通报草稿。请核对内容后印发，印发时自动编号。")
                return redirect("followups:notice_detail", pk=notice.pk)
        unit = _posted_unit(request)
        chooser = {"unit": unit, "source": request.POST.get("source", ""), "start": None, "end": None, "basis": ""}
    else:
        initial, chooser = _prefill(request)
        form = NoticeForm(initial=initial)
        unit = initial["unit"]
    inspections = (
        Inspection.objects.filter(results__unit=unit, results__outcome=InspectionResult.Outcome.FOUND)
        if unit
        else Inspection.objects.none()
    )
    form.offer(**_offer(unit), inspections=inspections)
    return render(
        request,
        "followups/notice_form.html",
        {
            "form": form,
            "chooser": chooser,
            "units": units_to_notify(),
            "sources": Notice.Source.values,
            "unit": unit,
        },
    )


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def notice_detail(request, pk: int):
    user = request.user
    notice = get_notice(request, pk)
    can_manage = user.has_perm("qinqing.manage_followups")
    context = documents.context_of(notice)
    context.update(
        can_manage=can_manage,
        visits=notice.visits.select_related("project"),
        matters=notice.matters.select_related("project", "matter"),
        rectifications=selectors.rectifications_for(user).filter(notice=notice),
        escalations=selectors.escalations_for(user).filter(notices=notice),
        issue_form=NoticeIssueForm(initial={"version": notice.version}) if can_manage else None,
        today=timezone.localdate(),
    )
    return render(request, "followups/notice_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
def notice_edit(request, pk: int):
    notice = get_notice(request, pk)
    if notice.status != Notice.Status.DRAFT:
        messages.error(request, f"该通报已印发（{notice.number}），不能修改。")
        return redirect("followups:notice_detail", pk=notice.pk)
    initial = {
        "title": notice.title,
        "facts": notice.facts,
        "requirement": notice.requirement,
        "period_start": notice.period_start,
        "period_end": notice.period_end,
        "visits": list(notice.visits.values_list("pk", flat=True)),
        "matters": list(notice.matters.values_list("pk", flat=True)),
        "copy_to": notice.copy_to,
        "version": notice.version,
    }
    form = NoticeEditForm(request.POST if request.method == "POST" else None, initial=initial, source=notice.source)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.notice_update(
                actor=request.user,
                request=request,
                notice_id=notice.pk,
                version=data["version"],
                title=data["title"],
                facts=data["facts"],
                requirement=data["requirement"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                visits=list(data["visits"]),
                matters=list(data["matters"]),
                copy_to=data["copy_to"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "已保存通报草稿。")
            return redirect("followups:notice_detail", pk=notice.pk)
    form.offer(**_offer(notice.unit))
    return render(request, "followups/notice_form.html", {"form": form, "notice": notice, "unit": notice.unit})


def _projects_of(notice: Notice) -> set[int]:
    return set(notice.visits.values_list("project_id", flat=True)) | set(
        notice.matters.values_list("project_id", flat=True)
    )


@require_POST
@permission_required("qinqing.manage_followups", raise_exception=True)
def notice_issue(request, pk: int):
    """Issue a draft (it gets its number); with an owner named, open the unit's rectification with it."""
    notice = get_notice(request, pk)
    form = NoticeIssueForm(request.POST)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        if "version" in form.errors:
            errors = ["页面已过期，请刷新后再印发。"]
        messages.error(request, "未印发：" + "；".join(errors))
        return redirect("followups:notice_detail", pk=notice.pk)
    owner = form.cleaned_data["owner"].strip()
    rectification = None
    try:
        with transaction.atomic():
            notice = services.notice_issue(
                actor=request.user, request=request, notice_id=notice.pk, version=form.cleaned_data["version"]
            )
            if owner:
                projects = _projects_of(notice)
                rectification = services.rectification_open(
                    actor=request.user,
                    request=request,
                    source=Rectification.Source.NOTICE,
                    unit=notice.unit,
                    owner=owner,
                    problem=f"{notice.number}《{notice.title}》：{notice.requirement or notice.facts}"[:1000],
                    project=Project.objects.get(pk=projects.pop()) if len(projects) == 1 else None,
                    notice=notice,
                    workdays=form.cleaned_data["workdays"],
                )
    except ValidationError as error:
        messages.error(request, "未印发：" + "；".join(error.messages))
    else:
        text = f"已印发通报，文号 {notice.number}。"
        if rectification is not None:
            text += f"已向{notice.unit.name}下发整改，期限 {rectification.due_on:%Y-%m-%d}。"
        messages.success(request, text)
    return redirect("followups:notice_detail", pk=notice.pk)


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def notice_pdf(request, pk: int):
    """The issued notice's PDF as it was issued (kept at issue, or at this first download); each
    download is audited. A kept file that is gone or altered is refused, not drawn again."""
    notice = get_notice(request, pk)
    if notice.status != Notice.Status.ISSUED:
        messages.error(request, "草稿尚未印发，没有正式文件；印发后可下载 PDF。")
        return redirect("followups:notice_detail", pk=notice.pk)
    document = documents.keep(notice.pk)
    try:
        content = documents.read(document)
    except documents.KeptFileError as error:
        logger.error("notice %s: kept PDF %s", notice.pk, error)
        audit.record(action=AuditEntry.Action.EXPORT, request=request, obj=notice, result=AuditEntry.Result.FAILURE,
                     detail=f"通报正式文件{'缺失' if error.missing else '校验不符'}：{document.filename}")  # fmt: skip
        return HttpResponse(
            "该通报的正式文件缺失或已被改动（校验不符），不能下载。请联系系统管理员从备份中恢复。",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    audit.record(action=AuditEntry.Action.EXPORT, request=request, obj=notice,
                 detail=f"下载通报正式文件：{document.filename}（印发存档，SHA-256 {document.sha256[:16]}…）")  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(document.filename)}"
    return response


# --- inspections ------------------------------------------------------------------------------


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def inspection_list(request):
    user = request.user
    visible = (
        None
        if selectors.is_office(user)
        else Q(notices__unit_id=selectors.unit_of(user), notices__status=Notice.Status.ISSUED)
    )
    rows = selectors.inspections_for(user).annotate(notice_count=Count("notices", filter=visible, distinct=True))
    page = Paginator(rows.order_by("-inspected_on", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "followups/inspection_list.html",
        {"page": page, "can_manage": user.has_perm("qinqing.manage_followups")},
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
@idempotent
def inspection_create(request):
    form = InspectionForm(
        request.POST if request.method == "POST" else None, initial={"inspected_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_record(
                actor=request.user,
                request=request,
                inspected_on=data["inspected_on"],
                subject=data["subject"],
                results=form.results(),
                findings=data["findings"],
                result=data["result"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "已登记定期检查。发现问题的单位可在下方起草通报。")
            return redirect("followups:inspection_detail", pk=inspection.pk)
    return render(request, "followups/inspection_form.html", {"form": form, "unit_rows": form.unit_rows()})


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def inspection_detail(request, pk: int):
    user = request.user
    inspection = get_inspection(request, pk)
    notices = list(selectors.notices_for(user).filter(inspection=inspection))
    results = inspection.results.select_related("unit")
    if not selectors.is_office(user):
        # a unit's staff see their own unit's result, not the others'
        results = results.filter(unit_id=selectors.unit_of(user))
    rows = [(result, [n for n in notices if n.unit_id == result.unit_id]) for result in results]
    return render(
        request,
        "followups/inspection_detail.html",
        {
            "inspection": inspection,
            "rows": rows,
            "notices": notices,
            "can_manage": user.has_perm("qinqing.manage_followups"),
        },
    )
