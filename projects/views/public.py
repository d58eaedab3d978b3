"""The applicant's progress look-up: no login, project code plus the last four digits of the phone.

It shows the stage and the matters' statuses, nothing else (no people, no notes). Every try is in
the audit log, which is also the rate limit: too many failures from one address, or against one
project code, in the window and the look-up refuses for a while. A wrong pair never says which half
was wrong."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from projects.forms import ProgressLookupForm
from projects.models import Project, ProjectMatter
from qinqing import audit
from qinqing.masking import phone_last4
from qinqing.models import AuditEntry

NOT_FOUND = "未找到与该项目代码和电话后四位相符的项目，请核对后重试；如有疑问请致电亲清帮办服务窗口。"


def _too_many(ip: str | None, code: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.PROGRESS_LOOKUP_WINDOW_MINUTES)
    failures = AuditEntry.objects.filter(
        action=AuditEntry.Action.PROGRESS_LOOKUP, result=AuditEntry.Result.FAILURE, created_at__gte=since
    )
    limit = settings.PROGRESS_LOOKUP_FAILURES
    return failures.filter(ip=ip).count() >= limit or failures.filter(detail=f"项目代码 {code}").count() >= limit * 3


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def progress_lookup(request):
    form = ProgressLookupForm(request.POST if request.method == "POST" else None)
    result = None
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        ip = audit.client_ip(request)
        if _too_many(ip, code):
            error = f"查询次数过多，请 {settings.PROGRESS_LOOKUP_WINDOW_MINUTES} 分钟后再试。"
            audit.record(
                action=AuditEntry.Action.PROGRESS_LOOKUP,
                request=request,
                result=AuditEntry.Result.DENIED,
                detail=f"项目代码 {code}",
                username="（申请人）",
            )
        else:
            project = Project.objects.select_related("current_stage").filter(code=code).first()
            given = form.cleaned_data["phone_last4"]
            expected = phone_last4(project.contact_phone) if project is not None else "----"
            matched = project is not None and constant_time_compare(expected, given)
            audit.record(
                action=AuditEntry.Action.PROGRESS_LOOKUP,
                request=request,
                obj=project if matched else None,
                result=AuditEntry.Result.SUCCESS if matched else AuditEntry.Result.FAILURE,
                detail=f"项目代码 {code}",
                username="（申请人）",
            )
            if matched:
                matters = (
                    project.matters.exclude(status=ProjectMatter.Status.WITHDRAWN)
                    .select_related("matter", "matter__stage")
                    .order_by("matter__stage__number", "matter_id", "id")
                )
                result = {
                    "code": project.code,
                    "stage": project.current_stage.name if project.current_stage_id else "",
                    "status": project.status,
                    "matters": [(pm.matter.stage.number, pm.matter.name, pm.status) for pm in matters],
                }
            else:
                error = NOT_FOUND
    return render(request, "projects/progress_lookup.html", {"form": form, "result": result, "error": error})
