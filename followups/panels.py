"""The supervision part's panel on the dossier page: the project's return visits, rectifications and
notices. Those who see the whole dossier see all of them; a unit's staff see those about their unit."""

from __future__ import annotations

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from projects.selectors import sees_whole_dossier
from qinqing.roles import Role


def dossier_panel(request, project) -> str | None:
    from followups.models import Notice, Rectification, Visit

    user = request.user
    visits = Visit.objects.filter(project=project).select_related("unit").order_by("-created_at", "-id")
    rectifications = Rectification.objects.filter(project=project).select_related("unit")
    notices = Notice.objects.filter(status=Notice.Status.ISSUED).filter(
        Q(visits__project=project) | Q(matters__project=project)
    )
    if not sees_whole_dossier(user, project):
        unit_id = user.department_id if user.has_role(Role.DEPARTMENT) else None
        if unit_id is None:
            return None
        visits = visits.filter(unit_id=unit_id)
        rectifications = rectifications.filter(unit_id=unit_id)
        notices = notices.filter(unit_id=unit_id)
    visits, rectifications, notices = (
        list(visits),
        list(rectifications),
        list(notices.distinct().select_related("unit")),
    )
    if not (visits or rectifications or notices):
        return None
    return render_to_string(
        "followups/_dossier_panel.html",
        {
            "project": project,
            "visits": visits,
            "rectifications": rectifications,
            "notices": notices,
            "today": timezone.localdate(),
            "can_manage": user.has_perm("qinqing.manage_followups"),
        },
        request=request,
    )
