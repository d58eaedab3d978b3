"""Project dossiers: the list with search, opening a dossier, the dossier page, correcting its facts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import merging, panels, selectors, services
from projects.dossier_forms import MergeForm, find_project
from projects.forms import DossierForm, ProjectForm
from projects.models import Project, Stage
from projects.views.access import get_project
from qinqing import audit, idempotency
from qinqing.forms import add_service_errors
from qinqing.htmx import wants_fragment
from qinqing.models import AuditEntry

PAGE_SIZE = 50


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def project_list(request):
    text = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in Project.Status.values else ""
    stage = request.GET.get("stage", "")
    mine = request.GET.get("mine") == "1"
    projects = selectors.project_list(request.user, text=text, status=status, stage=stage, mine=mine)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": text,
        "status": status,
        "stage": stage,
        "mine": mine,
        "statuses": Project.Status.choices,
        "stages": Stage.objects.all(),
        "can_add": request.user.has_perm("projects.add_project"),
    }
    template = "projects/_project_rows.html" if wants_fragment(request, "project-rows") else None
    return render(request, template or "projects/project_list.html", context)


CONFIRM_DISTINCT = "confirm_distinct"


def check_duplicates(request, form, fields: dict) -> tuple[dict, bool]:
    """Before a dossier is opened: the project code's holder (a hard stop, shown with a link) and the
    open dossiers it may duplicate. Returns (context for ``_duplicate_candidates.html``, may go ahead):
    the first POST that finds candidates stops to show them; the clerk ticks 确认不是同一项目 and
    sends it again (or opens the existing dossier)."""
    holder = selectors.code_holder(fields.get("code", ""))
    if holder is not None:
        form.add_error("code", f"项目代码 {holder.code} 已有档案，请打开该档案办理，不要重复建档。")
    candidates = selectors.duplicate_candidates(
        request.user,
        name=fields.get("name", ""),
        builder_credit_code=fields.get("builder_credit_code", ""),
        contact_phone=fields.get("contact_phone", ""),
    )
    context = {
        "candidates": candidates,
        "own_candidates": [c for c in candidates if c.project.specialist_id == request.user.pk],
        "code_holder": holder,
        "code_holder_visible": holder is not None and request.user.has_perm("projects.view_project", holder),
        "confirm_name": CONFIRM_DISTINCT,
    }
    confirmed = request.POST.get(CONFIRM_DISTINCT) == "on"
    return context, holder is None and (not candidates or confirmed)


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_project", raise_exception=True)
def project_create(request):
    if request.method == "POST" and (done := idempotency.replay(request, fallback=reverse("projects:index"))):
        return done
    form = DossierForm(
        request.POST if request.method == "POST" else None,
        initial={"current_stage": Stage.objects.order_by("number").first()},
    )
    context = {"form": form, "title": "新建项目档案", "creating": True}
    if request.method == "POST" and form.is_valid():
        found, go_ahead = check_duplicates(request, form, form.cleaned_data)
        context.update(found)
        candidates = found["candidates"]
        if go_ahead:
            try:
                project = idempotency.once(
                    request,
                    lambda: services.project_create(
                        actor=request.user,
                        request=request,
                        confirmed_distinct_from=[c.project for c in candidates],
                        **form.cleaned_data,
                    ),
                    url=lambda project: reverse("projects:detail", args=[project.pk]),
                )
            except idempotency.AlreadySubmittedError as done:
                return done.response
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"已建立项目档案：{project.name}。")
                return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", context)


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def project_detail(request, pk: int):
    project = get_project(request, pk)
    user = request.user
    today = timezone.localdate()
    whole = selectors.sees_whole_dossier(user, project)
    merged = project.status == Project.Status.MERGED
    context = {
        "project": project,
        "today": today,
        "whole": whole,
        "groups": selectors.dossier_matters(user, project, today),
        "timeline": selectors.dossier_timeline(user, project).select_related("project"),
        "letters": selectors.dossier_letters(project) if whole else [],
        # a merged dossier is frozen: its page points at the one it lives on in
        "can_change": not merged and user.has_perm("projects.change_project", project),
        "can_merge": merging.may_start_merge(user, project),
        "merged_into": _visible_or_none(user, project.merged_into) if merged else None,
        "merged_from": list(project.merged_from.order_by("pk")) if whole else [],
        "can_reveal": user.has_perm("projects.reveal_contact", project),
        "panels": panels.render_all(request, project),
    }
    return render(request, "projects/project_detail.html", context)


def _visible_or_none(user, project: Project | None) -> Project | None:
    return project if project is not None and user.has_perm("projects.view_project", project) else None


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
def project_edit(request, pk: int):
    project = get_project(request, pk, change=True)
    if project.status == Project.Status.MERGED:
        messages.warning(request, "该档案已合并到另一档案，不能再修改。")
        return redirect("projects:detail", pk=project.pk)
    initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
    initial.update(
        specialist=project.specialist, status=project.status, version=project.version, completed_on=project.completed_on
    )
    form = ProjectForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(actor=request.user, request=request, project_id=project.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "已保存项目信息。")
            if not request.user.has_perm("projects.view_project", Project.objects.get(pk=project.pk)):
                return redirect("projects:index")
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": project, "title": "修改项目信息"})


@require_POST
@permission_required("qinqing.view_projects", raise_exception=True)
def reveal_phone(request, pk: int):
    """Show the applicant's full phone number to those whose work needs it; every reveal is logged."""
    project = get_project(request, pk)
    if not request.user.has_perm("projects.reveal_contact", project):
        raise PermissionDenied("您的角色不能查看完整的联系电话。")
    audit.record(action=AuditEntry.Action.REVEAL, request=request, obj=project, detail="查看项目联系人完整电话")
    if wants_fragment(request):
        return HttpResponse(format_html('<span data-testid="full-phone">{}</span>', project.contact_phone))
    messages.info(request, f"{project.contact_name}的完整电话：{project.contact_phone}（本次查看已记录）")
    return redirect("projects:detail", pk=project.pk)


# ---------------------------------------------------------------------------------------------
# Merging two dossiers of one project


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.merge_projects", raise_exception=True)
def project_merge(request, pk: int):
    """合并档案: pick the other dossier (a similar one offered, or by code / number), compare the two,
    choose which is kept and why."""
    project = get_project(request, pk)
    if not merging.may_start_merge(request.user, project):
        raise PermissionDenied("只有负责该档案的帮办专员或区工改办可以合并档案。")
    other = None
    other_text = request.GET.get("other", "").strip()[:40]
    if other_text:
        other = find_project(other_text)
        if other is not None and (
            other.pk == project.pk
            or not request.user.has_perm("projects.view_project", other)
            or not merging.may_merge(request.user, project, other)
        ):
            other = None
        if other is None:
            messages.error(request, f"没有找到可与本档案合并的档案“{other_text}”（须为您可以合并的档案）。")
    context = {"project": project, "other": other, "other_text": other_text}
    if other is None:
        if request.method == "POST":
            return redirect("projects:merge", pk=project.pk)
        similar = selectors.duplicate_candidates(
            request.user,
            name=project.name,
            builder_credit_code=project.builder_credit_code,
            contact_phone=project.contact_phone,
            exclude_pk=project.pk,
        )
        context["similar"] = [c for c in similar if c.visible and merging.may_merge(request.user, project, c.project)]
        return render(request, "projects/project_merge.html", context)

    form = MergeForm(
        request.POST if request.method == "POST" else None,
        this=project,
        other=other,
        initial={"this_version": project.version, "other_version": other.version},
    )
    if request.method == "POST" and form.is_valid():
        keep_this = form.cleaned_data["keep"] == MergeForm.KEEP_THIS
        versions = {project.pk: form.cleaned_data["this_version"], other.pk: form.cleaned_data["other_version"]}
        winner, loser = (project, other) if keep_this else (other, project)
        try:
            winner = merging.project_merge(
                actor=request.user,
                request=request,
                winner_id=winner.pk,
                loser_id=loser.pk,
                winner_version=versions[winner.pk],
                loser_version=versions[loser.pk],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已将《{loser.name}》并入《{winner.name}》。")
            return redirect("projects:detail", pk=winner.pk)
    context.update(
        form=form,
        rows=[(project, merging.merge_counts(project)), (other, merging.merge_counts(other))],
        problems_keep_this=merging.merge_problems(project, other),
        problems_keep_other=merging.merge_problems(other, project),
    )
    return render(request, "projects/project_merge.html", context)
