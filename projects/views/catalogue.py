"""The matter catalogue: every role reads it; the administrator adds and corrects matters, their
materials and bundles, moves a matter to another stage, retires one and confirms reference materials."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import catalogue as services
from projects.forms import BundleForm, MaterialEditForm, MaterialForm, MatterEditForm, MatterForm
from projects.models import Material, Matter, MatterBundle, Stage
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.validators import int_or_none


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def index(request):
    return render(request, "projects/index.html")


@require_GET
@permission_required("qinqing.view_catalogue", raise_exception=True)
def catalogue(request):
    stages = Stage.objects.select_related("lead_unit")
    matters = Matter.objects.select_related("stage", "unit").annotate(
        material_count=Count("materials", filter=Q(materials__is_active=True)),
        unverified_count=Count("materials", filter=Q(materials__is_active=True, materials__verified=False)),
    )
    stage_number = request.GET.get("stage", "")
    if int_or_none(stage_number) is not None:
        matters = matters.filter(stage__number=int_or_none(stage_number))
    query = request.GET.get("q", "").strip()
    if query:
        matters = matters.filter(name__icontains=query)
    unverified = request.GET.get("unverified") == "1"
    if unverified:
        matters = matters.filter(unverified_count__gt=0)
    bundles = MatterBundle.objects.prefetch_related("matters")
    return render(
        request,
        "projects/catalogue.html",
        {
            "stages": stages,
            "matters": matters,
            "stage_number": stage_number,
            "query": query,
            "unverified": unverified,
            "bundles": bundles,
        },
    )


@require_GET
@permission_required("qinqing.view_catalogue", raise_exception=True)
def matter_detail(request, pk: int):
    matter = get_object_or_404(Matter.objects.select_related("stage", "unit", "stage__lead_unit"), pk=pk)
    materials = matter.materials.select_related("verified_by")
    if not request.user.has_perm("qinqing.manage_catalogue"):
        materials = materials.filter(is_active=True)
    history = matter.history.select_related("history_user", "stage").order_by("-history_date")[:20]
    return render(
        request,
        "projects/matter_detail.html",
        {
            "matter": matter,
            "materials": materials,
            "bundles": matter.bundles.all(),
            "history": history,
            "unverified": [m for m in materials if m.is_active and not m.verified],
        },
    )


@require_GET
@permission_required("qinqing.view_catalogue", raise_exception=True)
def material_template(request, pk: int):
    material = get_object_or_404(Material, pk=pk)
    if not material.template_file:
        raise Http404
    name = material.template_file.name.rsplit("/", 1)[-1]
    return FileResponse(material.template_file.open("rb"), as_attachment=True, filename=name)


def _matter_initial(matter: Matter) -> dict:
    initial = {name: getattr(matter, name) for name in services.MATTER_FIELDS}
    initial["stage"] = matter.stage_id
    initial["unit"] = matter.unit_id
    initial["version"] = matter.version
    return initial


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
@idempotent
def matter_create(request):
    stage = Stage.objects.filter(number=int_or_none(request.GET.get("stage", ""))).first()
    form = MatterForm(request.POST if request.method == "POST" else None, initial={"stage": stage})
    if request.method == "POST" and form.is_valid():
        try:
            matter = services.matter_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已新增事项：{matter.name}。请接着录入申请材料。")
            return redirect("projects:matter_detail", pk=matter.pk)
    return render(request, "projects/matter_form.html", {"form": form, "matter": None})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
def matter_edit(request, pk: int):
    matter = get_object_or_404(Matter.objects.select_related("stage", "unit"), pk=pk)
    form = MatterEditForm(request.POST if request.method == "POST" else None, initial=_matter_initial(matter))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.matter_update(
                actor=request.user,
                request=request,
                matter_id=matter.pk,
                version=data.pop("version"),
                reason=data.pop("reason"),
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存事项：{form.cleaned_data['name']}。")
            return redirect("projects:matter_detail", pk=matter.pk)
    return render(request, "projects/matter_form.html", {"form": form, "matter": matter})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
@idempotent
def material_create(request, pk: int):
    matter = get_object_or_404(Matter.objects.select_related("stage"), pk=pk)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("remove_template")
        try:
            material = services.material_create(actor=request.user, request=request, matter_id=matter.pk, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已新增申请材料：{material.name}。")
            return redirect("projects:matter_detail", pk=matter.pk)
    return render(request, "projects/material_form.html", {"form": form, "matter": matter, "material": None})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
def material_edit(request, pk: int):
    material = get_object_or_404(Material.objects.select_related("matter", "matter__stage"), pk=pk)
    initial = {name: getattr(material, name) for name in services.MATERIAL_FIELDS}
    initial.update(verified=material.verified, version=material.version)
    form = MaterialEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.material_update(
                actor=request.user, request=request, material_id=material.pk, version=data.pop("version"), **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存申请材料：{form.cleaned_data['name']}。")
            return redirect("projects:matter_detail", pk=material.matter_id)
    return render(
        request, "projects/material_form.html", {"form": form, "matter": material.matter, "material": material}
    )


@require_POST
@permission_required("qinqing.manage_catalogue", raise_exception=True)
def materials_verify(request, pk: int):
    matter = get_object_or_404(Matter, pk=pk)
    ids = [i for i in (int_or_none(value) for value in request.POST.getlist("material")) if i is not None]
    if not ids:
        messages.error(request, "请勾选已对照本区办事指南核实的材料。")
        return redirect("projects:matter_detail", pk=matter.pk)
    count = services.materials_verify(actor=request.user, request=request, matter_id=matter.pk, material_ids=ids)
    messages.success(request, f"已核实 {count} 项申请材料，可直接印在一次性告知单上。")
    return redirect("projects:matter_detail", pk=matter.pk)


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_catalogue", raise_exception=True)
@idempotent
def bundle_edit(request, pk: int | None = None):
    bundle = get_object_or_404(MatterBundle, pk=pk) if pk is not None else None
    initial = (
        {
            "name": bundle.name,
            "description": bundle.description,
            "matters": list(bundle.matters.values_list("pk", flat=True)),
            "is_active": bundle.is_active,
            "version": bundle.version,
        }
        if bundle
        else {}
    )
    form = BundleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            saved = services.bundle_update(
                actor=request.user,
                request=request,
                bundle_id=bundle.pk if bundle else None,
                version=data.pop("version"),
                matters=list(data.pop("matters")),
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存集成办理事项：{saved.name}。")
            return redirect("projects:catalogue")
    return render(request, "projects/bundle_form.html", {"form": form, "bundle": bundle})
