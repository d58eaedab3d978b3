"""The administrator's working-day calendar: which years are known, and entering a year."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from qinqing import calendar_text, services
from qinqing.forms import CalendarYearForm, add_service_errors
from qinqing.models import CalendarYear
from qinqing.workdays import Source, WorkCalendar

manage_calendar = permission_required("qinqing.manage_calendar", raise_exception=True)

SOURCE_LABELS = {
    Source.DATABASE: "管理员录入",
    Source.OFFICIAL: "国务院公布（内置数据）",
    Source.PROVISIONAL: "未公布：暂按法定节假日和周一至周五计算",
}


@require_GET
@manage_calendar
def calendar_list(request):
    this_year = timezone.localdate().year
    entered = {c.year: c for c in CalendarYear.objects.select_related("entered_by")}
    years = sorted(set(range(this_year - 1, this_year + 2)) | set(entered), reverse=True)
    calendar = WorkCalendar()
    rows = []
    for year in years:
        source = calendar.source(date(year, 1, 1))
        rows.append(
            {
                "year": year,
                "source": SOURCE_LABELS[source],
                "provisional": source is Source.PROVISIONAL,
                "entered": entered.get(year),
            }
        )
    return render(request, "qinqing/calendar_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@manage_calendar
def calendar_edit(request, year: int):
    if not 2000 <= year <= 2100:
        raise Http404
    existing = CalendarYear.objects.filter(year=year).first()
    if existing is not None:
        entries = [calendar_text.Entry(d.date, d.kind, d.name) for d in existing.days.order_by("date")]
        initial = {"source": existing.source, "days": calendar_text.render(entries), "version": existing.version}
    else:
        official = calendar_text.official_entries(year)
        initial = {
            "source": "国务院办公厅节假日安排通知（内置数据）" if official else "",
            "days": calendar_text.render(official),
        }
    form = CalendarYearForm(request.POST if request.method == "POST" else None, initial=initial, year=year)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_year_save(
                actor=request.user,
                request=request,
                year=year,
                source=form.cleaned_data["source"],
                entries=form.cleaned_data["days"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{year} 年工作日历已保存，此后计算的办理时限按此执行。")
            return redirect("staff:calendar_list")
    return render(request, "qinqing/calendar_form.html", {"form": form, "year": year, "existing": existing})
