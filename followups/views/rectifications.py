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
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import documents, selectors, services
from followups.forms.rectifications import (
    EscalationCloseForm,
    EscalationForm,
    EscalationOpinionForm,
    EscalationReplyForm,
    EscalationSignForm,
    EscalationUnitForm,
    RectificationCloseForm,
    RectificationReportForm,
    RectificationReturnForm,
)
from followups.models import Escalation, Rectification
from projects.selectors import projects_for
from qinqing import audit
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.models import AuditEntry, Department
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
                    f"已印发督办单 {escalation.number}，将{escalation.unit.name}移送{escalation.referred_to}督查督办，"
                    f"并下发整改（期限 {escalation.rectification.due_on:%Y-%m-%d}）；待{escalation.unit.name}签收、回复。",
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
        picked = request.GET.get("all", "")
        if form is not None and picked in ("visits", "matters", "notices"):
            # "全选" without the page's script: every offered item of that picker, ticked
            form.initial[picked] = list(form.fields[picked].queryset.values_list("pk", flat=True))
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


def _escalation_page(request, escalation: Escalation, *, failed: tuple[str, object] | None = None):
    """The referral's page with the forms the viewer may use now; ``failed`` is a refused form to show again."""
    today = timezone.localdate()
    user = request.user
    office = _is_office(user)
    own_unit = selectors.unit_of(user) == escalation.unit_id
    rectification = escalation.rectification
    is_open = escalation.status == Escalation.Status.OPEN
    forms = {}
    if is_open and own_unit and escalation.signed_at is None:
        forms["sign"] = EscalationSignForm(prefix="sign", initial={"version": escalation.version})
    if is_open and own_unit and escalation.signed_at is not None and not escalation.opinion:
        forms["reply"] = EscalationReplyForm(
            prefix="reply", initial={"version": escalation.version, "reply": escalation.reply}
        )
    if is_open and office and escalation.replied_at is not None:
        forms["opinion"] = EscalationOpinionForm(
            prefix="opinion",
            initial={"version": escalation.version, "opinion": escalation.opinion,
                     "opinion_on": escalation.opinion_on or today},
        )  # fmt: skip
    if is_open and office:
        forms["close"] = EscalationCloseForm(prefix="close", initial={"version": escalation.version})
    action_errors = []
    if failed is not None:
        name, form = failed
        if name in forms:
            forms[name] = form
        else:
            action_errors = _error_list(form)
    visits = list(escalation.visits.select_related("project").order_by("-visited_at", "-id"))
    matters = list(escalation.matters.select_related("project", "matter").order_by("due_on", "id"))
    notices = list(escalation.notices.order_by("-issued_at", "-id"))
    visible = _visible_projects(user, [v.project_id for v in visits] + [pm.project_id for pm in matters])
    for visit in visits:
        # the visit's page is open to the office and to the unit it was rated against
        visit.linkable = office or visit.unit_id == selectors.unit_of(user)
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
            "own_unit": own_unit,
            "sign_form": forms.get("sign"),
            "reply_form": forms.get("reply"),
            "opinion_form": forms.get("opinion"),
            "close_form": forms.get("close"),
            "action_errors": action_errors,
        },
    )


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_detail(request, pk: int):
    return _escalation_page(request, get_escalation(request, pk))


def _escalation_action(request, pk: int, *, name: str, form_class, service, success: str, manage: bool):
    escalation = get_escalation(request, pk, manage=manage)
    if not manage and selectors.unit_of(request.user) != escalation.unit_id:
        raise PermissionDenied(f"只有{escalation.unit.name}的人员可以签收、回复这份督办单。")
    form = form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            service(actor=request.user, request=request, escalation_id=escalation.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("followups:escalation_detail", pk=escalation.pk)
    return _escalation_page(request, get_escalation(request, pk), failed=(name, form))


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_sign(request, pk: int):
    return _escalation_action(request, pk, name="sign", form_class=EscalationSignForm,
                              service=services.escalation_sign, success="已签收督办单。请在办理后回复办理情况。",
                              manage=False)  # fmt: skip


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_reply(request, pk: int):
    return _escalation_action(request, pk, name="reply", form_class=EscalationReplyForm,
                              service=services.escalation_reply, success="已回复办理情况，待区政府督查室提出意见。",
                              manage=False)  # fmt: skip


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_opinion(request, pk: int):
    return _escalation_action(request, pk, name="opinion", form_class=EscalationOpinionForm,
                              service=services.escalation_opinion, success="已录入区政府督查室意见。",
                              manage=True)  # fmt: skip


@require_POST
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_close(request, pk: int):
    return _escalation_action(request, pk, name="close", form_class=EscalationCloseForm,
                              service=services.escalation_close, success="督查督办已办结。", manage=True)  # fmt: skip


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def escalation_pdf(request, pk: int):
    """The 督办单 (移送函) as issued (kept at issue, or at this first download); each download audited.
    A kept file that is gone or altered is refused, not drawn again."""
    escalation = get_escalation(request, pk)
    if not escalation.serial:
        messages.error(request, "该督查督办没有编号，没有督办单。")
        return redirect("followups:escalation_detail", pk=escalation.pk)
    document = documents.keep_escalation(escalation.pk)
    try:
        content = documents.read(document)
    except documents.KeptFileError as error:
        audit.record(action=AuditEntry.Action.EXPORT, request=request, obj=escalation, result=AuditEntry.Result.FAILURE,
                     detail=f"督办单正式文件{'缺失' if error.missing else '校验不符'}：{document.filename}")  # fmt: skip
        return HttpResponse(
            "该督办单的正式文件缺失或已被改动（校验不符），不能下载。请联系系统管理员从备份中恢复。",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    audit.record(action=AuditEntry.Action.EXPORT, request=request, obj=escalation,
                 detail=f"下载督办单：{document.filename}（印发存档，SHA-256 {document.sha256[:16]}…）")  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(document.filename)}"
    return response
