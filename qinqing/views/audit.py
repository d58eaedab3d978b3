from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qinqing import selectors
from qinqing.filters import AuditFilter


@require_GET
@permission_required("qinqing.view_audit", raise_exception=True)
def audit_list(request):
    audit_filter = AuditFilter(request.GET, queryset=selectors.audit_queryset())
    page = Paginator(audit_filter.qs, 100).get_page(request.GET.get("page"))
    return render(request, "qinqing/audit_list.html", {"filter": audit_filter, "page": page})
