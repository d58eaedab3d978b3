"""Rectifications (整改) and escalations to the district supervision office (督查督办).

A rectification goes ① 下发 (by a bad rating, a notice or an escalation) → ② 单位整改 (the unit, or the
office on its behalf, reports its measures) → ③ 回访核实与办结 (the office calls the applicant back and
closes it, or returns it to the unit). The reform office sees and acts on all; a unit's staff see and
report their own unit's; anyone else is refused by the capability. A record outside the viewer's
scope is "not found" (404); an action the viewer may see but not take is refused (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import selectors, services
from followups.forms.rectifications import (
    EscalationCloseForm,
    EscalationForm,
    EscalationUnitForm,
    RectificationCloseForm,
    RectificationReportForm,
    RectificationReturnForm,
)
from followups.models import Escalation, Rectification
from projects.selectors import projects_for
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.models import Department
from qinqing.validators import int_or_none

OFFICE_ONLY = "只有区工改办可以办理此操作。"


def _is_office(user) -> bool:
    return user.has_perm("qinqing.manage_followups")


def _visible_projects(user, project_ids) -> set[int]:
    """The projects among ``project_ids`` whose dossier ``user`` may open (one query)."""
    ids = {pk for pk in project_ids if pk}
    if not ids:
        return set()
    return set(projects_for(user).filter(pk__in=ids).values_list("pk", flat=True))


def _error_list(form) -> list[str]:
    return [error for errors in form.errors.values() for error in errors]


# --- rectifications --------------------------------------------------------------------------------


def _rectifications(user):
    return selectors.rectifications_for(user).select_related("escalation", "rectified_by", "closed_by")


def get_rectification(request, pk: int, *, manage: bool = False) -> Rectification:
    """The rectification if the viewer's scope holds it (404 otherwise); ``manage``: only the office."""
    rectification = get_object_or_404(_rectifications(request.user), pk=pk)
    if manage and not _is_office(request.user):
        raise PermissionDenied(OFFICE_ONLY)
    return rectification


def _may_report(user, rectification: Rectification) -> bool:
    return _is_office(user) or selectors.unit_of(user) == rectification.unit_id


RECTIFICATION_STATUSES = [("open", "未办结的"), ("all", "全部"), *Rectification.Status.choices]


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def rectification_list(request):
    today = timezone.localdate()
    status = request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    unit_id = int_or_none(request.GET.get("unit"))
    office = _is_office(request.user)
    rows = _rectifications(request.user).order_by("due_on", "id")
    if status == "open":
        rows = rows.exclude(status=Rectification.Status.CLOSED)
    elif status in Rectification.Status.values:
        rows = rows.filter(status=status)
    else:
        status = "all"
    if overdue:
        rows = rows.overdue(today)
    units = []
    if office:
        units = Department.objects.filter(Exists(Rectification.objects.filter(unit=OuterRef("pk")))).order_by("name")
        if unit_id is not None:
            rows = rows.filter(unit_id=unit_id)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    visible = _visible_projects(request.user, [r.project_id for r in page])
    for rectification in page:
        rectification.overdue = rectification.overdue_on(today)
        rectification.project_visible = rectification.project_id in visible
    return render(
        request,
        "followups/rectification_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RECTIFICATION_STATUSES,
            "overdue": overdue,
            "units": units,
            "unit_id": unit_id,
            "office": office,
        },
    )


def _history(rectification: Rectification) -> list[dict]:
    """Each saved version of the rectification, read as the step it was (oldest first)."""
    rows = []
    previous = None
    versions = rectification.history.select_related("history_user", "created_by", "rectified_by", "closed_by")
    for version in versions.order_by("history_date", "history_id"):
        # who took the step, when the request did not say: as that version itself recorded it (a
        # report sent back later is cleared from the rectification, not from its history)
        fallback = {
            Rectification.Status.OPEN: version.created_by,
            Rectification.Status.RECTIFIED: version.rectified_by,
            Rectification.Status.CLOSED: version.closed_by,
        }
        if version.history_type == "+":
            what = "下发整改"
        elif version.status == Rectification.Status.RECTIFIED:
            what = "责任单位填报整改情况"
            if version.rectified_on:
                what += f"（整改完成日期 {version.rectified_on:%Y-%m-%d}）"
        elif version.status == Rectification.Status.CLOSED:
            what = "回访核实后办结"
        elif previous == Rectification.Status.RECTIFIED:
            what = "区工改办退回重新整改"
        else:
            what = "修改"
        who = version.history_user or (fallback.get(version.status) if what != "区工改办退回重新整改" else None)
        rows.append({"at": version.history_date, "who": who.name if who else "", "what": what})
        previous = version.status
    return rows


def _rectification_page(request, rectification: Rectification, *, failed: tuple[str, object] | None = None):
    """The detail page, with the forms the viewer may use; ``failed`` is a refused form to show again."""
    user = request.user
    today = timezone.localdate()
    office = _is_office(user)
    forms = {}
    if rectification.status == Rectification.Status.OPEN and _may_report(user, rectification):
        forms["report"] = RectificationReportForm(
            prefix="report", initial={"rectified_on": today, "version": rectification.version}
        )
    if rectification.status == Rectification.Status.RECTIFIED and office:
        forms["return"] = RectificationReturnForm(prefix="return", initial={"version": rectification.version})
        forms["close"] = RectificationCloseForm(
            prefix="close", initial={"callback_on": today, "version": rectification.version}
        )
    action_errors = []
    if failed is not None:
        name, form = failed
        if name in forms:
            forms[name] = form
        else:
            # the record moved on since the page was drawn: the form is gone, say why
            action_errors = _error_list(form)
    escalation = getattr(rectification, "escalation", None)  # reverse one-to-one: absent unless escalated
    steps = [
        "done",
        "done" if rectification.status != Rectification.Status.OPEN else "current",
        "done"
        if rectification.status == Rectification.Status.CLOSED
        else ("current" if rectification.status == Rectification.Status.RECTIFIED else "todo"),
    ]
    context = {
        "r": rectification,
        "overdue": rectification.overdue_on(today),
        "returned": rectification.status == Rectification.Status.OPEN and "【退回" in rectification.measures,
        "escalation": escalation,
        "project_visible": bool(_visible_projects(user, [rectification.project_id])),
        "office": office,
        "steps": steps,
        "report_form": forms.get("report"),
        "return_form": forms.get("return"),
        "close_form": forms.get("close"),
        "action_errors": action_errors,
        "history": _history(rectification),
    }
    return render(request, "followups/rectification_detail.html", context)


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def rectification_detail(request, pk: int):
    return _rectification_page(request, get_rectification(request, pk))


def _rectification_action(request, pk: int, *, name: str, form_class, service, success: str, manage: bool):
    rectification = get_rectification(request, pk, manage=manage)
    if name == "report" and not _may_report(request.user, rectification):
        raise PermissionDenied("只有责任单位人员或区工改办可以填报整改情况。")
    form = form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            service(actor=request.user, request=request, rectification_id=rectification.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("followups:rectification_detail", pk=rectification.pk)
    rectification = get_rectification(request, pk)
    return _rectification_page(request, rectification, failed=(name, form))


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def rectification_report(request, pk: int):
    return _rectification_action(
        request,
        pk,
        name="report",
        form_class=RectificationReportForm,
        service=services.rectification_report,
        success="已填报整改情况，待区工改办回访核实。",
        manage=False,
    )


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def rectification_return(request, pk: int):
    return _rectification_action(
        request,
        pk,
        name="return",
        form_class=RectificationReturnForm,
        service=services.rectification_return,
        success="已退回责任单位重新整改。",
        manage=True,
    )


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def rectification_close(request, pk: int):
    return _rectification_action(
        request,
        pk,
        name="close",
        form_class=RectificationCloseForm,
        service=services.rectification_close,
        success="整改已办结。",
        manage=True,
    )


# --- escalations -----------------------------------------------------------------------------------

ESCALATION_STATUSES = [("open", "督办中"), ("all", "全部"), ("closed", "已办结")]


def get_escalation(request, pk: int, *, manage: bool = False) -> Escalation:
    escalation = get_object_or_404(selectors.escalations_for(request.user).select_related("rectification__unit"), pk=pk)
    if manage and not _is_office(request.user):
        raise PermissionDenied(OFFICE_ONLY)
    return escalation


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_list(request):
    today = timezone.localdate()
    status = request.GET.get("status", "all")
    rows = selectors.escalations_for(request.user)
    if status == "open":
        rows = rows.filter(status=Escalation.Status.OPEN)
    elif status == "closed":
        rows = rows.filter(status=Escalation.Status.CLOSED)
    else:
        status = "all"
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for escalation in page:
        escalation.overdue = escalation.rectification.overdue_on(today)
    return render(
        request,
        "followups/escalation_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ESCALATION_STATUSES,
            "office": _is_office(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
@idempotent
def escalation_create(request):
    """Step one (GET without ``unit``): choose the unit. Step two: the referral with that unit's evidence."""
    units = EscalationUnitForm().fields["unit"].queryset
    if request.method == "POST":
        unit = units.filter(pk=int_or_none(request.POST.get("unit"))).first()
        form = EscalationForm(request.POST, unit=unit)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                escalation = services.escalation_create(
                    actor=request.user,
                    request=request,
                    unit=data["unit"],
                    reason=data["reason"],
                    referred_on=data["referred_on"],
                    referred_to=data["referred_to"],
                    owner=data["owner"],
                    visits=list(data["visits"]),
                    matters=list(data["matters"]),
                    notices=list(data["notices"]),
                    workdays=data["workdays"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"已将{escalation.unit.name}移送{escalation.referred_to}督查督办，"
                    f"并下发整改（期限 {escalation.rectification.due_on:%Y-%m-%d}）。",
                )
                return redirect("followups:escalation_detail", pk=escalation.pk)
        unit_form = EscalationUnitForm(initial={"unit": unit})
    else:
        chosen = request.GET.get("unit")
        unit = units.filter(pk=int_or_none(chosen)).first() if chosen else None
        unit_form = EscalationUnitForm(request.GET if chosen and unit is None else None, initial={"unit": unit})
        initial = {"unit": unit}
        notice_id = int_or_none(request.GET.get("notice"))
        if unit is not None and notice_id is not None:
            # from a notice's page ("起草督查督办"): that notice is preselected as evidence
            initial["notices"] = [notice_id]
        form = EscalationForm(initial=initial, unit=unit) if unit is not None else None
    return render(
        request,
        "followups/escalation_form.html",
        {
            "unit_form": unit_form,
            "form": form if unit is not None else None,
            "chosen_unit": unit,
            "errors": _error_list(form) if request.method == "POST" and unit is None else [],
        },
    )


def _escalation_page(request, escalation: Escalation, *, close_form=None):
    today = timezone.localdate()
    office = _is_office(request.user)
    rectification = escalation.rectification
    if close_form is None and office and escalation.status == Escalation.Status.OPEN:
        close_form = EscalationCloseForm(prefix="close", initial={"version": escalation.version})
    visits = list(escalation.visits.select_related("project").order_by("-visited_at", "-id"))
    matters = list(escalation.matters.select_related("project", "matter").order_by("due_on", "id"))
    notices = list(escalation.notices.order_by("-issued_at", "-id"))
    visible = _visible_projects(request.user, [v.project_id for v in visits] + [pm.project_id for pm in matters])
    for visit in visits:
        # the visit's page is open to the office and to the unit it was rated against
        visit.linkable = office or visit.unit_id == selectors.unit_of(request.user)
        visit.project_visible = visit.project_id in visible
    for pm in matters:
        pm.project_visible = pm.project_id in visible
    return render(
        request,
        "followups/escalation_detail.html",
        {
            "e": escalation,
            "r": rectification,
            "rectification_overdue": rectification.overdue_on(today),
            "visits": visits,
            "matters": matters,
            "notices": notices,
            "office": office,
            "close_form": close_form,
        },
    )


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_detail(request, pk: int):
    return _escalation_page(request, get_escalation(request, pk))


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_close(request, pk: int):
    escalation = get_escalation(request, pk, manage=True)
    form = EscalationCloseForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            services.escalation_close(
                actor=request.user, request=request, escalation_id=escalation.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "督查督办已办结。")
            return redirect("followups:escalation_detail", pk=escalation.pk)
    escalation = get_escalation(request, pk)
    if escalation.status != Escalation.Status.OPEN:
        # closed meanwhile: no form to show, only why nothing was saved
        for error in _error_list(form):
            messages.error(request, error)
        form = None
    return _escalation_page(request, escalation, close_form=form)
