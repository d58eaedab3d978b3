"""Project dossiers: the list with search, opening a dossier, the dossier page, correcting its facts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import panels, selectors, services
from projects.forms import DossierForm, ProjectForm
from projects.models import Project, Stage
from projects.views.access import get_project
from qinqing import audit
from qinqing.forms import add_service_errors
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
    template = "projects/_project_rows.html" if request.htmx and request.htmx.target == "project-rows" else None
    return render(request, template or "projects/project_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_project", raise_exception=True)
def project_create(request):
    form = DossierForm(
        request.POST if request.method == "POST" else None,
        initial={"current_stage": Stage.objects.order_by("number").first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已建立项目档案：{project.name}。")
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "title": "新建项目档案"})


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def project_detail(request, pk: int):
    project = get_project(request, pk)
    user = request.user
    today = timezone.localdate()
    whole = selectors.sees_whole_dossier(user, project)
    context = {
        "project": project,
        "today": today,
        "whole": whole,
        "groups": selectors.dossier_matters(user, project, today),
        "timeline": selectors.dossier_timeline(user, project),
        "letters": project.letters.select_related("issued_by") if whole else [],
        "can_change": user.has_perm("projects.change_project", project),
        "can_reveal": user.has_perm("projects.reveal_contact", project),
        "panels": panels.render_all(request, project),
    }
    return render(request, "projects/project_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
def project_edit(request, pk: int):
    project = get_project(request, pk, change=True)
    initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
    initial.update(specialist=project.specialist, status=project.status, version=project.version)
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
    if request.htmx:
        return HttpResponse(format_html('<span data-testid="full-phone">{}</span>', project.contact_phone))
    messages.info(request, f"{project.contact_name}的完整电话：{project.contact_phone}（本次查看已记录）")
    return redirect("projects:detail", pk=project.pk)
