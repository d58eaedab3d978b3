"""Reads of the dossier part, shared by its pages and by the ledger, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from projects.models import Consultation, Project, ProjectMatter, Stage, TimelineEntry
from qinqing.roles import Role, user_roles
from qinqing.validators import int_or_none


def window_stage_ids(user) -> list[int]:
    """The stages whose comprehensive window ``user`` staffs (cached on the user for the request)."""
    if Role.WINDOW not in user_roles(user):
        return []
    cached = getattr(user, "_window_stage_ids", None)
    if cached is None:
        cached = sorted(user.window_stages.values_list("pk", flat=True))
        user._window_stage_ids = cached
    return cached


def matter_scope(user, prefix: str = "") -> Q | None:
    """Which project matters ``user`` may see, as a condition (``None``: all). ``prefix`` lets a query
    on projects use it (``"matters__"``). The reform office sees all; a specialist the matters of
    their projects; department staff their unit's; window staff their stages'."""
    roles = user_roles(user)
    if Role.OFFICE in roles:
        return None
    scope = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    if Role.SPECIALIST in roles:
        scope |= Q(**{f"{prefix}project__specialist": user})
    if Role.DEPARTMENT in roles and user.department_id:
        scope |= Q(**{f"{prefix}unit_id": user.department_id})
    stages = window_stage_ids(user)
    if stages:
        scope |= Q(**{f"{prefix}matter__stage_id__in": stages})
    return scope


def projects_for(user) -> QuerySet[Project]:
    """The projects ``user`` may see: all for the reform office; a specialist their own; department
    staff those with a matter of their unit; window staff those with a matter in (or standing at) their
    stage; a union for several roles."""
    roles = user_roles(user)
    if Role.OFFICE in roles:
        return Project.objects.all()
    scope = Q(pk__in=[])
    if Role.SPECIALIST in roles:
        scope |= Q(specialist=user)
    if Role.DEPARTMENT in roles and user.department_id:
        scope |= Q(Exists(ProjectMatter.objects.filter(project=OuterRef("pk"), unit_id=user.department_id)))
    stages = window_stage_ids(user)
    if stages:
        in_stage = ProjectMatter.objects.filter(project=OuterRef("pk"), matter__stage_id__in=stages)
        scope |= Q(Exists(in_stage)) | Q(current_stage_id__in=stages)
    return Project.objects.filter(scope)


def project_matters_for(user, project: Project | None = None) -> QuerySet[ProjectMatter]:
    """The project matters ``user`` may see."""
    matters = ProjectMatter.objects.all()
    if project is not None:
        matters = matters.filter(project=project)
    scope = matter_scope(user)
    return matters if scope is None else matters.filter(scope)


def sees_whole_dossier(user, project: Project) -> bool:
    """The reform office and the project's own specialist see the whole dossier; window and
    department staff see their stage's or unit's part."""
    roles = user_roles(user)
    return Role.OFFICE in roles or (Role.SPECIALIST in roles and project.specialist_id == user.pk)


def project_list(user, *, text: str = "", status: str = "", stage: str = "", mine: bool = False) -> QuerySet[Project]:
    projects = projects_for(user).search(text)
    if status:
        projects = projects.filter(status=status)
    if int_or_none(stage) is not None:
        projects = projects.filter(current_stage__number=int_or_none(stage))
    if mine:
        projects = projects.filter(specialist=user)
    # progress counts only the matters the user may see (department staff: their unit's)
    visible = matter_scope(user, prefix="matters__") or Q()
    # an explicit order: Meta.ordering does not apply to a query with GROUP BY
    return (
        projects.select_related("specialist", "current_stage")
        .annotate(
            matters_total=Count("matters", filter=visible & ~Q(matters__status=ProjectMatter.Status.WITHDRAWN)),
            matters_done=Count("matters", filter=visible & Q(matters__status=ProjectMatter.Status.DONE)),
        )
        .order_by("-registered_on", "-id")
    )


@dataclass
class StageGroup:
    stage: Stage
    matters: list[ProjectMatter] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(pm.status == ProjectMatter.Status.DONE for pm in self.matters)


def dossier_matters(user, project: Project, today: date) -> list[StageGroup]:
    """The matters of a dossier grouped by stage, each with its warning state."""
    matters = (
        project_matters_for(user, project)
        .select_related("matter", "matter__stage", "unit", "handler")
        .prefetch_related("pauses")
        .order_by("matter__stage__number", "matter_id", "id")
    )
    groups: dict[int, StageGroup] = {}
    for pm in matters:
        pm.project = project
        pm.warning = pm.warning_on(today)
        pm.can_change = user.has_perm("projects.change_projectmatter", pm)
        groups.setdefault(pm.matter.stage_id, StageGroup(pm.matter.stage)).matters.append(pm)
    return list(groups.values())


def dossier_timeline(user, project: Project, *, limit: int | None = None) -> QuerySet[TimelineEntry]:
    entries = project.timeline.select_related("actor", "project_matter")
    if not sees_whole_dossier(user, project):
        about = Q(project_matter__in=project_matters_for(user, project))
        if Role.DEPARTMENT in user_roles(user) and user.department_id:
            about |= Q(unit_id=user.department_id)
        if window_stage_ids(user):
            about |= Q(stage_id__in=window_stage_ids(user))
        entries = entries.filter(about)
    return entries[:limit] if limit else entries


def consultations_for(user) -> QuerySet[Consultation]:
    """Consultations are whole-dossier content: the office and window staff see all, a specialist those
    they recorded or that belong to their own projects (not projects seen only through a unit)."""
    roles = user_roles(user)
    consultations = Consultation.objects.select_related("project", "recorded_by").prefetch_related("matters")
    if Role.OFFICE in roles:
        return consultations
    scope = Q(recorded_by=user) | Q(project__specialist=user)
    if window_stage_ids(user):
        # the hall's general enquiries, and the consultations of projects at their stage
        scope |= Q(project__isnull=True) | Q(project__in=projects_for(user))
    return consultations.filter(scope)


def unit_matters(
    user, *, warning: str = "", status: str = "", stage: int | None = None, today: date
) -> QuerySet[ProjectMatter]:
    """A department's (or a specialist's) working list of matters, most urgent first."""
    matters = project_matters_for(user).with_warning(today).select_related("project", "matter", "matter__stage", "unit")
    matters = matters.filter(status=status) if status else matters.exclude(status__in=ProjectMatter.FINAL_STATUSES)
    if warning:
        matters = matters.filter(warning_state=warning)
    if stage is not None:
        matters = matters.filter(matter__stage__number=stage)
    return matters.order_by("due_on", "project_id", "id")


def matter_figures(user, today: date) -> dict[str, int]:
    """Open matters in ``user``'s scope: how many, how many near due, overdue, waiting for materials."""
    is_open = Q(status__in=ProjectMatter.OPEN_STATUSES)
    return project_matters_for(user).aggregate(
        open=Count("id", filter=is_open),
        warning=Count("id", filter=is_open & Q(warn_on__lte=today, due_on__gte=today)),
        overdue=Count("id", filter=is_open & Q(due_on__lt=today)),
        paused=Count("id", filter=Q(status=ProjectMatter.Status.SUPPLEMENT)),
        pending=Count("id", filter=Q(status=ProjectMatter.Status.PENDING)),
    )


def specialist_figures(user, today: date) -> dict[str, int]:
    """A specialist's own dossiers by status, and the visits logged today."""
    figures = Project.objects.filter(specialist=user).aggregate(
        consulting=Count("id", filter=Q(status=Project.Status.CONSULTING)),
        active=Count("id", filter=Q(status=Project.Status.ACTIVE)),
        on_hold=Count("id", filter=Q(status=Project.Status.ON_HOLD)),
    )
    figures["visits_today"] = Consultation.objects.filter(recorded_by=user, visited_at__date=today).count()
    return figures
