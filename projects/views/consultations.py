"""The walk-in log: the specialist records each consultation or submission, and can open a dossier from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects import selectors, services
from projects.forms import ConsultationForm, NewProjectForm
from projects.models import Project
from qinqing.forms import add_service_errors
from qinqing.validators import int_or_none


@require_GET
@permission_required("qinqing.view_consultations", raise_exception=True)
def consultation_list(request):
    consultations = selectors.consultations_for(request.user)
    text = request.GET.get("q", "").strip()[:100]
    if text:
        consultations = (
            consultations.filter(visitor_name__icontains=text)
            | consultations.filter(visitor_company__icontains=text)
            | consultations.filter(question__icontains=text)
            | consultations.filter(project__name__icontains=text)
        )
    page = Paginator(consultations, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/consultation_list.html",
        {"page": page, "q": text, "can_add": request.user.has_perm("projects.add_consultation")},
    )


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_consultation", raise_exception=True)
def consultation_create(request):
    # only the specialist's own dossiers, whatever other roles they hold
    projects = (
        Project.objects.filter(specialist=request.user).exclude(status=Project.Status.TERMINATED).order_by("name")
    )
    initial = {"visited_at": timezone.localtime().replace(second=0, microsecond=0)}
    project_id = int_or_none(request.GET.get("project"))
    if project_id is not None:
        project = projects.filter(pk=project_id).first()
        if project is not None:
            initial.update(project=project, visitor_name=project.contact_name, visitor_company=project.builder)
    data = request.POST if request.method == "POST" else None
    form = ConsultationForm(data, initial=initial, projects=projects)
    new_form = NewProjectForm(data)
    if request.method == "POST":
        form_ok = form.is_valid()
        opening = form_ok and form.cleaned_data["open_new"]
        new_ok = new_form.is_valid() if opening else True
        if form_ok and opening and form.cleaned_data["project"] is not None:
            form.add_error("project", "新建项目档案时请不要再选择已有项目。")
            form_ok = False
        if form_ok and new_ok:
            fields = dict(form.cleaned_data)
            fields.pop("open_new")
            try:
                consultation = services.consultation_log(
                    actor=request.user,
                    request=request,
                    new_project=new_form.cleaned_data if opening else None,
                    **fields,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if opening:
                    messages.success(request, f"已登记来访，并建立项目档案：{consultation.project.name}。")
                else:
                    messages.success(request, f"已登记{consultation.kind}：{consultation.visitor_name}。")
                if consultation.project_id:
                    return redirect("projects:detail", pk=consultation.project_id)
                return redirect("projects:consultation_list")
    return render(request, "projects/consultation_form.html", {"form": form, "new_form": new_form})
