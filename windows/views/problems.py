"""Problems (难点/堵点): raised on a project or one of its matters, coordinated to an end."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects.selectors import project_matters_for, window_stage_ids
from projects.views.access import get_project
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.roles import Role
from qinqing.validators import int_or_none
from qinqing.workdays import WorkCalendar
from windows import services
from windows.forms import ProblemForm, ProblemUpdateForm
from windows.models import Problem
from windows.views.access import get_problem


def problems_for(user):
    problems = Problem.objects.select_related("project", "stage", "owner_unit", "raised_by")
    if user.has_role(Role.OFFICE):
        return problems
    scope = Q(pk__in=[])
    if window_stage_ids(user):
        scope |= Q(stage_id__in=window_stage_ids(user))
    if user.has_role(Role.DEPARTMENT) and user.department_id:
        scope |= Q(owner_unit_id=user.department_id)
    if user.has_role(Role.SPECIALIST):
        scope |= Q(project__specialist=user)
    return problems.filter(scope | Q(raised_by=user))


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def problem_list(request):
    status = request.GET.get("status", "open")
    problems = problems_for(request.user)
    if status == "open":
        problems = problems.filter(status__in=Problem.OPEN_STATUSES)
    elif status in Problem.Status.values:
        problems = problems.filter(status=status)
    page = Paginator(problems, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "windows/problem_list.html",
        {"page": page, "status": status, "statuses": Problem.Status.values, "today": timezone.localdate()},
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_windows", raise_exception=True)
@idempotent
def problem_create(request, project_pk: int):
    """Anyone who sees the project may raise a problem on it or on a matter they see."""
    project = get_project(request, project_pk)
    matters = project_matters_for(request.user, project).select_related("matter", "unit")
    # a week of working days to coordinate, unless the raiser says otherwise
    due = WorkCalendar().add_workdays(timezone.localdate(), 5).date
    # the stage defaults to the window the user works at (if the project has matters there), else the
    # project's current stage; a chosen matter decides both the stage and the owner unit
    mine = [s for s in window_stage_ids(request.user) if matters.filter(matter__stage_id=s).exists()]
    initial = {"due_on": due, "stage": mine[0] if mine else project.current_stage_id}
    matter_id = int_or_none(request.GET.get("matter"))
    if matter_id is not None:
        chosen = matters.filter(pk=matter_id).first()
        if chosen is not None:
            initial.update(project_matter=chosen, owner_unit=chosen.unit_id, stage=chosen.matter.stage_id)
    form = ProblemForm(
        request.POST if request.method == "POST" else None, initial=initial, project=project, matters=matters
    )
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_raise(
                actor=request.user, request=request, project_id=project.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已提出难点堵点，责任单位：{problem.owner_unit.name}。")
            return redirect("windows:problem_detail", pk=problem.pk)
    return render(request, "windows/problem_form.html", {"form": form, "project": project})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_windows", raise_exception=True)
def problem_detail(request, pk: int):
    problem = get_problem(request, pk, change=request.method == "POST")
    can_change = request.user.has_perm("windows.change_problem", problem) and problem.is_open
    form = None
    if can_change:
        initial = {"status": problem.status, "resolution": problem.resolution, "version": problem.version}
        form = ProblemUpdateForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.problem_update(actor=request.user, request=request, problem_id=problem.pk, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "已更新难点堵点。")
                return redirect("windows:problem_detail", pk=problem.pk)
    elif request.method == "POST":
        messages.error(request, f"该问题已{problem.status}，不能再变更。")
        return redirect("windows:problem_detail", pk=problem.pk)
    history = problem.project.timeline.filter(object_type="windows.problem", object_id=str(problem.pk))
    return render(
        request,
        "windows/problem_detail.html",
        {
            "problem": problem,
            "form": form,
            "history": history.select_related("actor"),
            "meetings": problem.meetings.all(),
        },
    )
