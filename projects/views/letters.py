"""One-time notification letters (一次性告知单): choose matters, issue, print, PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from projects import services
from projects.forms import LetterForm
from projects.models import Consultation, Matter, Project
from projects.views.access import get_letter, get_project
from qinqing.forms import add_service_errors
from qinqing.idempotency import idempotent
from qinqing.pdf import pdf_response
from qinqing.qr import qr_svg
from qinqing.validators import int_or_none


def carried_consultation(project: Project, wanted: str | int | None) -> Consultation | None:
    """The consultation whose matters and policies a letter or 添加事项 starts from: the one named in the
    request if it is this project's, else the project's latest consultation that named matters."""
    consultations = project.consultations.prefetch_related("matters")
    if int_or_none(wanted) is not None:
        chosen = consultations.filter(pk=int_or_none(wanted)).first()
        if chosen is not None:
            return chosen
    return consultations.filter(matters__isnull=False).order_by("-visited_at", "-id").distinct().first()


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.view_projects", raise_exception=True)
@idempotent
def letter_create(request, pk: int):
    project = get_project(request, pk, change=True)
    consultation = carried_consultation(project, request.POST.get("consultation") or request.GET.get("consultation"))
    pending = set(project.matters.filter(status="待申报").values_list("matter_id", flat=True))
    initial = {"recipient": project.builder, "matters": sorted(pending)}
    if consultation is not None:
        initial["matters"] = sorted(pending | {m.pk for m in consultation.matters.all()})
        initial["policies"] = consultation.policies
        initial["consultation"] = consultation.pk
    form = LetterForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = services.letter_issue(
                actor=request.user,
                request=request,
                project_id=project.pk,
                matters=form.chosen(),
                guide_told=list(data["guide_told"]),
                recipient=data["recipient"],
                policies=data["policies"],
                note=data["note"],
                consultation=consultation if data.get("consultation") else None,
                lookup_base=request.build_absolute_uri(reverse("progress_lookup")),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已出具一次性告知单 {letter.number}，可打印或下载 PDF。")
            return redirect("projects:letter_detail", pk=letter.pk)
    # the matters on the form whose materials are not verified: each needs the specialist's tick
    if form.is_bound:
        selected = set(form.data.getlist("matters"))
        for bundle_id in form.data.getlist("bundles"):
            selected |= {str(m) for m in Matter.objects.filter(bundles=bundle_id).values_list("pk", flat=True)}
    else:
        selected = {str(pk) for pk in initial["matters"]}
    told = set(form.data.getlist("guide_told")) if form.is_bound else set()
    unverified = [
        m
        for m in services.letter_matters_queryset().filter(pk__in=[int(s) for s in selected if s.isdigit()])
        if not services.letter_ready(m)
    ]
    return render(
        request,
        "projects/letter_form.html",
        {
            "form": form,
            "project": project,
            "consultation": consultation,
            "unverified": unverified,
            "told": told,
        },
    )


def _letter_context(letter) -> dict:
    url = letter.contact.get("lookup_url", "")
    return {"letter": letter, "project": letter.project, "qr": qr_svg(url) if url else "", "lookup_url": url}


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def letter_detail(request, pk: int):
    letter = get_letter(request, pk)
    return render(request, "projects/letter_detail.html", _letter_context(letter))


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def letter_pdf(request, pk: int):
    letter = get_letter(request, pk)
    return pdf_response(
        "projects/letter_print.html",
        _letter_context(letter),
        filename=f"一次性告知单-{letter.year}-{letter.serial}.pdf",
        request=request,
        obj=letter,
    )
