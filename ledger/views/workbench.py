"""The home page: what each role sees first when signing in."""

from datetime import timedelta

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger import selectors
from ledger.summary import Period, build_summary
from projects import selectors as project_selectors
from qinqing import selectors as ground
from qinqing.roles import Role
from windows.todo import todo_for


@require_GET
@permission_required("qinqing.view_workbench", raise_exception=True)
def workbench(request):
    """The home page: one panel for each role the user holds."""
    user = request.user
    context = {
        "is_specialist": user.has_role(Role.SPECIALIST),
        "is_window": user.has_role(Role.WINDOW),
        "is_department": user.has_role(Role.DEPARTMENT),
        "is_office": user.has_role(Role.OFFICE),
        "is_admin": user.has_role(Role.ADMIN),
        "is_auditor": user.has_role(Role.AUDITOR),
    }
    today = timezone.localdate()
    if user.has_perm("qinqing.view_projects"):
        context["todo"] = todo_for(user, today)
    if context["is_specialist"] or context["is_department"]:
        context["matters"] = project_selectors.matter_figures(user, today)
    if context["is_specialist"]:
        context["mine"] = project_selectors.specialist_figures(user, today)
    if user.has_perm("qinqing.view_ledger"):
        # background exports: whoever left the progress page finds them here
        context["jobs"] = selectors.recent_jobs(user, limit=5)
    if context["is_admin"]:
        context["accounts"] = selectors.account_summary()
    if context["is_auditor"]:
        context["security"] = ground.security_summary()
    if context["is_office"]:
        context["this_week"] = build_summary(Period.of(today - timedelta(days=today.weekday()), today))
    return render(request, "ledger/workbench.html", context)
