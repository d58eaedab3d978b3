"""The exchange with the city's approval system, as people see it: the runs, the inbox of rows left for a
person (the office all of them, a unit its own), settling an item, and starting a run by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.exchange import inbox, staging
from projects.exchange.models import ExchangeIssue, ExchangeRun
from projects.exchange.tasks import exchange_task
from projects.forms import ExchangeSettleForm
from qinqing.forms import add_service_errors

view_exchange = permission_required("qinqing.view_exchange", raise_exception=True)


@require_GET
@view_exchange
def exchange_index(request):
    state = request.GET.get("status") or ExchangeIssue.Status.OPEN
    if state not in ExchangeIssue.Status.values and state != "all":
        state = ExchangeIssue.Status.OPEN
    issues = inbox.issues_for(request.user)
    shown = issues if state == "all" else issues.filter(status=state)
    page = Paginator(shown, 50).get_page(request.GET.get("page"))
    office = request.user.has_perm("qinqing.run_exchange")
    return render(
        request,
        "projects/exchange.html",
        {
            "page": page,
            "state": state,
            "states": [(ExchangeIssue.Status.OPEN, "待处理"), ("all", "全部")],
            "open_count": issues.filter(status=ExchangeIssue.Status.OPEN).count(),
            "runs": ExchangeRun.objects.select_related("requested_by")[:10] if office else [],
            "may_run": office,
        },
    )


@require_http_methods(["GET", "POST"])
@view_exchange
def exchange_issue(request, pk: int):
    issue = inbox.issues_for(request.user).filter(pk=pk).first()
    if issue is None:
        raise Http404("没有这条交换待办，或不在您的范围内。")
    form = ExchangeSettleForm(request.POST or None, initial={"version": issue.version})
    if request.method == "POST" and form.is_valid():
        try:
            inbox.settle(
                actor=request.user,
                request=request,
                issue_id=issue.pk,
                version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "已记录处理情况。")
            return redirect("projects:exchange")
    return render(
        request,
        "projects/exchange_issue.html",
        {
            "issue": issue,
            "form": form,
            "payload": [
                (f"{staging.LABELS.get(key, key)}（{key}）", value) for key, value in sorted(issue.payload.items())
            ],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@permission_required("qinqing.run_exchange", raise_exception=True)
def exchange_run(request):
    """Queue a run now on the background worker (the page never waits for the staging database)."""
    exchange_task.enqueue(requested_by_id=request.user.pk)
    messages.success(request, "已请后台立即交换一次，完成后本页“交换记录”中可见。")
    return redirect("projects:exchange")
