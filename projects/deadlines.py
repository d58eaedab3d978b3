"""Deadlines and warnings of project matters, from the working-day calendar.

A matter's due date is its acceptance date plus its committed limit in working days, counted from
the day after acceptance, with the days of 补正材料 left out. A 补正 notified after the due date does
not stop the clock: a unit cannot clear an overdue matter by asking for materials late, so such a
pause is recorded but not counted and the matter stays 逾期, its overdue days still running. It is stored on the row (``due_on``,
with ``warn_on``, the first day of 预警) so lists, filters and counts are plain queries; it is
recomputed on every status move and when an administrator changes the calendar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.dispatch import receiver
from simple_history.utils import bulk_update_with_history

from projects.models import ProjectMatter
from qinqing.models import CalendarYear
from qinqing.signals import calendar_changed
from qinqing.workdays import WorkCalendar


@dataclass(frozen=True)
class Due:
    due_on: date | None
    warn_on: date | None
    provisional: bool
    late_pauses: int = 0  # 补正 notified after the due date, recorded but not stopping the clock


def warning_workdays(limit: int) -> int:
    """How many working days before the due date a matter turns 预警."""
    share = math.ceil(limit * settings.WARNING_SHARE_PERCENT / 100)
    return max(settings.WARNING_WORKDAYS, share)


def counted_pauses(
    *, accepted_on: date, limit: int, pauses: list[tuple[date, date | None]], calendar: WorkCalendar
) -> tuple[list[tuple[date, date | None]], list[tuple[date, date | None]]]:
    """The pauses that stop the clock and those notified after the due date they would move.

    Taken in order: a pause counts when it starts on or before the due date as set by the pauses
    before it; one notified later leaves that due date as it is."""
    counted: list[tuple[date, date | None]] = []
    late: list[tuple[date, date | None]] = []
    for pause in sorted(pauses, key=lambda p: p[0]):
        deadline = calendar.add_workdays(accepted_on, limit, counted)
        if deadline.date is not None and pause[0] > deadline.date:
            late.append(pause)
        else:
            counted.append(pause)
    return counted, late


def compute(
    *, accepted_on: date | None, limit: int | None, pauses: list[tuple[date, date | None]], calendar: WorkCalendar
) -> Due:
    """The due date, the first warning day and whether either rests on a provisional calendar.

    No deadline for a matter not accepted, by contract (limit 0), or paused (in time) now."""
    if accepted_on is None or not limit:
        return Due(None, None, False)
    pauses, late = counted_pauses(accepted_on=accepted_on, limit=limit, pauses=pauses, calendar=calendar)
    deadline = calendar.add_workdays(accepted_on, limit, pauses)
    if deadline.date is None:
        return Due(None, None, deadline.provisional)
    before = warning_workdays(limit)
    warn_on = accepted_on if before >= limit else calendar.add_workdays(accepted_on, limit - before, pauses).date
    return Due(deadline.date, warn_on, deadline.provisional, late_pauses=len(late))


def refresh(project_matter: ProjectMatter, calendar: WorkCalendar | None = None) -> Due:
    """Recompute and set (not save) a matter's ``due_on``, ``warn_on`` and ``due_provisional``."""
    pauses = [(p.paused_on, p.resumed_on) for p in project_matter.pauses.all()]
    due = compute(
        accepted_on=project_matter.accepted_on,
        limit=project_matter.time_limit_workdays,
        pauses=pauses,
        calendar=calendar or WorkCalendar(),
    )
    project_matter.due_on, project_matter.warn_on, project_matter.due_provisional = (
        due.due_on,
        due.warn_on,
        due.provisional,
    )
    return due


@receiver(calendar_changed, sender=CalendarYear, dispatch_uid="projects.recompute_deadlines")
def recompute_for_year(sender, year: int, actor=None, **kwargs) -> int:
    """After an administrator saved a year's calendar: recompute open matters whose count touches it.
    Each matter whose dates change gets a history row naming the calendar and who saved it (an update in
    bulk writes no history by itself). Returns the number of matters whose dates changed."""
    calendar = WorkCalendar()
    matters = list(
        ProjectMatter.objects.open()
        .filter(accepted_on__year__lte=year, time_limit_workdays__gt=0)
        .exclude(due_on__year__lt=year)
        .select_for_update()
        .order_by("pk")
        .prefetch_related("pauses")
    )
    fields = ("due_on", "warn_on", "due_provisional")
    changed = []
    for matter in matters:
        before = tuple(getattr(matter, name) for name in fields)
        refresh(matter, calendar)
        if tuple(getattr(matter, name) for name in fields) != before:
            changed.append(matter)
    bulk_update_with_history(
        changed,
        ProjectMatter,
        list(fields),
        batch_size=500,
        default_user=actor,
        default_change_reason=f"{year}年工作日历调整，重新计算到期日",
    )
    return len(changed)
