"""The walk-in log: the specialist records each consultation or submission, and can open a dossier from it;
a consultation left 待答复 is answered later, and one logged without a project can become a dossier."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects import selectors, services
from projects.dossier_forms import ConsultationAnswerForm, ConsultationProjectForm
from projects.forms import ConsultationForm, NewProjectForm
from projects.models import Consultation, Project
from projects.views.dossier import check_duplicates
from qinqing import idempotency
from qinqing.forms import add_service_errors
from qinqing.validators import int_or_none


@require_GET
@permission_required("qinqing.view_consultations", raise_exception=True)
def consultation_list(request):
    consultations = selectors.consultations_for(request.user)
    text = request.GET.get("q", "").strip()[:100]
    if text:
        consultations = consultations.filter(
            Q(visitor_name__icontains=text)
            | Q(visitor_company__icontains=text)
            | Q(question__icontains=text)
            | Q(project__name__icontains=text)
        )
    pending = request.GET.get("pending") == "1"
    if pending:
        consultations = consultations.filter(outcome=Consultation.Outcome.PENDING)
    page = Paginator(consultations, 50).get_page(request.GET.get("page"))
    for consultation in page:
        consultation.can_change = services.consultation_may_change(request.user, consultation)
    return render(
        request,
        "projects/consultation_list.html",
        {
            "page": page,
            "q": text,
            "pending": pending,
            "pending_count": selectors.pending_consultations(request.user).count(),
            "can_add": request.user.has_perm("projects.add_consultation"),
        },
    )


def _own_projects(user):
    """The dossiers a specialist may log a visit on: their own, not terminated or merged."""
    return (
        Project.objects.filter(specialist=user)
        .exclude(status__in=[Project.Status.TERMINATED, Project.Status.MERGED])
        .order_by("name")
    )


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_consultation", raise_exception=True)
def consultation_create(request):
    if request.method == "POST" and (
        done := idempotency.replay(request, fallback=reverse("projects:consultation_list"))
    ):
        return done
    # only the specialist's own dossiers, whatever other roles they hold
    projects = _own_projects(request.user)
    initial = {"visited_at": timezone.localtime().replace(second=0, microsecond=0)}
    project_id = int_or_none(request.GET.get("project"))
    if project_id is not None:
        project = projects.filter(pk=project_id).first()
        if project is not None:
            initial.update(project=project, visitor_name=project.contact_name, visitor_company=project.builder)
    data = request.POST if request.method == "POST" else None
    use_project = int_or_none(request.POST.get("use_project")) if data is not None else None
    if use_project is not None and projects.filter(pk=use_project).exists():
        # "登记到《…》" on a duplicate warning: the visit goes to the existing dossier instead
        data = data.copy()
        data["project"] = str(use_project)
        data.pop("open_new", None)
    form = ConsultationForm(data, initial=initial, projects=projects)
    new_form = NewProjectForm(data)
    context = {"form": form, "new_form": new_form}
    if request.method == "POST":
        form_ok = form.is_valid()
        opening = form_ok and form.cleaned_data["open_new"]
        new_ok = new_form.is_valid() if opening else True
        if form_ok and opening and form.cleaned_data["project"] is not None:
            form.add_error("project", "新建项目档案时请不要再选择已有项目。")
            form_ok = False
        candidates = []
        if form_ok and opening and new_ok:
            found, new_ok = check_duplicates(request, new_form, new_form.cleaned_data)
            context.update(found)
            candidates = found["candidates"]
        if form_ok and new_ok:
            fields = dict(form.cleaned_data)
            fields.pop("open_new")
            try:
                consultation = idempotency.once(
                    request,
                    lambda: services.consultation_log(
                        actor=request.user,
                        request=request,
                        new_project=new_form.cleaned_data if opening else None,
                        confirmed_distinct_from=[c.project for c in candidates],
                        **fields,
                    ),
                    url=lambda c: (
                        reverse("projects:detail", args=[c.project_id])
                        if c.project_id
                        else reverse("projects:consultation_list")
                    ),
                )
            except idempotency.AlreadySubmittedError as done:
                return done.response
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
    return render(request, "projects/consultation_form.html", context)


def get_consultation(request, pk: int, *, change: bool = False) -> Consultation:
    """404 for a consultation the user may not see, 403 for one they may see but not answer or file."""
    consultation = get_object_or_404(
        selectors.consultations_for(request.user).select_related("project__specialist", "answered_by"), pk=pk
    )
    if change and not services.consultation_may_change(request.user, consultation):
        raise PermissionDenied("只有登记该咨询的帮办专员或项目的帮办专员可以办理。")
    return consultation


def _back(consultation: Consultation):
    if consultation.project_id:
        return redirect("projects:detail", pk=consultation.project_id)
    return redirect(reverse("projects:consultation_list") + "?pending=1")


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_consultation", raise_exception=True)
def consultation_answer(request, pk: int):
    """Answer a 待答复 consultation: what was answered, when, and the outcome."""
    consultation = get_consultation(request, pk, change=True)
    if consultation.outcome != Consultation.Outcome.PENDING and request.method == "GET":
        messages.info(request, f"该咨询已答复（{consultation.outcome}）。")
        return _back(consultation)
    form = ConsultationAnswerForm(
        request.POST if request.method == "POST" else None,
        initial={"version": consultation.version, "answer": consultation.answer},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_answer(
                actor=request.user, request=request, consultation_id=consultation.pk, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已答复{consultation.visitor_name}的{consultation.kind}。")
            return _back(consultation)
    return render(request, "projects/consultation_answer.html", {"consultation": consultation, "form": form})


def _typed_fields_ok(form) -> bool:
    """Validate only the fields that were filled in: a blank one is not an error when the form is not
    used, a hostile or malformed one is."""
    form.is_valid()
    for name in list(form.errors):
        if not form.data.get(form.add_prefix(name)):
            del form.errors[name]
    return not form.errors


@require_http_methods(["GET", "POST"])
@permission_required("projects.add_consultation", raise_exception=True)
def consultation_to_project(request, pk: int):
    """转为项目档案: file a consultation without a project into a dossier, or open one from it."""
    consultation = get_consultation(request, pk, change=True)
    if consultation.project_id is not None and request.method == "GET":
        messages.info(request, "该咨询已属于一个项目档案。")
        return redirect("projects:detail", pk=consultation.project_id)
    if request.method == "POST" and (
        done := idempotency.replay(request, fallback=reverse("projects:consultation_list"))
    ):
        return done
    projects = _own_projects(request.user)
    data = request.POST if request.method == "POST" else None
    form = ConsultationProjectForm(data, projects=projects, initial={"version": consultation.version})
    new_form = NewProjectForm(
        data,
        initial={
            "builder": consultation.visitor_company,
            "contact_name": consultation.visitor_name,
            "contact_phone": consultation.visitor_phone,
        },
    )
    context = {"consultation": consultation, "form": form, "new_form": new_form}
    if request.method == "POST" and not form.is_valid():
        # what was typed in the new-dossier fields is still checked, so a bad value is named even
        # when the choice between an existing dossier and a new one is what is missing
        _typed_fields_ok(new_form)
    if request.method == "POST" and form.is_valid():
        opening = form.cleaned_data["open_new"]
        new_ok = new_form.is_valid() if opening else _typed_fields_ok(new_form)
        candidates = []
        if opening and new_ok:
            found, new_ok = check_duplicates(request, new_form, new_form.cleaned_data)
            context.update(found)
            candidates = found["candidates"]
        if new_ok:
            try:
                consultation = idempotency.once(
                    request,
                    lambda: services.consultation_to_project(
                        actor=request.user,
                        request=request,
                        consultation_id=consultation.pk,
                        version=form.cleaned_data["version"],
                        project=None if opening else form.cleaned_data["project"],
                        new_project=new_form.cleaned_data if opening else None,
                        confirmed_distinct_from=[c.project for c in candidates],
                    ),
                    url=lambda c: reverse("projects:detail", args=[c.project_id]),
                )
            except idempotency.AlreadySubmittedError as done:
                return done.response
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"已将该来访登记归入项目档案：{consultation.project.name}。")
                return redirect("projects:detail", pk=consultation.project_id)
    return render(request, "projects/consultation_to_project.html", context)
