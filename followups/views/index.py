"""The supervision overview: what waits, this month's figures, and the way into each task."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from followups import selectors
from followups.models import Escalation, Notice, Rectification, Visit


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def index(request):
    user = request.user
    today = timezone.localdate()
    month_start = today.replace(day=1)
    rectifications = selectors.rectifications_for(user)
    context = {
        "office": selectors.is_office(user),
        "figures": selectors.summary_figures(month_start, today),
        "month_start": month_start,
        "today": today,
        "planned": selectors.visits_for(user).filter(status=Visit.Status.PLANNED).count(),
        "open_rectifications": rectifications.exclude(status=Rectification.Status.CLOSED).count(),
        "overdue_rectifications": list(rectifications.overdue(today).order_by("due_on", "id")[:10]),
        "to_check": list(rectifications.filter(status=Rectification.Status.RECTIFIED).order_by("rectified_on")[:10]),
        "drafts": selectors.notices_for(user).filter(status=Notice.Status.DRAFT).count(),
        "recent_notices": list(selectors.notices_for(user).filter(status=Notice.Status.ISSUED)[:5]),
        "open_escalations": selectors.escalations_for(user).filter(status=Escalation.Status.OPEN).count(),
        "recent_inspections": list(selectors.inspections_for(user)[:5]),
    }
    return render(request, "followups/index.html", context)
