"""Joint meetings (联席会议): minutes, decisions followed up until done, printable minutes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.models import Stage
from projects.selectors import projects_for, window_stage_ids
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.models import Department
from qinqing.pdf import pdf_response
from qinqing.roles import Role
from windows import services
from windows.forms import DecisionFormSet, DecisionUpdateForm, MeetingForm
from windows.models import Meeting, Problem
from windows.views.access import get_decision, get_meeting
from windows.views.problems import problems_for


def meetings_for(user):
    meetings = Meeting.objects.select_related("convened_by", "stage")
    if user.has_role(Role.OFFICE):
        return meetings
    scope = Q(pk__in=[])
    if window_stage_ids(user):
        scope |= Q(stage_id__in=window_stage_ids(user))
    if user.has_role(Role.DEPARTMENT) and user.department_id:
        scope |= Q(units=user.department_id) | Q(decisions__unit_id=user.department_id)
    if user.has_role(Role.SPECIALIST):
        scope |= Q(projects__specialist=user)
    return meetings.filter(scope).distinct()


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_list(request):
    page = Paginator(meetings_for(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "windows/meeting_list.html",
        {"page": page, "can_add": request.user.has_perm("windows.add_meeting")},
    )


def _conveners(user):
    """Window staff convene as their stages' lead units; the reform office as itself."""
    ids = set(
        Stage.objects.filter(pk__in=window_stage_ids(user), lead_unit__isnull=False).values_list("lead_unit", flat=True)
    )
    if user.has_role(Role.OFFICE) and user.department_id:
        ids.add(user.department_id)
    return Department.objects.filter(pk__in=ids)


@require_http_methods(["GET", "POST"])
@permission_required("windows.add_meeting", raise_exception=True)
@idempotent
def meeting_create(request):
    user = request.user
    projects = projects_for(user).exclude(status="已终止").order_by("name")
    # only problems the convener may see (a window: its stages'), still open
    problems = problems_for(user).filter(project__in=projects, status__in=Problem.OPEN_STATUSES)
    data = request.POST if request.method == "POST" else None
    stages = window_stage_ids(user)
    initial = {"held_on": timezone.localdate(), "stage": stages[0] if len(stages) == 1 else None}
    conveners = _conveners(user)
    if len(conveners) == 1:
        initial["convened_by"] = conveners[0]
    form = MeetingForm(data, initial=initial, conveners=conveners, projects=projects, problems=problems)
    if not user.has_role(Role.OFFICE):
        # a window records the meetings of its own stages
        form.fields["stage"].queryset = Stage.objects.filter(pk__in=stages)
        form.fields["stage"].required = True
    decisions = DecisionFormSet(data, prefix="d", form_kwargs={"projects": projects})
    if request.method == "POST" and form.is_valid() and decisions.is_valid():
        rows = [d.cleaned_data for d in decisions if d.cleaned_data and not d.is_blank]
        try:
            meeting = services.meeting_record(
                actor=user,
                request=request,
                decisions=[{k: row.get(k) for k in ("content", "unit", "due_on", "project")} for row in rows],
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已登记{meeting.number}，议定事项 {len(rows)} 条。")
            return redirect("windows:meeting_detail", pk=meeting.pk)
    return render(request, "windows/meeting_form.html", {"form": form, "decisions": decisions})


def _meeting_context(request, meeting: Meeting) -> dict:
    decisions = list(meeting.decisions.select_related("unit", "project"))
    for decision in decisions:
        decision.can_change = decision.status == "落实中" and request.user.has_perm("windows.change_decision", decision)
        decision.form = DecisionUpdateForm(initial={"version": decision.version}, prefix=f"dec{decision.pk}")
    return {
        "meeting": meeting,
        "decisions": decisions,
        "units": meeting.units.all(),
        "projects": meeting.projects.all(),
        "problems": meeting.problems.select_related("project", "owner_unit"),
        "today": timezone.localdate(),
    }


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_detail(request, pk: int):
    meeting = get_meeting(request, pk)
    return render(request, "windows/meeting_detail.html", _meeting_context(request, meeting))


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_pdf(request, pk: int):
    meeting = get_meeting(request, pk)
    return pdf_response(
        "windows/meeting_print.html",
        _meeting_context(request, meeting),
        filename=f"联席会议纪要-{meeting.year}-{meeting.serial}.pdf",
        request=request,
        obj=meeting,
    )


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
def decision_update(request, pk: int):
    decision = get_decision(request, pk)
    form = DecisionUpdateForm(request.POST, prefix=f"dec{decision.pk}")
    if form.is_valid():
        try:
            services.decision_update(actor=request.user, request=request, decision_id=decision.pk, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "已更新落实情况，并反馈帮办专员。")
    else:
        messages.error(request, "未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("windows:meeting_detail", pk=decision.meeting_id)
