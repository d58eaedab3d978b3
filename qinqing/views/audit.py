from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from qinqing import audit, second_factor, selectors, xlsx
from qinqing.filters import AuditFilter
from qinqing.models import AuditEntry


@require_GET
@permission_required("qinqing.view_audit", raise_exception=True)
def audit_list(request):
    audit_filter = AuditFilter(request.GET, queryset=selectors.audit_queryset())
    page = Paginator(audit_filter.qs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "qinqing/audit_list.html",
        {
            "filter": audit_filter,
            "page": page,
            "rows": audit.shown(page),
            "querystring": request.GET.urlencode(),
            "limit": selectors.AUDIT_EXPORT_LIMIT,
            "pending_auditors": second_factor.pending_auditors().count(),
        },
    )


@require_GET
@permission_required("qinqing.view_audit", raise_exception=True)
def audit_export(request):
    """The filtered audit log as an Excel workbook; the export is itself a row of the log."""
    audit_filter = AuditFilter(request.GET, queryset=selectors.audit_queryset())
    back = redirect(f"{reverse('audit:list')}?{request.GET.urlencode()}")
    if not audit_filter.form.is_valid():
        messages.error(request, "查询条件有误，请按页面提示修改后再导出。")
        return back
    entries = audit_filter.qs
    total = entries.count()
    if total > selectors.AUDIT_EXPORT_LIMIT:
        messages.error(
            request,
            f"符合条件的记录有 {total} 条，超过单次导出上限 {selectors.AUDIT_EXPORT_LIMIT} 条，请缩小日期范围后分批导出。",
        )
        return back
    described = audit_filter.describe()
    now = timezone.localtime()
    workbook = xlsx.new_workbook()
    count = xlsx.write_table(
        workbook,
        "审计日志",
        "亲清帮办 · 审计日志",
        f"条件：{described}    导出人：{request.user.name}    导出时间：{now:%Y-%m-%d %H:%M}    共 {total} 条",
        selectors.AUDIT_COLUMNS,
        selectors.AUDIT_WIDTHS,
        selectors.audit_rows(entries),
    )
    content = xlsx.saved(workbook)
    audit.record(
        action=AuditEntry.Action.EXPORT,
        request=request,
        detail=f"导出审计日志 {count} 条；条件：{described}",
    )
    filename = f"审计日志-{now:%Y%m%d-%H%M}.xlsx"
    response = HttpResponse(content, content_type=xlsx.XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
