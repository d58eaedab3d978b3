"""Each person's to-do list: what waits for them, each item linking to the page that resolves it.

Each section is one query for its first rows and one for its count, so the list and the count in the
navigation stay cheap however much data there is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from projects.models import Commitment, MissingMaterial, ProjectMatter
from projects.selectors import pending_consultations, project_matters_for, window_stage_ids
from qinqing.roles import Role, user_roles
from qinqing.workdays import PROVISIONAL_MARK
from windows.models import Decision, Handoff, Meeting, Problem, Report

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
        # returned hand-offs not yet handed off again: fix what the window said, then hand off again
        again = Handoff.objects.filter(
            project=OuterRef("project"), stage=OuterRef("stage"), handed_at__gt=OuterRef("handed_at")
        )
        specs.append(
            Spec(
                "returned_handoffs",
                "被退回的移交",
                Handoff.objects.filter(project__specialist=user, status=Handoff.Status.RETURNED)
                .exclude(Exists(again))
                .select_related("project", "stage")
                .order_by("returned_at", "id"),
                lambda h: Item(
                    f"{h.project.name} · {h.stage.name}：{h.return_reason[:40]}（{h.stage.window_label}退回）",
                    reverse("windows:handoff_detail", args=[h.pk]),
                ),
                reverse("windows:index") + "?status=已退回",
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
                    f"{pm.project.name} · {pm.matter.name}（到期 {pm.due_on:%Y-%m-%d}{PROVISIONAL_MARK if pm.due_provisional else ''}）",
                    reverse("projects:matter_move", args=[pm.pk]),
                    pm.warning_on(today),
                ),
                reverse("projects:unit_matters"),
            )
        )
    specs += _condition_specs(user, roles, today)
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
    if unit_id:
        specs.append(
            Spec(
                "meetings",
                "即将召开的联席会议",
                Meeting.objects.filter(units=unit_id, status=Meeting.Status.CONVENED, held_on__gte=today)
                .select_related("convened_by")
                .order_by("held_on", "starts_at", "id"),
                lambda m: Item(
                    f"{m.held_on:%m-%d}{(' ' + m.starts_at.strftime('%H:%M')) if m.starts_at else ''} {m.place}："
                    f"{m.topic}（{m.convened_by.name}召集）",
                    reverse("windows:meeting_detail", args=[m.pk]),
                ),
                reverse("windows:meeting_list"),
            )
        )
    if stages or Role.OFFICE in roles:
        held = Q(status=Meeting.Status.DRAFT) | Q(status=Meeting.Status.CONVENED, held_on__lte=today)
        specs.append(
            Spec(
                "minutes",
                "待登记或签发的会议纪要",
                Meeting.objects.filter(held, Q(stage_id__in=stages) | Q(created_by=user))
                .select_related("convened_by")
                .order_by("held_on", "id"),
                lambda m: Item(
                    f"{m.held_on:%m-%d} {m.topic}（{'纪要待签发' if m.status == Meeting.Status.DRAFT else '待登记纪要'}）",
                    reverse("windows:meeting_detail", args=[m.pk]),
                ),
                reverse("windows:meeting_list"),
            )
        )
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
                Decision.objects.filter(
                    decision_scope, status=Decision.Status.OPEN, meeting__status=Meeting.Status.ISSUED
                )
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


def _condition_specs(user, roles, today: date) -> list[Spec]:
    """容缺材料 to be supplied and 告知承诺 to be checked: for those who follow the matter, each near or
    past its deadline marked; for the reform office, the ones past their deadline (escalated)."""
    working = roles & {Role.SPECIALIST, Role.DEPARTMENT, Role.WINDOW}
    if not working and Role.OFFICE not in roles:
        return []
    soon = today + timedelta(days=3)
    missing = MissingMaterial.objects.filter(supplied_on__isnull=True).exclude(
        project_matter__status__in=[ProjectMatter.Status.WITHDRAWN, ProjectMatter.Status.REFUSED]
    )
    commitments = Commitment.objects.filter(status__in=Commitment.OPEN_STATUSES)
    if working:
        scope = project_matters_for(user).values("pk")
        missing, commitments = missing.filter(project_matter__in=scope), commitments.filter(project_matter__in=scope)
        title_missing, title_commitments = "待补齐的容缺材料", "待核查或整改的告知承诺"
    else:
        missing = missing.filter(supply_by__lt=today)
        commitments = commitments.filter(
            Q(status=Commitment.Status.PENDING, verify_by__lt=today)
            | Q(status=Commitment.Status.FAILED, rectify_by__lt=today)
        )
        title_missing, title_commitments = "逾期未补齐的容缺材料", "逾期未核查或未整改的告知承诺"

    def badge(due: date) -> str:
        return "逾期" if due < today else ("预警" if due <= soon else "")

    def commitment_item(c: Commitment) -> Item:
        due = c.verify_by if c.status == Commitment.Status.PENDING else c.rectify_by
        what = "核查" if c.status == Commitment.Status.PENDING else "整改"
        return Item(
            f"{c.project_matter.project.name} · {c.project_matter.matter.name}（{what}期限 {due:%Y-%m-%d}）",
            reverse("projects:matter_move", args=[c.project_matter_id]),
            badge(due),
        )

    return [
        Spec(
            "missing_materials",
            title_missing,
            missing.select_related("project_matter__project", "project_matter__matter").order_by("supply_by", "id"),
            lambda m: Item(
                f"{m.project_matter.project.name} · {m.project_matter.matter.name}：{m.name[:30]}"
                f"（{m.supply_by:%Y-%m-%d} 前补齐）",
                reverse("projects:matter_move", args=[m.project_matter_id]),
                badge(m.supply_by),
            ),
        ),
        Spec(
            "commitments",
            title_commitments,
            commitments.select_related("project_matter__project", "project_matter__matter").order_by("verify_by", "id"),
            commitment_item,
        ),
    ]


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
