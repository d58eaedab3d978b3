"""人员交接: moving a specialist's or a window clerk's open projects to someone else.

This part is the highest that owns both kinds of personal work on a project — the 帮办专员
(``projects.Project.specialist``) and the 首问负责人 of an accepted hand-off (``Handoff.accepted_by``)
— so the reform office's bulk reassignment lives here: ``reassign`` moves, for each ticked project,
whatever the from-person holds on it, in one transaction, refused whole when a project changed
since the page was drawn or the successor cannot do the work. ``PROVIDER`` tells the account pages
(``qinqing.handover``) what a window clerk holds when their account is disabled."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest

from projects import handover as project_handover
from projects import timeline
from projects.models import Project
from projects.selectors import window_stage_ids
from qinqing import audit, handover
from qinqing.models import AuditEntry, User
from qinqing.roles import Role, user_roles
from qinqing.services import lock_for_update
from windows.models import Handoff, Problem

CLOSED = project_handover.CLOSED


def accepted_handoffs(user):
    """The stages ``user`` is 首问负责人 of, on projects still open."""
    return (
        Handoff.objects.filter(accepted_by=user, status=Handoff.Status.ACCEPTED)
        .exclude(project__status__in=CLOSED)
        .select_related("project", "stage")
        .order_by("project__name", "stage__number", "pk")
    )


def can_be_first(successor, handoff: Handoff) -> bool:
    return (
        successor.is_active and Role.WINDOW in user_roles(successor) and handoff.stage_id in window_stage_ids(successor)
    )


def first_refusal(successor, handoff: Handoff) -> str:
    return (
        f"接手人{successor.name}不是“{handoff.stage.window_label}”的在用窗口人员，"
        f"不能作为“{handoff.project.name}”{handoff.stage.name}的首问负责人。"
    )


def move_first(
    *,
    handoff_id: int,
    from_user: User,
    successor: User,
    actor: User,
    request: HttpRequest | None,
    reason: str,
    version: int | None = None,
    batch: str = "",
) -> Handoff:
    """Make ``successor`` the 首问负责人 of one accepted hand-off ``from_user`` holds; refused if stale."""
    handoff = lock_for_update(Handoff, handoff_id, version=version)
    if handoff.accepted_by_id != from_user.pk or handoff.status != Handoff.Status.ACCEPTED:
        raise ValidationError(
            f"“{handoff.project.name}”{handoff.stage.name}的首问负责人已不是{from_user.name}，请刷新后重试。",
            code="not_held",
        )
    if not can_be_first(successor, handoff):
        raise ValidationError(first_refusal(successor, handoff), code="wrong_successor")
    handoff.accepted_by = successor
    handoff.version += 1
    handoff._change_reason = f"人员交接：{reason}"
    handoff._history_user = actor
    handoff.save()
    timeline.record(
        handoff.project,
        timeline.Kind.HANDOFF,
        actor,
        f"人员交接：{handoff.stage.name}首问负责人由{from_user.name}改为{successor.name}（原因：{reason}）",
        stage=handoff.stage,
        obj=handoff,
        detail={"首问负责人": [from_user.name, successor.name], "原因": reason, "批次": batch},
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=handoff,
        before={"首问负责人": from_user.name},
        after={"首问负责人": successor.name},
        detail=f"人员交接{('（' + batch + '）') if batch else ''}：{reason}",
    )
    return handoff


# --- what one person holds, project by project (the bulk page) ------------------------------------


@dataclass
class Row:
    """One open project and what the from-person holds on it."""

    project: Project
    as_specialist: bool
    handoffs: list[Handoff] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        """The project and the rows that would change, with their versions: ``12.3:s:h7.1``."""
        parts = [f"{self.project.pk}.{self.project.version}"]
        if self.as_specialist:
            parts.append("s")
        parts += [f"h{h.pk}.{h.version}" for h in self.handoffs]
        return ":".join(parts)

    @property
    def roles(self) -> str:
        labels = ["帮办专员"] if self.as_specialist else []
        labels += [f"{h.stage.name}首问负责人" for h in self.handoffs]
        return "、".join(labels)


STAMP = re.compile(r"(\d+)\.(\d+)((?::s)?(?::h\d+\.\d+)*)")


def rows_for(from_user: User, project_ids: list[int] | None = None) -> list[Row]:
    projects = project_handover.open_projects(from_user).select_related("current_stage")
    handoffs = accepted_handoffs(from_user)
    if project_ids is not None:
        projects = projects.filter(pk__in=project_ids)
        handoffs = handoffs.filter(project_id__in=project_ids)
    rows: dict[int, Row] = {p.pk: Row(p, True) for p in projects}
    for handoff in handoffs:
        rows.setdefault(handoff.project_id, Row(handoff.project, False)).handoffs.append(handoff)
    return sorted(rows.values(), key=lambda row: (row.project.name, row.project.pk))


@dataclass
class Holder:
    user: User
    projects: int
    firsts: int

    @property
    def unassigned(self) -> bool:
        """Work held by a disabled account: nobody is looking after it (无人负责)."""
        return not self.user.is_active


def holders() -> list[Holder]:
    """Everyone holding open projects as 帮办专员 or 首问负责人, disabled accounts (无人负责) first."""
    projects = Counter(
        dict(
            Project.objects.exclude(status__in=CLOSED)
            .order_by()
            .values_list("specialist")
            .annotate(n=Count("pk"))
            .values_list("specialist", "n")
        )
    )
    firsts = Counter(
        dict(
            Handoff.objects.filter(status=Handoff.Status.ACCEPTED, accepted_by__isnull=False)
            .exclude(project__status__in=CLOSED)
            .order_by()
            .values_list("accepted_by")
            .annotate(n=Count("pk"))
            .values_list("accepted_by", "n")
        )
    )
    users = User.objects.filter(pk__in=set(projects) | set(firsts))
    result = [Holder(user, projects[user.pk], firsts[user.pk]) for user in users]
    return sorted(result, key=lambda h: (h.user.is_active, h.user.display_name, h.user.pk))


def successors():
    """Who may receive projects: active specialists and window clerks."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SPECIALIST, Role.WINDOW])
        .distinct()
        .prefetch_related("groups", "window_stages")
        .order_by("display_name", "pk")
    )


# --- the bulk reassignment ---------------------------------------------------------------------


@transaction.atomic
def reassign(
    *,
    actor: User,
    request: HttpRequest | None,
    from_user_id: int,
    to_user_id: int,
    stamps: list[str],
    reason: str,
) -> int:
    """Move what ``from_user`` holds on each ticked project (its stamp from the page) to ``to_user``.

    All or nothing: a project changed since the page was drawn, or one the successor cannot take
    (not a specialist; not a window clerk of the hand-off's stage), refuses the whole batch."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写交接原因。", code="reason_required")
    parsed: dict[int, str] = {}
    for stamp in stamps:
        match = STAMP.fullmatch(stamp or "")
        if not match:
            raise ValidationError("所选项目无法识别，请刷新页面后重新勾选。", code="bad_stamp")
        parsed[int(match.group(1))] = stamp
    if not parsed:
        raise ValidationError("请至少勾选一个项目。", code="none_ticked")
    from_user = User.objects.get(pk=from_user_id)
    to_user = User.objects.get(pk=to_user_id)
    if from_user.pk == to_user.pk:
        raise ValidationError("接手人不能是原负责人本人。", code="same_person")
    if not to_user.is_active:
        raise ValidationError(f"接手人{to_user.name}的账号已停用。", code="successor_disabled")

    # lock the projects and hand-offs in a fixed order, then compare with what the page showed
    locked = list(Project.objects.select_for_update().filter(pk__in=parsed).order_by("pk"))
    list(
        Handoff.objects.select_for_update()
        .filter(project_id__in=parsed, accepted_by=from_user, status=Handoff.Status.ACCEPTED)
        .order_by("pk")
    )
    rows = {row.project.pk: row for row in rows_for(from_user, list(parsed))}
    stale = [p.name for p in locked if p.pk not in rows or rows[p.pk].stamp != parsed[p.pk]]
    stale += ["（已不存在的项目）"] * (len(parsed) - len(locked))
    if stale:
        raise ValidationError(
            f"以下项目在你打开页面后已有变动：{'、'.join(stale)}。本次未做任何改动，请刷新页面核对后重试。",
            code="stale",
        )

    errors: list[str] = []
    ordered = [rows[pk] for pk in sorted(rows)]
    if any(row.as_specialist for row in ordered) and not project_handover.can_be_specialist(to_user):
        errors.append(project_handover.specialist_refusal(to_user))
    errors += [first_refusal(to_user, h) for row in ordered for h in row.handoffs if not can_be_first(to_user, h)]
    if errors:
        raise ValidationError(errors, code="wrong_successor")

    batch = f"批量交接 {len(ordered)} 个项目：{from_user.name} → {to_user.name}"
    for row in ordered:
        common = {"from_user": from_user, "successor": to_user, "actor": actor, "request": request, "reason": reason}
        if row.as_specialist:
            project_handover.move_specialist(
                project_id=row.project.pk, version=row.project.version, batch=batch, **common
            )
        for handoff in row.handoffs:
            move_first(handoff_id=handoff.pk, version=handoff.version, batch=batch, **common)
    return len(ordered)


# --- the provider for disabling an account -------------------------------------------------------


def _holdings(user) -> list[handover.Holding]:
    firsts = list(accepted_handoffs(user))
    problems = list(
        Problem.objects.filter(raised_by=user, status__in=Problem.OPEN_STATUSES)
        .select_related("project")
        .order_by("due_on", "pk")
    )
    return [
        handover.Holding(
            key="firsts",
            label="作为首问负责人的阶段",
            ids=tuple(h.pk for h in firsts),
            examples=tuple(f"{h.project.name} · {h.stage.name}" for h in firsts[:5]),
            role=Role.WINDOW,
        ),
        handover.Holding(
            key="problems",
            label="提出的待协调难点堵点",
            ids=tuple(p.pk for p in problems),
            examples=tuple(f"{p.project.name}：{p.description[:20]}" for p in problems[:5]),
            note="由阶段窗口、责任单位和区工改办继续协调，不随人移交。",
        ),
    ]


def _refusals(user, successor) -> list[str]:
    seen, messages = set(), []
    for handoff in accepted_handoffs(user):
        if not can_be_first(successor, handoff) and handoff.stage_id not in seen:
            seen.add(handoff.stage_id)
            messages.append(
                f"接手人{successor.name}不是“{handoff.stage.window_label}”的在用窗口人员，"
                f"不能接手{handoff.stage.name}的首问负责工作。"
            )
    return messages


def _hand_over(*, user, successor, actor, request, reason) -> int:
    ids = list(accepted_handoffs(user).values_list("pk", flat=True))
    for pk in ids:
        move_first(handoff_id=pk, from_user=user, successor=successor, actor=actor, request=request, reason=reason)
    return len(ids)


PROVIDER = handover.Provider(name="windows", holdings=_holdings, refusals=_refusals, hand_over=_hand_over)
