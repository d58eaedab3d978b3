"""The weekly summary (周报): the page, its Excel (one sheet per section) and its formal PDF."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger import archive, exports
from ledger.filters import PeriodForm
from ledger.models import Export
from ledger.summary import Period, build_summary


def _period(request) -> tuple[PeriodForm, Period | None]:
    """The period asked for; with no parameters, last week (and the form shows it)."""
    today = timezone.localdate()
    if not request.GET.keys() & {"week", "start", "end"}:
        period = Period.last_week(today)
        return PeriodForm(initial={"week": period.week_value}, today=today), period
    form = PeriodForm(request.GET, today=today)
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["period"]


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


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def summary(request):
    form, period = _period(request)
    today = timezone.localdate()
    context = {
        "form": form,
        "shortcuts": _shortcuts(today),
        "summary": build_summary(period) if period else None,
        "archive_kinds": (Export.Kind.SUMMARY_XLSX, Export.Kind.SUMMARY_PDF),
    }
    return render(request, "ledger/summary.html", context)


def _refuse(request, form):
    errors = [e for errs in form.errors.values() for e in errs]
    messages.error(request, "期间有误，未导出：" + "；".join(errors))
    return redirect(f"{reverse('ledger:summary')}?{request.GET.urlencode()}")


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def export_xlsx(request):
    form, period = _period(request)
    if period is None:
        return _refuse(request, form)
    result = build_summary(period, full=True)
    return archive.issue_response(
        request,
        kind=Export.Kind.SUMMARY_XLSX,
        title=f"周报 {period.short}",
        content=exports.summary_workbook(result, exporter=request.user.name),
        content_type=archive.XLSX,
        filename=f"亲清帮办周报-{period.short}.xlsx",
        row_count=result.row_count,
        described=period.label,
    )


@require_GET
@permission_required("qinqing.view_summary", raise_exception=True)
def export_pdf(request):
    form, period = _period(request)
    if period is None:
        return _refuse(request, form)
    result = build_summary(period)
    content = exports.summary_pdf(result, maker=request.user.name)
    return archive.issue_response(
        request,
        kind=Export.Kind.SUMMARY_PDF,
        title=f"周报 {period.short}",
        content=content,
        content_type=archive.PDF,
        filename=f"亲清帮办周报-{period.short}.pdf",
        row_count=result.row_count,
        described=period.label,
    )
