"""Each person's to-do list: what waits for them, each item linking to the page that resolves it.

Each section is one query for its first rows and one for its count, so the list and the count in the
navigation stay cheap however much data there is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from projects.selectors import pending_consultations, project_matters_for, window_stage_ids
from qinqing.roles import Role, user_roles
from windows.models import Decision, Handoff, Problem, Report

SHOWN = 10
# a 待答复 consultation older than this is marked 超时 in the to-do (an answer is owed within days)
PENDING_LATE = timedelta(days=3)


@dataclass
class Item:
    text: str
    url: str
    badge: str = ""  # 逾期 / 预警 / 超时, drawn with the warning colours


@dataclass
class Section:
    key: str
    title: str
    count: int
    items: list[Item] = field(default_factory=list)
    more_url: str = ""


@dataclass
class Spec:
    key: str
    title: str
    queryset: QuerySet
    item: Callable[[object], Item]
    more_url: str = ""


def _specs(user, today: date) -> list[Spec]:
    roles = user_roles(user)
    stages = window_stage_ids(user)
    unit_id = user.department_id if Role.DEPARTMENT in roles else None
    specs: list[Spec] = []

    if stages:
        specs.append(
            Spec(
                "handoffs",
                "待接收的移交",
                Handoff.objects.filter(stage_id__in=stages, status=Handoff.Status.WAITING)
                .select_related("project", "stage")
                .order_by("accept_by", "id"),
                lambda h: Item(
                    f"{h.project.name} · {h.stage.name}（{timezone.localtime(h.handed_at):%m-%d %H:%M} 移交）",
                    reverse("windows:handoff_detail", args=[h.pk]),
                    "超时" if h.late(today) else "",
                ),
                reverse("windows:index"),
            )
        )
    if Role.SPECIALIST in roles:
        specs.append(
            Spec(
                "reports",
                "待转告申请人的反馈",
                Report.objects.filter(project__specialist=user, handled_at__isnull=True)
                .select_related("project", "created_by")
                .order_by("created_at", "id"),
                lambda r: Item(
                    f"{r.project.name}：{r.content[:40]}（{r.created_by.name}）",
                    reverse("windows:report_handle", args=[r.pk]),
                ),
            )
        )
    if Role.SPECIALIST in roles:
        specs.append(
            Spec(
                "consultations",
                "待答复的咨询",
                pending_consultations(user),
                lambda c: Item(
                    f"{c.visitor_name}{('（' + c.visitor_company + '）') if c.visitor_company else ''}："
                    f"{c.question[:30]}（{timezone.localtime(c.visited_at):%m-%d} 来访）",
                    reverse("projects:consultation_answer", args=[c.pk]),
                    "超时" if timezone.localdate(c.visited_at) < today - PENDING_LATE else "",
                ),
                reverse("projects:consultation_list") + "?pending=1",
            )
        )
    if roles & {Role.SPECIALIST, Role.DEPARTMENT, Role.WINDOW}:
        specs.append(
            Spec(
                "matters",
                "临期和逾期的事项",
                project_matters_for(user)
                .open()
                .filter(warn_on__lte=today)
                .select_related("project", "matter")
                .order_by("due_on", "id"),
                lambda pm: Item(
                    f"{pm.project.name} · {pm.matter.name}（到期 {pm.due_on:%Y-%m-%d}）",
                    reverse("projects:matter_move", args=[pm.pk]),
                    pm.warning_on(today),
                ),
                reverse("projects:unit_matters"),
            )
        )
    problem_scope = Q(pk__in=[])
    decision_scope = Q(pk__in=[])
    if unit_id:
        problem_scope |= Q(owner_unit_id=unit_id)
        decision_scope |= Q(unit_id=unit_id)
    if stages:
        problem_scope |= Q(stage_id__in=stages)
        decision_scope |= Q(meeting__stage_id__in=stages)
    if Role.OFFICE in roles:
        problem_scope |= Q(due_on__lt=today)
        decision_scope |= Q(due_on__lt=today)
    if unit_id or stages or Role.OFFICE in roles:
        specs.append(
            Spec(
                "problems",
                "待协调的难点堵点",
                Problem.objects.filter(problem_scope, status__in=Problem.OPEN_STATUSES)
                .select_related("project", "owner_unit")
                .order_by("due_on", "id"),
                lambda p: Item(
                    f"{p.project.name}：{p.description[:30]}（{p.owner_unit.name}，期限 {p.due_on:%m-%d}）",
                    reverse("windows:problem_detail", args=[p.pk]),
                    "逾期" if p.due_on < today else "",
                ),
                reverse("windows:problem_list"),
            )
        )
        specs.append(
            Spec(
                "decisions",
                "待落实的会议议定事项",
                Decision.objects.filter(decision_scope, status=Decision.Status.OPEN)
                .select_related("meeting", "unit")
                .order_by("due_on", "id"),
                lambda d: Item(
                    f"{d.content[:30]}（{d.unit.name}，期限 {d.due_on:%m-%d}）",
                    reverse("windows:meeting_detail", args=[d.meeting_id]),
                    "逾期" if d.due_on < today else "",
                ),
            )
        )
    if Role.OFFICE in roles:
        specs.append(
            Spec(
                "late_handoffs",
                "超过一个工作日未接收的移交",
                Handoff.objects.filter(status=Handoff.Status.WAITING, accept_by__lt=today)
                .exclude(stage_id__in=stages)  # already in the user's own "待接收的移交"
                .select_related("project", "stage")
                .order_by("accept_by", "id"),
                lambda h: Item(
                    f"{h.project.name} · {h.stage.window_label}", reverse("windows:handoff_detail", args=[h.pk]), "超时"
                ),
            )
        )
    return specs


# Parts above this one (supervision) add their sections: a function (user, today) -> list[Spec].
_EXTRA: list[Callable[[object, date], list[Spec]]] = []


def register(specs: Callable[[object, date], list[Spec]]) -> None:
    if specs not in _EXTRA:
        _EXTRA.append(specs)


def _all_specs(user, today: date) -> list[Spec]:
    return [*_specs(user, today), *(spec for extra in _EXTRA for spec in extra(user, today))]


def todo_for(user, today: date) -> list[Section]:
    """The sections of ``user``'s to-do list, each with its count and first rows."""
    sections = []
    for spec in _all_specs(user, today):
        rows = [spec.item(obj) for obj in spec.queryset[:SHOWN]]
        count = len(rows) if len(rows) < SHOWN else spec.queryset.count()
        sections.append(Section(spec.key, spec.title, count, rows, spec.more_url))
    return sections


def todo_count(user, today: date) -> int:
    """The number in the navigation: one count query per section."""
    return sum(spec.queryset.count() for spec in _all_specs(user, today))
