"""One-time notification letters (一次性告知单): choose matters, issue, print, PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from projects import services
from projects.forms import LetterForm
from projects.views.access import get_letter, get_project
from qinqing.forms import add_service_errors
from qinqing.pdf import pdf_response


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
def letter_create(request, pk: int):
    project = get_project(request, pk, change=True)
    pending = project.matters.filter(status="待申报").values_list("matter_id", flat=True)
    form = LetterForm(
        request.POST if request.method == "POST" else None,
        initial={"recipient": project.builder, "matters": list(pending)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            letter = services.letter_issue(
                actor=request.user, request=request, project_id=project.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已出具一次性告知单 {letter.number}，可打印或下载 PDF。")
            return redirect("projects:letter_detail", pk=letter.pk)
    return render(request, "projects/letter_form.html", {"form": form, "project": project})


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def letter_detail(request, pk: int):
    letter = get_letter(request, pk)
    return render(request, "projects/letter_detail.html", {"letter": letter, "project": letter.project})


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def letter_pdf(request, pk: int):
    letter = get_letter(request, pk)
    return pdf_response(
        "projects/letter_print.html",
        {"letter": letter, "project": letter.project},
        filename=f"一次性告知单-{letter.year}-{letter.serial:04d}.pdf",
        request=request,
        obj=letter,
    )
