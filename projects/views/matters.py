"""Project matters: putting catalogue matters on a project, moving them through their statuses,
a unit's working list, and feedback to the applicant."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import conditions, selectors, services
from projects.forms import (
    AddMattersForm,
    CommitmentCheckForm,
    CommitmentCloseForm,
    FeedbackForm,
    MatterMoveForm,
    MissingSupplyForm,
    SpecialProcedureForm,
)
from projects.models import Commitment, MatterPause, MissingMaterial, ProjectMatter, Stage
from projects.views.access import get_project, get_project_matter
from projects.views.letters import carried_consultation
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.validators import int_or_none
from qinqing.workdays import PROVISIONAL_TITLE


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
    form = MatterMoveForm(
        request.POST if request.method == "POST" else None, initial=initial, moves=moves, project_matter=pm
    )
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
                mode=form.cleaned_data.get("mode") or None,
                **form.terms(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"“{moved.matter.name}”已{moved.status_label if moved.result else services.ACTION_LABELS[moved.status]}。"
            if moved.due_on:
                text += f"到期日：{moved.due_on:%Y-%m-%d}"
                if moved.due_provisional:
                    text += f"（{PROVISIONAL_TITLE}，该年日历录入后自动重算）"
                text += "。"
            messages.success(request, text)
            return redirect("projects:detail", pk=moved.project_id)
    history = pm.project.timeline.filter(project_matter=pm).select_related("actor")
    today = timezone.localdate()
    missing = list(pm.missing_materials.all())
    for item in missing:
        item.state_text = item.state(today)
    commitment = Commitment.objects.filter(project_matter=pm).prefetch_related("materials").first()
    return render(
        request,
        "projects/matter_move.html",
        {
            "form": form,
            "pm": pm,
            "project": pm.project,
            "moves": moves,
            "history": history,
            "missing": missing,
            "commitment": commitment,
            "commitment_overdue": commitment is not None and commitment.overdue(today),
            "revocable": conditions.revocable(pm),
            "today": today,
            "special": pm.pauses.filter(kind=MatterPause.Kind.SPECIAL).order_by("paused_on", "id"),
            "special_open": pm.status in (ProjectMatter.Status.ACCEPTED, ProjectMatter.Status.REVIEWING),
        },
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


# ---------------------------------------------------------------------------------------------
# 容缺材料 and 告知承诺: recorded on the matter's page (matter_move), each form posting here


def _condition_action(request, model, pk: int, form_class, action, failed: str, done):
    """One small form of the matter's page: checked, passed to ``action`` (a ``projects.conditions``
    service), its result or refusal told as a message, and back to the matter's page."""
    item = get_object_or_404(model, pk=pk)
    pm = get_project_matter(request, item.project_matter_id, change=True)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"{failed}：{form.error_text()}")
    else:
        try:
            result = action(actor=request.user, request=request, pk=item.pk, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, f"{failed}：" + "；".join(error.messages))
        else:
            messages.success(request, done(result))
    return redirect("projects:matter_move", pk=pm.pk)


@require_POST
@permission_required("qinqing.view_projects", raise_exception=True)
def missing_supply(request, pk: int):
    return _condition_action(
        request,
        MissingMaterial,
        pk,
        MissingSupplyForm,
        lambda pk, **kw: conditions.missing_supply(item_id=pk, **kw),
        "未能登记补齐",
        lambda item: f"已登记“{item.name}”补齐。",
    )


@require_POST
@permission_required("qinqing.view_projects", raise_exception=True)
def special_procedure(request, pk: int):
    """A 特别程序 starts or ends (the clock stops in between); which one follows from the matter's state."""
    pm = get_project_matter(request, pk, change=True)
    start = not pm.pauses.filter(kind=MatterPause.Kind.SPECIAL, resumed_on__isnull=True).exists()
    form = SpecialProcedureForm(request.POST)
    label = "进入特别程序" if start else "结束特别程序"
    if not form.is_valid():
        messages.error(request, f"未能{label}：{form.error_text()}")
    else:
        try:
            moved = services.special_procedure(
                actor=request.user, request=request, project_matter_id=pm.pk, start=start, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, f"未能{label}：" + "；".join(error.messages))
        else:
            text = f"已{label}（{form.cleaned_data['on']:%Y-%m-%d}）。"
            if moved.due_on:
                text += f"到期日：{moved.due_on:%Y-%m-%d}。"
            messages.success(request, text)
    return redirect("projects:matter_move", pk=pm.pk)


@require_POST
@permission_required("qinqing.view_projects", raise_exception=True)
def commitment_check(request, pk: int):
    return _condition_action(
        request,
        Commitment,
        pk,
        CommitmentCheckForm,
        lambda pk, **kw: conditions.commitment_check(commitment_id=pk, **kw),
        "未能登记核查结果",
        lambda item: f"已登记告知承诺核查：{item.get_status_display()}。",
    )


@require_POST
@permission_required("qinqing.view_projects", raise_exception=True)
def commitment_close(request, pk: int):
    return _condition_action(
        request,
        Commitment,
        pk,
        CommitmentCloseForm,
        lambda pk, **kw: conditions.commitment_close(commitment_id=pk, **kw),
        "未能登记处理结果",
        lambda item: f"已登记：{item.get_status_display()}。",
    )
