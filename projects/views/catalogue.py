from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from projects import services
from projects.forms import MatterForm
from projects.models import Matter, Stage
from qinqing.forms import add_service_errors
from qinqing.validators import int_or_none


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def index(request):
    return render(request, "projects/index.html")


@require_GET
@permission_required("qinqing.view_catalogue", raise_exception=True)
def catalogue(request):
    stages = Stage.objects.select_related("lead_unit")
    matters = Matter.objects.select_related("stage", "unit")
    stage_number = request.GET.get("stage", "")
    if int_or_none(stage_number) is not None:
        matters = matters.filter(stage__number=int_or_none(stage_number))
    query = request.GET.get("q", "").strip()
    if query:
        matters = matters.filter(name__icontains=query)
    return render(
        request,
        "projects/catalogue.html",
        {"stages": stages, "matters": matters, "stage_number": stage_number, "query": query},
    )


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
def matter_edit(request, pk: int):
    matter = get_object_or_404(Matter.objects.select_related("stage", "unit"), pk=pk)
    initial = {
        "name": matter.name,
        "category": matter.category,
        "unit": matter.unit_id,
        "time_limit_workdays": matter.time_limit_workdays,
        "statutory_limit_workdays": matter.statutory_limit_workdays,
        "materials": "\n".join(matter.materials),
        "note": matter.note,
        "allows_commitment": matter.allows_commitment,
        "allows_deficiency": matter.allows_deficiency,
        "allows_parallel": matter.allows_parallel,
        "is_active": matter.is_active,
        "version": matter.version,
    }
    form = MatterForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.matter_update(actor=request.user, request=request, matter_id=matter.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存事项：{form.cleaned_data['name']}。")
            return redirect(f"{reverse('projects:catalogue')}?stage={matter.stage.number}")
    return render(request, "projects/matter_form.html", {"form": form, "matter": matter})
