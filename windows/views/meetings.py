"""Joint meetings (联席会议): convened ahead, minutes recorded after and issued (frozen, kept as a PDF),
decisions followed up until done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.models import Stage
from projects.selectors import projects_for, window_stage_ids
from qinqing import audit
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.models import AuditEntry, Department
from qinqing.pdf import pdf_response
from qinqing.roles import Role
from qinqing.validators import int_or_none
from windows import documents, services
from windows.forms import AttendanceFormSet, DecisionFormSet, DecisionUpdateForm, MeetingForm, MinutesForm
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
    """Convene a joint meeting ahead (召集); its minutes are recorded after it is held."""
    user = request.user
    projects = projects_for(user).exclude(status__in=["已办结", "已终止", "已合并"]).order_by("name")
    # only problems the convener may see (a window: its stages'), still open
    problems = problems_for(user).filter(project__in=projects, status__in=Problem.OPEN_STATUSES)
    data = request.POST if request.method == "POST" else None
    stages = window_stage_ids(user)
    initial = {"stage": stages[0] if len(stages) == 1 else None}
    conveners = _conveners(user)
    if len(conveners) == 1:
        initial["convened_by"] = conveners[0]
    form = MeetingForm(data, initial=initial, conveners=conveners, projects=projects, problems=problems)
    if not user.has_role(Role.OFFICE):
        # a window convenes the meetings of its own stages
        form.fields["stage"].queryset = Stage.objects.filter(pk__in=stages)
        form.fields["stage"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_convene(actor=user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"已召集联席会议（{meeting.held_on:%Y-%m-%d}，{meeting.place}），参会单位将在待办中看到。会后请登记纪要。",
            )
            return redirect("windows:meeting_detail", pk=meeting.pk)
    return render(request, "windows/meeting_form.html", {"form": form})


def _meeting_context(request, meeting: Meeting) -> dict:
    decisions = list(meeting.decisions.select_related("unit", "project"))
    for decision in decisions:
        decision.can_change = (
            meeting.is_issued
            and decision.status == "落实中"
            and request.user.has_perm("windows.change_decision", decision)
        )
        decision.form = DecisionUpdateForm(initial={"version": decision.version}, prefix=f"dec{decision.pk}")
    today = timezone.localdate()
    may_record = request.user.has_perm("windows.record_minutes", meeting)
    return {
        "meeting": meeting,
        "attendance": list(meeting.attendance.select_related("unit")),
        "decisions": decisions,
        "units": meeting.units.all(),
        "projects": meeting.projects.all(),
        "problems": meeting.problems.select_related("project", "owner_unit"),
        "today": today,
        "can_record": may_record and not meeting.is_issued and meeting.held_on <= today,
        "can_issue": may_record and meeting.status == Meeting.Status.DRAFT,
    }


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_detail(request, pk: int):
    meeting = get_meeting(request, pk)
    return render(request, "windows/meeting_detail.html", _meeting_context(request, meeting))


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_minutes(request, pk: int):
    """Record the minutes of a meeting that has been held: attendance of each invited unit, chair,
    recorder, the minutes and the decisions. Until issued they may be corrected here."""
    meeting = get_meeting(request, pk, perm="windows.record_minutes")
    if meeting.is_issued:
        messages.error(request, f"{meeting.number}已签发，不能再修改。")
        return redirect("windows:meeting_detail", pk=meeting.pk)
    if meeting.held_on > timezone.localdate():
        messages.error(request, f"会议定于 {meeting.held_on:%Y-%m-%d} 召开，召开后再登记纪要。")
        return redirect("windows:meeting_detail", pk=meeting.pk)
    data = request.POST if request.method == "POST" else None
    units = list(meeting.units.order_by("name"))
    recorded = {a.unit_id: a for a in meeting.attendance.all()}
    attendance_initial = [
        {
            "unit": unit.pk,
            "present": ("1" if recorded[unit.pk].present else "0") if unit.pk in recorded else None,
            "attendee": recorded[unit.pk].attendee if unit.pk in recorded else "",
        }
        for unit in units
    ]
    initial = {
        "chair": meeting.chair,
        "recorder": meeting.recorder or request.user.name,
        "minutes": meeting.minutes,
        "version": meeting.version,
    }
    form = MinutesForm(data, initial=initial)
    attendance = AttendanceFormSet(data, prefix="a", initial=attendance_initial)
    projects = meeting.projects.order_by("name")
    decision_initial = [
        {"content": d.content, "unit": d.unit_id, "due_on": d.due_on, "project": d.project_id}
        for d in meeting.decisions.all()
    ]
    decisions = DecisionFormSet(
        data, prefix="d", initial=decision_initial, form_kwargs={"projects": projects, "held_on": meeting.held_on}
    )
    names = {unit.pk: unit.name for unit in units}
    for row in attendance:
        row.unit_name = names.get(int_or_none(str(row["unit"].value())), "")
    if request.method == "POST" and form.is_valid() and attendance.is_valid() and decisions.is_valid():
        rows = [d.cleaned_data for d in decisions if d.cleaned_data and not d.is_blank]
        try:
            services.minutes_record(
                actor=request.user,
                request=request,
                meeting_id=meeting.pk,
                attendance=[a.cleaned_data for a in attendance],
                decisions=[{k: row.get(k) for k in ("content", "unit", "due_on", "project")} for row in rows],
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已登记会议纪要，议定事项 {len(rows)} 条。核对无误后请签发；签发后不能再修改。")
            return redirect("windows:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "windows/minutes_form.html",
        {"meeting": meeting, "form": form, "attendance": attendance, "decisions": decisions},
    )


@require_POST
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_issue(request, pk: int):
    meeting = get_meeting(request, pk, perm="windows.record_minutes")
    try:
        services.minutes_issue(
            actor=request.user, request=request, meeting_id=meeting.pk, version=int(request.POST.get("version", -1))
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, "；".join(getattr(error, "messages", ["请刷新页面后重试。"])))
    else:
        meeting.refresh_from_db()
        messages.success(request, f"已签发{meeting.number}，纪要 PDF 已存档；议定事项转入落实跟踪。")
    return redirect("windows:meeting_detail", pk=meeting.pk)


@require_GET
@permission_required("qinqing.view_windows", raise_exception=True)
def meeting_pdf(request, pk: int):
    """Issued minutes: the PDF kept at issue (or at this first download), as issued; each download is
    audited. Minutes not yet issued: a draft drawn from the current record, marked as such."""
    meeting = get_meeting(request, pk)
    if not meeting.is_issued:
        return pdf_response(
            "windows/meeting_print.html",
            _meeting_context(request, meeting),
            filename=f"联席会议-{meeting.held_on:%Y%m%d}-未签发.pdf",
            request=request,
            obj=meeting,
        )
    document = documents.keep(meeting.pk)
    try:
        content = documents.read(document)
    except documents.KeptFileError as error:
        audit.record(
            action=AuditEntry.Action.EXPORT,
            request=request,
            obj=meeting,
            result=AuditEntry.Result.FAILURE,
            detail=f"会议纪要签发文件{'缺失' if error.missing else '校验不符'}：{document.filename}",
        )
        return HttpResponse(
            "该会议纪要的签发文件缺失或已被改动（校验不符），不能下载。请联系系统管理员从备份中恢复。",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    audit.record(
        action=AuditEntry.Action.EXPORT,
        request=request,
        obj=meeting,
        detail=f"下载 PDF：{document.filename}（签发存档，SHA-256 {document.sha256[:16]}…）",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(document.filename)}"
    return response


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
