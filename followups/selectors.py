"""Reads of the supervision part: what each role may see, and the figures of the weekly summary.

The reform office sees everything; a responsible unit's staff see the visits, rectifications, issued
notices, escalations and inspections about their own unit only."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from followups.models import (
    BAD_RATINGS,
    DIMENSIONS,
    SATISFIED_RATINGS,
    Draw,
    Escalation,
    Inspection,
    Notice,
    Rectification,
    Visit,
)
from projects.models import ProjectMatter
from qinqing.models import Department
from qinqing.roles import Role, user_roles


def is_office(user) -> bool:
    return Role.OFFICE in user_roles(user)


def unit_of(user) -> int | None:
    """The unit whose supervision records a department member sees (None: not department staff)."""
    return user.department_id if Role.DEPARTMENT in user_roles(user) and user.department_id else None


def draws_for(user) -> QuerySet[Draw]:
    return Draw.objects.select_related("drawn_by", "stage", "unit") if is_office(user) else Draw.objects.none()


def visits_for(user) -> QuerySet[Visit]:
    visits = Visit.objects.select_related("project", "project__specialist", "unit", "recorded_by", "draw")
    if is_office(user):
        return visits
    unit = unit_of(user)
    return visits.filter(unit_id=unit) if unit else visits.none()


def rectifications_for(user) -> QuerySet[Rectification]:
    rows = Rectification.objects.select_related("unit", "project", "visit", "notice", "created_by")
    if is_office(user):
        return rows
    unit = unit_of(user)
    return rows.filter(unit_id=unit) if unit else rows.none()


def notices_for(user) -> QuerySet[Notice]:
    notices = Notice.objects.select_related("unit", "drafted_by", "issued_by", "inspection")
    if is_office(user):
        return notices
    unit = unit_of(user)
    return notices.filter(unit_id=unit, status=Notice.Status.ISSUED) if unit else notices.none()


def escalations_for(user) -> QuerySet[Escalation]:
    rows = Escalation.objects.select_related(
        "unit", "rectification", "created_by", "signed_by", "replied_by", "opinion_by"
    )
    if is_office(user):
        return rows
    unit = unit_of(user)
    return rows.filter(unit_id=unit) if unit else rows.none()


def inspections_for(user) -> QuerySet[Inspection]:
    rows = Inspection.objects.select_related("recorded_by").prefetch_related("units")
    if is_office(user):
        return rows
    unit = unit_of(user)
    return rows.filter(units=unit).distinct() if unit else rows.none()


def overdue_matters_of(unit: Department, start: date, end: date) -> QuerySet[ProjectMatter]:
    """A unit's matters that were overdue in a period (open past due, or finished late in it): the
    facts a notice about overdue matters draws on."""
    late_finished = Q(status=ProjectMatter.Status.DONE, finished_on__range=(start, end), finished_on__gt=F("due_on"))
    still_open = Q(status__in=ProjectMatter.OPEN_STATUSES, due_on__lt=end)
    return (
        ProjectMatter.objects.filter(unit=unit, due_on__isnull=False)
        .filter(late_finished | still_open)
        .select_related("project", "matter")
        .order_by("due_on", "id")
    )


# --- figures for the weekly summary ------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class FollowupFigures:
    visits_done: int
    unreachable: int
    bad_visits: int
    satisfaction: list[tuple[str, Decimal | None]]  # per dimension
    by_unit: list[tuple[str, int, int, Decimal | None]]  # unit, visits, satisfied, rate
    rectifications_opened: int
    rectifications_closed: int
    rectified_rate: Decimal | None
    callback_rate: Decimal | None
    rectifications_overdue: int
    notices_issued: int
    escalations: int
    inspections: int


def _rectifications_at_end(start: date, end: date, end_at: datetime, cut: date) -> dict[str, int]:
    """Rectifications opened by the period's end, counted as they stood at its end (3 queries).

    "Rectified" and "overdue" are the model's (``Rectification.rectified_condition`` and
    ``overdue_condition``), applied to the state at the end; ``cut`` is the last day that has passed
    (the end, or today for a period still running), as in the ledger's weekly summary. A
    rectification not changed since the end is read as it is now and counted by the database. One
    changed since is read from its history as it stood then, except that a report standing now and
    dated by the end (entered late) counts as rectified then. So a report sent back before the end
    is not rectified at the end, and one sent back after the end still was."""
    history = Rectification.history.model
    changed = history.objects.filter(history_date__gte=end_at).values("id")
    unchanged = ~Q(id__in=changed)
    rectified = Rectification.rectified_condition()
    counts = Rectification.objects.filter(opened_on__lte=end).aggregate(
        total=Count("id"),
        opened=Count("id", filter=Q(opened_on__gte=start)),
        closed=Count("id", filter=Q(closed_on__range=(start, end))),
        rectified=Count("id", filter=unchanged & rectified),
        called=Count("id", filter=unchanged & rectified & Q(callback_on__lte=end)),
        overdue=Count("id", filter=unchanged & Rectification.overdue_condition(cut)),
    )
    latest = (
        history.objects.filter(id__in=changed, history_date__lt=end_at)
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    then = {
        row["id"]: row
        for row in history.objects.filter(history_id__in=latest)
        .exclude(history_type="-")
        .values("id", "status", "callback_on")
    }
    for row in Rectification.objects.filter(opened_on__lte=end, id__in=changed).values(
        "id", "status", "due_on", "rectified_on", "callback_on"
    ):
        if row["status"] in Rectification.RECTIFIED_STATUSES and row["rectified_on"] and row["rectified_on"] <= end:
            status, callback_on = Rectification.Status.RECTIFIED, row["callback_on"]
        elif row["id"] in then:
            status, callback_on = then[row["id"]]["status"], then[row["id"]]["callback_on"]
        else:  # entered after the end with an earlier opening date: not rectified then
            status, callback_on = Rectification.Status.OPEN, None
        if status in Rectification.RECTIFIED_STATUSES:
            counts["rectified"] += 1
            counts["called"] += bool(callback_on and callback_on <= end)
        counts["overdue"] += Rectification.is_overdue(status, row["due_on"], cut)
    return counts


def summary_figures(start: date, end: date) -> FollowupFigures:
    """The supervision figures of a period (a fixed number of queries).

    Satisfaction: the share of 非常满意、满意、基本满意 among visits done in the period, per dimension;
    per unit, the overall rating of visits to projects that had a matter of the unit. The rectification
    rate counts rectifications opened up to the period's end that were rectified at its end (a report
    sent back does not count); the callback rate counts those rectified for which the applicant was
    called back by then; overdue: not rectified at the end and past the deadline (a period still
    running is judged as of today)."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    visits = list(
        Visit.objects.filter(visited_at__gte=since, visited_at__lt=until)
        .exclude(status=Visit.Status.PLANNED)
        .values("id", "project_id", "status", *(f for f, _ in DIMENSIONS))
    )
    done = [v for v in visits if v["status"] == Visit.Status.DONE]
    satisfaction = [
        (label, _rate(sum(1 for v in done if v[field] in SATISFIED_RATINGS), len(done))) for field, label in DIMENSIONS
    ]
    bad = sum(1 for v in done if any(v[f] in BAD_RATINGS for f, _ in DIMENSIONS))
    units_of = defaultdict(set)
    for project_id, unit_id in ProjectMatter.objects.filter(project_id__in={v["project_id"] for v in done}).values_list(
        "project_id", "unit_id"
    ):
        units_of[project_id].add(unit_id)
    per_unit = Counter()
    satisfied_unit = Counter()
    for v in done:
        for unit_id in units_of[v["project_id"]]:
            per_unit[unit_id] += 1
            satisfied_unit[unit_id] += v["overall"] in SATISFIED_RATINGS
    names = dict(Department.objects.filter(pk__in=per_unit).values_list("pk", "name"))
    by_unit = sorted(
        ((names[u], n, satisfied_unit[u], _rate(satisfied_unit[u], n)) for u, n in per_unit.items()),
        key=lambda row: (row[3] if row[3] is not None else Decimal(101), row[0]),
    )
    rect = _rectifications_at_end(start, end, until, min(end, timezone.localdate()))
    return FollowupFigures(
        visits_done=len(done),
        unreachable=len(visits) - len(done),
        bad_visits=bad,
        satisfaction=satisfaction,
        by_unit=by_unit,
        rectifications_opened=rect["opened"],
        rectifications_closed=rect["closed"],
        rectified_rate=_rate(rect["rectified"], rect["total"]),
        callback_rate=_rate(rect["called"], rect["rectified"]),
        rectifications_overdue=rect["overdue"],
        notices_issued=Notice.objects.filter(
            status=Notice.Status.ISSUED, issued_at__gte=since, issued_at__lt=until
        ).count(),
        escalations=Escalation.objects.filter(referred_on__range=(start, end)).count(),
        inspections=Inspection.objects.filter(inspected_on__range=(start, end)).count(),
    )
