"""The administrator's page for the stages' comprehensive windows: name, phone, lead unit, staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from projects.models import Stage
from qinqing.forms import add_service_errors
from windows import services
from windows.forms import WindowForm


@require_GET
@permission_required("qinqing.manage_windows", raise_exception=True)
def window_list(request):
    stages = Stage.objects.select_related("lead_unit").prefetch_related("window_staff")
    return render(request, "windows/window_list.html", {"stages": stages})


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.manage_windows", raise_exception=True)
def window_edit(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("lead_unit"), pk=pk)
    initial = {
        "window_name": stage.window_label,
        "window_phone": stage.window_phone,
        "lead_unit": stage.lead_unit_id,
        "staff": list(stage.window_staff.all()),
        "version": stage.version,
    }
    form = WindowForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.window_update(actor=request.user, request=request, stage_id=stage.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存{form.cleaned_data['window_name']}。")
            return redirect("windows:window_list")
    return render(request, "windows/window_form.html", {"form": form, "stage": stage})
