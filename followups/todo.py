"""The supervision part's sections of the to-do list (registered with ``windows.todo``).

The reform office: planned visits to make, rectifications to call back and close, rectifications
overdue. A unit's staff: their unit's rectifications waiting for measures (a report sent back among
them), the 督办单 their unit has not yet signed for or replied to, and the notices issued about their
unit lately, to read and act on. The office also sees the replies waiting for 区政府督查室's opinion."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from followups.models import Escalation, Notice, Rectification, Visit
from qinqing.roles import Role, user_roles
from windows.todo import Item, Spec

# how long an issued notice stays on its unit's to-do list
NOTICE_DAYS = 30


def followup_specs(user, today: date) -> list[Spec]:
    roles = user_roles(user)
    specs: list[Spec] = []
    if Role.OFFICE in roles:
        specs.append(
            Spec(
                "visits",
                "待回访的项目",
                Visit.objects.filter(status=Visit.Status.PLANNED)
                .select_related("project")
                .order_by("created_at", "id"),
                lambda v: Item(
                    f"{v.project.name}（{v.period_start:%m-%d}至{v.period_end:%m-%d}）",
                    reverse("followups:visit_record", args=[v.pk]),
                ),  # fmt: skip
                f"{reverse('followups:visit_list')}?status=待回访",
            )
        )
        specs.append(
            Spec(
                "rectifications_check",
                "待回访核实的整改",
                Rectification.objects.filter(status=Rectification.Status.RECTIFIED)
                .select_related("unit")
                .order_by("rectified_on", "id"),
                lambda r: Item(
                    f"{r.unit.name}：{r.problem[:30]}", reverse("followups:rectification_detail", args=[r.pk])
                ),
                f"{reverse('followups:rectification_list')}?status=待回访核实",
            )
        )
        specs.append(
            Spec(
                "rectifications_late",
                "逾期未整改",
                Rectification.objects.overdue(today).select_related("unit").order_by("due_on", "id"),
                lambda r: Item(
                    f"{r.unit.name}：{r.problem[:30]}（期限 {r.due_on:%m-%d}）",
                    reverse("followups:rectification_detail", args=[r.pk]),
                    "逾期",
                ),  # fmt: skip
                f"{reverse('followups:rectification_list')}?overdue=1",
            )
        )
        specs.append(
            Spec(
                "escalation_opinions",
                "待录入督查室意见的督办单",
                Escalation.objects.filter(status=Escalation.Status.OPEN, replied_at__isnull=False, opinion="")
                .select_related("unit")
                .order_by("replied_at", "id"),
                lambda e: Item(f"{e.number} {e.unit.name}已回复", reverse("followups:escalation_detail", args=[e.pk])),
                f"{reverse('followups:escalation_list')}?status=open",
            )
        )
    if Role.DEPARTMENT in roles and user.department_id:
        specs.append(
            Spec(
                "unit_escalations",
                "待签收、回复的督办单",
                Escalation.objects.filter(unit_id=user.department_id, status=Escalation.Status.OPEN)
                .filter(Q(signed_at__isnull=True) | Q(replied_at__isnull=True))
                .order_by("referred_on", "id"),
                lambda e: Item(
                    f"{e.number}（{e.waiting_for}）{e.reason[:30]}",
                    reverse("followups:escalation_detail", args=[e.pk]),
                ),
                f"{reverse('followups:escalation_list')}?status=open",
            )
        )
        specs.append(
            Spec(
                "unit_rectifications",
                "本单位待整改",
                Rectification.objects.filter(status=Rectification.Status.OPEN, unit_id=user.department_id).order_by(
                    "due_on", "id"
                ),
                lambda r: Item(
                    f"{r.problem[:40]}（期限 {r.due_on:%m-%d}）",
                    reverse("followups:rectification_detail", args=[r.pk]),
                    "逾期" if r.overdue_on(today) else "",
                ),
                f"{reverse('followups:rectification_list')}?status=整改中",
            )
        )
        zone = timezone.get_current_timezone()
        since = datetime.combine(today - timedelta(days=NOTICE_DAYS), time.min, tzinfo=zone)
        specs.append(
            Spec(
                "unit_notices",
                f"本单位近 {NOTICE_DAYS} 天收到的通报",
                Notice.objects.filter(
                    unit_id=user.department_id, status=Notice.Status.ISSUED, issued_at__gte=since
                ).order_by("-issued_at", "-id"),
                lambda n: Item(
                    f"{n.number} {n.title[:40]}（{timezone.localtime(n.issued_at):%m-%d} 印发）",
                    reverse("followups:notice_detail", args=[n.pk]),
                ),
                reverse("followups:notice_list"),
            )
        )
    return specs
