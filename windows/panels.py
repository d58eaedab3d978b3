"""The windows part's panel on the dossier page: hand-offs (with the first-responsible person),
problems and joint meetings of the project, with the actions the viewer may take."""

from __future__ import annotations

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from projects.selectors import project_matters_for, sees_whole_dossier, window_stage_ids
from qinqing.roles import Role


def dossier_panel(request, project) -> str:
    from windows.models import Handoff, Meeting, Problem

    user = request.user
    whole = sees_whole_dossier(user, project)
    handoffs = (
        Handoff.objects.filter(project=project)
        .select_related("project", "stage", "accepted_by")
        .order_by("stage__number", "handed_at")
    )
    problems = Problem.objects.filter(project=project).select_related("owner_unit", "stage")
    meetings = Meeting.objects.filter(projects=project)
    if not whole:
        stages = window_stage_ids(user)
        unit_id = user.department_id if user.has_role(Role.DEPARTMENT) else None
        # a window sees its stages' hand-offs; a unit those of the stages where it has matters on the project
        # (who is first-responsible for them): before, a unit saw none and read "尚未移交" after acceptance
        unit_stages = project_matters_for(user, project).values("matter__stage_id") if unit_id else []
        handoffs = handoffs.filter(Q(stage_id__in=stages) | Q(stage_id__in=unit_stages))
        problems = problems.filter(Q(stage_id__in=stages) | Q(owner_unit_id=unit_id or 0) | Q(raised_by=user))
        meetings = meetings.filter(
            Q(stage_id__in=stages) | Q(units=unit_id or 0) | Q(decisions__unit_id=unit_id or 0)
        ).distinct()
    handoffs = list(handoffs)
    for handoff in handoffs:
        handoff.viewable = user.has_perm("windows.view_handoff", handoff)
    return render_to_string(
        "windows/_dossier_panel.html",
        {
            "project": project,
            "handoffs": handoffs,
            "problems": problems,
            "meetings": meetings,
            "today": timezone.localdate(),
            "can_hand_off": user.has_perm("projects.change_project", project) and not project.is_closed,
            "can_raise": not project.is_closed,
        },
        request=request,
    )
