"""The windows hub, hand-offs (首问责任) and reports back to the specialist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.models import ProjectMatter, Stage
from projects.selectors import window_stage_ids
from projects.views.access import get_project
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.roles import Role
from qinqing.validators import int_or_none
from windows import services
from windows.forms import HandoffForm, ReportForm, ReportHandleForm
from windows.models import Handoff
from windows.views.access import get_handoff, get_report


def handoffs_for(user):
    """Office: all; window staff: their stages'; a specialist: their projects'."""
    handoffs = Handoff.objects.select_related("project", "stage", "handed_by", "accepted_by")
    if user.has_role(Role.OFFICE):
        return handoffs
    scope = Q(pk__in=[])
    if window_stage_ids(user):
        scope |= Q(stage_id__in=window_stage_ids(user))
    if user.has_role(Role.SPECIALIST):
        scope |= Q(project__specialist=user)
    return handoffs.filter(scope)


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def index(request):
    status = request.GET.get("status", "")
    status = status if status in Handoff.Status.values else ""
    handoffs = handoffs_for(request.user)
    if status:
        handoffs = handoffs.filter(status=status)
    page = Paginator(handoffs, 50).get_page(request.GET.get("page"))
    my_stages = Stage.objects.filter(pk__in=window_stage_ids(request.user)).select_related("lead_unit")
    return render(
        request,
        "windows/index.html",
        {
            "page": page,
            "status": status,
            "statuses": Handoff.Status.values,
            "today": timezone.localdate(),
            "my_stages": my_stages,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
@idempotent
def handoff_create(request, project_pk: int):
    project = get_project(request, project_pk, change=True)
    # "补充后重新移交" from a returned hand-off names the stage
    initial = {"stage": int_or_none(request.GET.get("stage")) or project.current_stage_id}
    form = HandoffForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            handoff = services.handoff_create(
                actor=request.user, request=request, project_id=project.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已移交{handoff.stage.window_label}，应在 {handoff.accept_by:%Y-%m-%d} 前接收。")
            return redirect("projects:detail", pk=project.pk)
    return render(request, "windows/handoff_form.html", {"form": form, "project": project})


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def handoff_detail(request, pk: int):
    handoff = get_handoff(request, pk)
    user = request.user
    project = handoff.project
    # the stage's matters on the project: what the first-responsible person follows
    today = timezone.localdate()
    matters = list(
        ProjectMatter.objects.filter(project=project, matter__stage=handoff.stage)
        .select_related("matter", "unit")
        .order_by("matter_id", "id")
    )
    for pm in matters:
        pm.warning = pm.warning_on(today)
    later = (
        Handoff.objects.filter(project=project, stage=handoff.stage, handed_at__gt=handoff.handed_at)
        .order_by("handed_at")
        .first()
    )
    return render(
        request,
        "windows/handoff_detail.html",
        {
            "handoff": handoff,
            "project": project,
            "matters": matters,
            "later": later,
            "today": today,
            "can_reveal": user.has_perm("projects.reveal_contact", project),
            "can_hand_off_again": handoff.status == Handoff.Status.RETURNED
            and later is None
            and user.has_perm("projects.change_project", project)
            and not project.is_closed,
            "can_accept": user.has_perm("windows.accept_handoff", handoff) and handoff.status == Handoff.Status.WAITING,
            "can_return": user.has_perm("windows.return_handoff", handoff) and handoff.status == Handoff.Status.WAITING,
            "can_report": user.has_perm("windows.report_handoff", handoff)
            and handoff.status == Handoff.Status.ACCEPTED,
            "can_cancel": user.has_perm("windows.cancel_handoff", handoff) and handoff.status == Handoff.Status.WAITING,
            "reports": handoff.reports.select_related("created_by", "handled_by"),
            "report_form": ReportForm(),
        },
    )


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
def handoff_accept(request, pk: int):
    handoff = get_handoff(request, pk, perm="windows.accept_handoff")
    try:
        services.handoff_accept(
            actor=request.user, request=request, handoff_id=handoff.pk, version=int(request.POST.get("version", -1))
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, "；".join(getattr(error, "messages", ["请刷新页面后重试。"])))
    else:
        messages.success(request, f"已接收移交，您是“{handoff.project.name}”{handoff.stage.name}的首问负责人。")
    return redirect("windows:handoff_detail", pk=handoff.pk)


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
def handoff_cancel(request, pk: int):
    handoff = get_handoff(request, pk, perm="windows.cancel_handoff")
    try:
        services.handoff_cancel(
            actor=request.user,
            request=request,
            handoff_id=handoff.pk,
            version=int(request.POST.get("version", -1)),
            reason=request.POST.get("reason", "")[:300],
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, "；".join(getattr(error, "messages", ["请刷新页面后重试。"])))
    else:
        messages.success(request, "已撤回移交。")
    return redirect("windows:handoff_detail", pk=handoff.pk)


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
def handoff_return(request, pk: int):
    """The window sends a waiting hand-off back to the specialist, with the reason."""
    handoff = get_handoff(request, pk, perm="windows.return_handoff")
    try:
        services.handoff_return(
            actor=request.user,
            request=request,
            handoff_id=handoff.pk,
            version=int(request.POST.get("version", -1)),
            reason=request.POST.get("reason", "")[:300],
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, "；".join(getattr(error, "messages", ["请刷新页面后重试。"])))
    else:
        messages.success(request, "已退回移交，帮办专员将在待办中看到退回原因。")
    return redirect("windows:handoff_detail", pk=handoff.pk)


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
@idempotent
def report_create(request, pk: int):
    handoff = get_handoff(request, pk, perm="windows.report_handoff")
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.report_create(actor=request.user, request=request, handoff_id=handoff.pk, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "已向帮办专员反馈。")
            return redirect("windows:handoff_detail", pk=handoff.pk)
    else:
        messages.error(request, "反馈未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("windows:handoff_detail", pk=handoff.pk)


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
def report_handle(request, pk: int):
    report = get_report(request, pk)
    initial = {"pass_on": "1", "method": "电话", "content": report.content}
    form = ReportHandleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_handle(actor=request.user, request=request, report_id=report.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "已转告申请人并记入档案。" if form.cleaned_data["pass_on"] else "已标记为已知悉。"
            )
            return redirect("projects:detail", pk=report.project_id)
    return render(request, "windows/report_handle.html", {"form": form, "report": report})
