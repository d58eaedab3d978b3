"""The summary (周报 / 月报 / 专报): the page, its Excel (one sheet per section) and its formal PDF;
the office's narrative kept as a draft on the page, then the summary issued once and frozen."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ledger import archive, exports, summary_issues
from ledger.filters import PeriodForm
from ledger.models import Export
from ledger.summary import Period, build_summary
from qinqing.forms import StyledForm, add_service_errors


class NarrativeForm(StyledForm):
    """The narrative sections the office writes before issuing; the draft's version guards against a
    second person's save being overwritten."""

    work = forms.CharField(
        label="一、工作开展情况",
        required=False,
        max_length=summary_issues.NARRATIVE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="本期帮办服务、协调推进、回访督查等主要工作。",
    )
    problems = forms.CharField(
        label="二、存在问题",
        required=False,
        max_length=summary_issues.NARRATIVE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    plans = forms.CharField(
        label="三、下步打算",
        required=False,
        max_length=summary_issues.NARRATIVE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _period_from(data) -> tuple[PeriodForm, Period | None]:
    form = PeriodForm(data, today=timezone.localdate())
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["period"]


def _period(request) -> tuple[PeriodForm, Period | None]:
    """The period asked for; with no parameters, last week (and the form shows it)."""
    today = timezone.localdate()
    if not request.GET.keys() & {"week", "start", "end"}:
        period = Period.last_week(today)
        return PeriodForm(initial={"week": period.week_value}, today=today), period
    return _period_from(request.GET)


def _shortcuts(today) -> list[tuple[str, Period]]:
    this_week = Period.last_week(today + timedelta(days=7))
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return [
        ("上周", Period.last_week(today)),
        ("本周", this_week),
        ("上月", Period.of(last_month_end.replace(day=1), last_month_end)),
        ("本月至今", Period.of(first_of_month, today)),
    ]


def _page(request, form, period, *, narrative_form=None, status=200):
    today = timezone.localdate()
    issue = summary_issues.issue_for(period) if period else None
    if period and narrative_form is None and not (issue and issue.issued):
        initial = {"version": issue.version} if issue else {}
        if issue:
            initial.update(work=issue.work, problems=issue.problems, plans=issue.plans)
        narrative_form = NarrativeForm(initial=initial)
    context = {
        "form": form,
        "shortcuts": _shortcuts(today),
        "summary": build_summary(period) if period else None,
        "issue": issue,
        "narrative_form": narrative_form,
        "period_running": bool(period) and period.end >= today,
        "narratives": [(label, getattr(issue, name)) for name, label in summary_issues.NARRATIVES] if issue else [],
        "archive_kinds": (Export.Kind.SUMMARY_XLSX, Export.Kind.SUMMARY_PDF),
    }
    return render(request, "ledger/summary.html", context, status=status)


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def summary(request):
    form, period = _period(request)
    return _page(request, form, period)


def _back(period: Period) -> str:
    return f"{reverse('ledger:summary')}?{period.querystring()}#narrative"


@require_POST
@permission_required("qinqing.view_summary", raise_exception=True)
def narrative_save(request):
    """Save the narrative as a draft; on any refusal the page shows the text as typed, nothing lost."""
    form, period = _period_from(request.POST)
    if period is None:
        messages.error(request, "期间有误，草稿未保存：" + "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("ledger:summary")
    narrative = NarrativeForm(request.POST)
    if narrative.is_valid():
        data = narrative.cleaned_data
        try:
            summary_issues.summary_draft_save(
                actor=request.user, request=request, period=period, version=data["version"],
                work=data["work"], problems=data["problems"], plans=data["plans"],
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(narrative, error)
        else:
            messages.success(request, "草稿已保存。")
            return redirect(_back(period))
    return _page(request, form, period, narrative_form=narrative, status=400)


@require_POST
@permission_required("qinqing.view_summary", raise_exception=True)
def issue(request):
    """Issue the period's summary from its saved draft: numbered, archived, frozen."""
    form, period = _period_from(request.POST)
    if period is None:
        messages.error(request, "期间有误，未印发：" + "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("ledger:summary")
    if request.POST.get("confirm") != "1":
        messages.error(request, "未印发：请勾选“已核对，印发后不能再修改”。")
        return redirect(_back(period))
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, "请先保存草稿，再印发。")
        return redirect(_back(period))
    try:
        issued = summary_issues.summary_issue(actor=request.user, request=request, period=period, version=version)
    except ValidationError as error:
        messages.error(request, "未印发：" + "；".join(error.messages))
        return redirect(_back(period))
    messages.success(request, f"已印发 {issued.kind} {issued.number_label}，PDF 和 Excel 已存入导出记录。")
    return redirect(_back(period))


def _refuse(request, form):
    errors = [e for errs in form.errors.values() for e in errs]
    messages.error(request, "期间有误，未导出：" + "；".join(errors))
    return redirect(f"{reverse('ledger:summary')}?{request.GET.urlencode()}")


def _issued_file(period: Period, kind: str):
    """An issued summary's archived file: what every later download of that period returns."""
    issue = summary_issues.issue_for(period)
    if issue is None or not issue.issued:
        return None, issue
    export = issue.pdf if kind == Export.Kind.SUMMARY_PDF else issue.xlsx
    return redirect("ledger:export_download", pk=export.pk), issue


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def export_xlsx(request):
    form, period = _period(request)
    if period is None:
        return _refuse(request, form)
    issued, issue = _issued_file(period, Export.Kind.SUMMARY_XLSX)
    if issued is not None:
        return issued
    result = build_summary(period, full=True)
    return archive.issue_response(
        request,
        kind=Export.Kind.SUMMARY_XLSX,
        title=summary_issues.document_title(period),
        content=exports.summary_workbook(result, exporter=request.user.name, issue=issue),
        content_type=archive.XLSX,
        filename=f"{summary_issues.file_stem(period)}.xlsx",
        row_count=result.row_count,
        described=period.label,
        save=True,  # a plain link (a refused period comes back to the page with its message)
    )


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def export_pdf(request):
    form, period = _period(request)
    if period is None:
        return _refuse(request, form)
    issued, issue = _issued_file(period, Export.Kind.SUMMARY_PDF)
    if issued is not None:
        return issued
    result = build_summary(period)
    return archive.issue_response(
        request,
        kind=Export.Kind.SUMMARY_PDF,
        title=summary_issues.document_title(period),
        content=exports.summary_pdf(result, maker=request.user.name, issue=issue),
        content_type=archive.PDF,
        filename=f"{summary_issues.file_stem(period)}.pdf",
        row_count=result.row_count,
        described=period.label,
        save=True,
    )
