"""人员交接, the dossier's share: a specialist's open projects move to another specialist.

Registered with ``qinqing.handover`` (see ``ProjectsConfig.ready``) so disabling an account lists and
hands over the projects; the reform office's bulk page (``windows.handover``) calls ``move_specialist``
for the projects it ticks. Every move is locked, checked against the version the page showed,
recorded on the dossier timeline and in the audit log, in the caller's transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from projects import timeline
from projects.models import Consultation, Project, ProjectMatter
from qinqing import audit, handover
from qinqing.models import AuditEntry, User
from qinqing.roles import Role, user_roles
from qinqing.services import lock_for_update

CLOSED = (Project.Status.COMPLETED, Project.Status.TERMINATED, Project.Status.MERGED)


def open_projects(user) -> QuerySet[Project]:
    """The projects ``user`` is 帮办专员 of and that are not closed."""
    return Project.objects.filter(specialist=user).exclude(status__in=CLOSED).order_by("name", "pk")


def can_be_specialist(successor) -> bool:
    return successor.is_active and Role.SPECIALIST in user_roles(successor)


def specialist_refusal(successor) -> str:
    return f"接手人{successor.name}不是在用的帮办专员，不能接手在办项目。"


def move_specialist(
    *,
    project_id: int,
    from_user: User,
    successor: User,
    actor: User,
    request: HttpRequest | None,
    reason: str,
    version: int | None = None,
    batch: str = "",
) -> Project:
    """Make ``successor`` the 帮办专员 of one project ``from_user`` holds; refused if stale."""
    project = lock_for_update(Project, project_id, version=version)
    if project.specialist_id != from_user.pk or project.status in CLOSED:
        raise ValidationError(
            f"项目“{project.name}”已不由{from_user.name}负责或已办结，请刷新后重试。", code="not_held"
        )
    if not can_be_specialist(successor):
        raise ValidationError(specialist_refusal(successor), code="wrong_successor")
    project.specialist = successor
    project.version += 1
    project._change_reason = f"人员交接：{reason}"
    project._history_user = actor
    project.save()
    timeline.record(
        project,
        timeline.Kind.PROJECT,
        actor,
        f"人员交接：帮办专员由{from_user.name}改为{successor.name}（原因：{reason}）",
        detail={"帮办专员": [from_user.name, successor.name], "原因": reason, "批次": batch},
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=project,
        before={"帮办专员": from_user.name},
        after={"帮办专员": successor.name},
        detail=f"人员交接{('（' + batch + '）') if batch else ''}：{reason}",
    )
    return project


# --- the provider for disabling an account -------------------------------------------------------


def _holdings(user) -> list[handover.Holding]:
    projects = list(open_projects(user).values_list("pk", "name"))
    matters = list(
        ProjectMatter.objects.open()
        .filter(handler=user)
        .values_list("pk", "project__name", "matter__name")
        .order_by("pk")
    )
    pending = list(
        Consultation.objects.filter(
            recorded_by=user, outcome=Consultation.Outcome.PENDING, project__isnull=True
        ).values_list("pk", "visitor_name")
    )
    return [
        handover.Holding(
            key="projects",
            label="在办项目（帮办专员）",
            ids=tuple(pk for pk, _ in projects),
            examples=tuple(name for _, name in projects[:5]),
            role=Role.SPECIALIST,
        ),
        handover.Holding(
            key="matters",
            label="经办的在办事项",
            ids=tuple(pk for pk, *_ in matters),
            examples=tuple(f"{project} · {matter}" for _, project, matter in matters[:5]),
            note="事项由责任单位（或阶段窗口）继续办理，不随人移交。",
        ),
        handover.Holding(
            key="consultations",
            label="未关联项目的待答复咨询",
            ids=tuple(pk for pk, _ in pending),
            examples=tuple(name for _, name in pending[:5]),
            note="请在停用前答复或转为项目档案；停用后区工改办可在“咨询登记”中查看。",
        ),
    ]


def _refusals(user, successor) -> list[str]:
    if open_projects(user).exists() and not can_be_specialist(successor):
        return [specialist_refusal(successor)]
    return []


def _hand_over(*, user, successor, actor, request, reason) -> int:
    ids = list(open_projects(user).values_list("pk", flat=True))
    for pk in ids:
        move_specialist(project_id=pk, from_user=user, successor=successor, actor=actor, request=request, reason=reason)
    return len(ids)


PROVIDER = handover.Provider(name="projects", holdings=_holdings, refusals=_refusals, hand_over=_hand_over)
