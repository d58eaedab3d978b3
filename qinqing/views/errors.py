"""Plain Chinese error pages; a denied access is written to the audit log."""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from qinqing import audit
from qinqing.models import AuditEntry


@requires_csrf_token
def permission_denied(request, exception=None):
    audit.record(
        action=AuditEntry.Action.ACCESS_DENIED,
        request=request,
        result=AuditEntry.Result.DENIED,
        detail=(str(exception) if exception else "无权访问")[:500],
    )
    return render(request, "403.html", status=403)


@requires_csrf_token
def bad_request(request, exception=None):
    """A request the hall cannot read (a malformed form, a control character in a query)."""
    return render(request, "400.html", {"reason": ""}, status=400)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request context: the database may be the thing that failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
