"""The random draw of projects to visit (回访抽样) and the visits it plans (回访).

Draws are the reform office's alone; visits are seen by the office and, once recorded against a
unit, by that unit's staff (``selectors.visits_for``); only the office records them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from followups import selectors, services
from followups.forms.draws import DrawForm, VisitRecordForm, last_month
from followups.models import Draw, Visit
from projects.models import Project, ProjectMatter
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.validators import int_or_none

# ---------------------------------------------------------------------------------------------
# Draws


def get_draw(request, pk: int) -> Draw:
    return get_object_or_404(selectors.draws_for(request.user), pk=pk)


def get_visit(request, pk: int) -> Visit:
    """A visit the user may see (the office: all; a unit's staff: those naming their unit), else 404."""
    return get_object_or_404(selectors.visits_for(request.user), pk=pk)


@require_GET
@permission_required("qinqing.manage_followups", raise_exception=True)
def draw_list(request):
    draws = (
        selectors.draws_for(request.user)
        .annotate(
            visits_total=Count("visits"),
            visits_open=Count("visits", filter=Q(visits__status=Visit.Status.PLANNED)),
        )
        .order_by("-drawn_at", "-id")
    )
    page = Paginator(draws, 30).get_page(request.GET.get("page"))
    return render(request, "followups/draw_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
@idempotent
def draw_create(request):
    start, end = last_month()
    form = DrawForm(
        request.POST if request.method == "POST" else None, initial={"period_start": start, "period_end": end}
    )
    if request.method == "POST" and form.is_valid():
        try:
            draw = services.draw_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"已完成抽样：从 {len(draw.population)} 个服务项目中抽取 {len(draw.sample)} 个，"
                f"已列入待回访（随机种子 {draw.seed}）。",
            )
            return redirect("followups:draw_detail", pk=draw.pk)
    return render(request, "followups/draw_form.html", {"form": form, "max_sample": services.MAX_SAMPLE})


@require_GET
@permission_required("qinqing.manage_followups", raise_exception=True)
def draw_detail(request, pk: int):
    draw = get_draw(request, pk)
    names = dict(Project.objects.filter(pk__in=draw.population).values_list("pk", "name"))
    excluded = set(draw.excluded)
    visits = draw.visits.select_related("project", "recorded_by").order_by("project_id")
    replay = services.draw_replay(draw)
    candidates = [pk for pk in sorted(draw.population) if pk not in excluded]
    return render(
        request,
        "followups/draw_detail.html",
        {
            "draw": draw,
            "population": [(pk, names.get(pk, "（项目已不存在）"), pk in excluded) for pk in draw.population],
            "excluded": [(pk, names.get(pk, "（项目已不存在）")) for pk in draw.excluded],
            "visits": visits,
            "replay": replay,
            "replay_ok": replay == draw.sample,
            "candidates": candidates,
            "done": sum(1 for v in visits if v.status != Visit.Status.PLANNED),
        },
    )


# ---------------------------------------------------------------------------------------------
# Visits

STATUS_FILTERS = tuple(Visit.Status.values)


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def visit_list(request):
    status = request.GET.get("status", "")
    visits = selectors.visits_for(request.user)
    if status in STATUS_FILTERS:
        visits = visits.filter(status=status)
    else:
        status = ""
    draw_id = int_or_none(request.GET.get("draw"))
    if draw_id is not None:
        visits = visits.filter(draw_id=draw_id)
    # planned visits first (oldest plan first), then the recorded ones, latest first
    visits = visits.annotate(
        planned_first=Case(
            When(status=Visit.Status.PLANNED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("planned_first", F("visited_at").desc(nulls_last=True), "created_at", "id")
    page = Paginator(visits, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "followups/visit_list.html",
        {"page": page, "status": status, "statuses": STATUS_FILTERS, "draw_id": draw_id},
    )


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def visit_detail(request, pk: int):
    visit = get_visit(request, pk)
    rectifications = visit.rectifications.select_related("unit").order_by("id")
    history = (
        visit.project.timeline.filter(object_type="followups.visit", object_id=str(visit.pk))
        .select_related("actor")
        .order_by("occurred_at", "id")
    )
    return render(
        request,
        "followups/visit_detail.html",
        {
            "visit": visit,
            "rectifications": rectifications,
            "history": history,
            "can_record": request.user.has_perm("qinqing.manage_followups") and visit.status == Visit.Status.PLANNED,
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_followups", raise_exception=True)
@idempotent
def visit_record(request, pk: int):
    visit = get_visit(request, pk)
    if request.method == "GET" and visit.status != Visit.Status.PLANNED:
        messages.info(request, f"该回访已登记（{visit.status}），不能重复登记。")
        return redirect("followups:visit_detail", pk=visit.pk)
    units = (
        ProjectMatter.objects.filter(project=visit.project)
        .order_by("unit__name")
        .values_list("unit__name", flat=True)
        .distinct()
    )
    initial = {
        "version": visit.version,
        "respondent": visit.project.contact_name,
        "visited_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    form = VisitRecordForm(
        request.POST if request.method == "POST" else None, initial=initial, project_units=list(units)
    )
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.visit_record(
                actor=request.user, request=request, visit_id=visit.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _recorded_message(recorded, form.cleaned_data["workdays"]))
            return redirect("followups:visit_detail", pk=visit.pk)
    return render(request, "followups/visit_form.html", {"form": form, "visit": visit})


def _recorded_message(visit: Visit, workdays: int) -> str:
    if visit.status == Visit.Status.UNREACHABLE:
        return "已登记：未能联系上申请人。"
    text = "已登记回访。"
    rectification = visit.rectifications.select_related("unit").order_by("-id").first()
    if rectification is not None:
        text += (
            f"已向{rectification.unit.name}下发整改，责任人 {rectification.owner}，"
            f"整改期限 {rectification.due_on:%Y-%m-%d}（{workdays} 个工作日）。"
        )
    return text
