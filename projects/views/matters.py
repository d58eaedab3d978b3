"""Project matters: putting catalogue matters on a project, moving them through their statuses,
a unit's working list, and feedback to the applicant."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects import selectors, services
from projects.forms import AddMattersForm, FeedbackForm, MatterMoveForm
from projects.models import ProjectMatter, Stage
from projects.views.access import get_project, get_project_matter
from projects.views.letters import carried_consultation
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.validators import int_or_none


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
@idempotent
def matters_add(request, pk: int):
    project = get_project(request, pk, change=True)
    existing = set(project.matters.exclude(status__in=ProjectMatter.FINAL_STATUSES).values_list("matter_id", flat=True))
    # the matters the applicant asked about at the counter, not yet on the project, come preselected
    consultation = carried_consultation(project, request.GET.get("consultation"))
    carried = sorted({m.pk for m in consultation.matters.all()} - existing) if consultation else []
    form = AddMattersForm(request.POST if request.method == "POST" else None, initial={"matters": carried})
    if request.method == "POST" and form.is_valid():
        try:
            added, skipped = services.project_matters_add(
                actor=request.user, request=request, project_id=project.pk, matters=form.chosen()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if added:
                messages.success(request, f"已添加 {len(added)} 个事项。")
            if skipped:
                messages.info(request, "以下事项已在办理中或已停用，未重复添加：" + "、".join(m.name for m in skipped))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/matters_add.html",
        {"form": form, "project": project, "existing": existing, "consultation": consultation if carried else None},
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
def matter_move(request, pk: int):
    pm = get_project_matter(request, pk, change=True)
    moves = services.allowed_moves(pm.status)
    initial = {"on": timezone.localdate(), "version": pm.version, "mode": pm.mode}
    if request.method == "GET" and request.GET.get("to") in moves:
        initial["to_status"] = request.GET["to"]
    form = MatterMoveForm(request.POST if request.method == "POST" else None, initial=initial, moves=moves)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.matter_move(
                actor=request.user,
                request=request,
                project_matter_id=pm.pk,
                version=form.cleaned_data["version"],
                to_status=form.cleaned_data["to_status"],
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                mode=form.cleaned_data["mode"] or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"“{moved.matter.name}”已{services.ACTION_LABELS[moved.status]}。"
            if moved.due_on:
                text += f"到期日：{moved.due_on:%Y-%m-%d}"
                if moved.due_provisional:
                    text += "（该年度节假日安排尚未录入，暂按周一至周五计算，录入后自动重算）"
                text += "。"
            messages.success(request, text)
            return redirect("projects:detail", pk=moved.project_id)
    history = pm.project.timeline.filter(project_matter=pm).select_related("actor")
    return render(
        request,
        "projects/matter_move.html",
        {"form": form, "pm": pm, "project": pm.project, "moves": moves, "history": history},
    )


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def unit_matters(request):
    today = timezone.localdate()
    warning = request.GET.get("warning", "")
    warning = warning if warning in ProjectMatter.Warning.values else ""
    status = request.GET.get("status", "")
    status = status if status in ProjectMatter.Status.values else ""
    stage = int_or_none(request.GET.get("stage"))
    matters = selectors.unit_matters(request.user, warning=warning, status=status, stage=stage, today=today)
    page = Paginator(matters, 50).get_page(request.GET.get("page"))
    for pm in page:
        pm.can_change = request.user.has_perm("projects.change_projectmatter", pm)
    return render(
        request,
        "projects/unit_matters.html",
        {
            "page": page,
            "warning": warning,
            "status": status,
            "warnings": ProjectMatter.Warning.values,
            "warning_workdays": settings.WARNING_WORKDAYS,
            "stage": stage,
            "stages": Stage.objects.all(),
            "statuses": ProjectMatter.Status.values,
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
@idempotent
def feedback_create(request, pk: int):
    project = get_project(request, pk, change=True)
    initial = {"told_at": timezone.localtime().replace(second=0, microsecond=0), "method": "电话"}
    form = FeedbackForm(request.POST if request.method == "POST" else None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_record(actor=request.user, request=request, project_id=project.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "已记录反馈。")
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/feedback_form.html", {"form": form, "project": project})
