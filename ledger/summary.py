"""The weekly summary (周报) of the reform office: every figure DOMAIN.md lists, for a week or a range.

Counts of what happened in the period (consultations, new dossiers, matters accepted and completed,
problems, meetings, hand-offs) come from the dates on the records. States at the end of the period
(projects by stage and status, open and overdue matters) are read as they were then: a row changed
after the period is taken from its history (django-simple-history) as it stood at the period's end;
a row not changed since is read as it is now, and counted by the database. A period still running
is judged as of today. The number of queries does not depend on the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, Max, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from followups import selectors as followup_selectors
from ledger import charts
from projects import deadlines
from projects.models import (
    Commitment,
    Consultation,
    Feedback,
    MatterPause,
    MissingMaterial,
    Project,
    ProjectMatter,
    Stage,
)
from qinqing.masking import mask_numbers_in
from qinqing.models import Department, User
from qinqing.roles import Role
from qinqing.workdays import PROVISIONAL_NOTE, ProvisionalDate, WorkCalendar
from windows.models import Decision, Handoff, Meeting, Problem

TREND_WEEKS = 12
MAX_RANGE_DAYS = 366


# --- the period -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Monday–Sunday of an ISO week, or any range of days (both ends included)."""

    start: date
    end: date
    iso_week: tuple[int, int] | None = None

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        start = date.fromisocalendar(year, week, 1)
        return cls(start, start + timedelta(days=6), (year, week))

    @classmethod
    def last_week(cls, today: date) -> Period:
        year, week, _ = (today - timedelta(days=7)).isocalendar()
        return cls.week(year, week)

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        """A range; a range that is exactly one ISO week is labelled as that week."""
        year, week, weekday = start.isocalendar()
        if weekday == 1 and end == start + timedelta(days=6):
            return cls.week(year, week)
        return cls(start, end)

    @property
    def label(self) -> str:
        span = f"{self.start:%Y}年{self.start.month}月{self.start.day}日至{self.end:%Y}年{self.end.month}月{self.end.day}日"
        if self.iso_week:
            return f"{self.iso_week[0]}年第{self.iso_week[1]}周（{span}）"
        return span

    @property
    def is_month(self) -> bool:
        """A calendar month, from its first day to its last."""
        following = (self.start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self.start.day == 1 and self.end == following - timedelta(days=1)

    @property
    def kind(self) -> str:
        """What the summary of this period is called: 周报 (an ISO week), 月报 (a calendar month), 专报."""
        if self.iso_week:
            return "周报"
        return "月报" if self.is_month else "专报"

    @property
    def short(self) -> str:
        """For file names and titles: 2026年第47周, 2026年11月 or 20261101-20261130."""
        if self.iso_week:
            return f"{self.iso_week[0]}年第{self.iso_week[1]}周"
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """Aware datetimes: the period's first moment and the first moment after it."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    @property
    def week_value(self) -> str:
        """The value of an ``<input type="week">``: 2026-W47."""
        return f"{self.iso_week[0]}-W{self.iso_week[1]:02d}" if self.iso_week else ""

    def querystring(self) -> str:
        if self.iso_week:
            return f"week={self.week_value}"
        return f"start={self.start:%Y-%m-%d}&end={self.end:%Y-%m-%d}"


# --- the shape of the summary -----------------------------------------------------------------------


@dataclass
class Table:
    """One section as a table: the page, the PDF and one Excel sheet each show it the same way."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    empty: str = "无"
    # the page and the PDF list at most this many rows (the Excel sheet has them all)
    shown: int | None = None
    # how many rows the section has, where ``rows`` holds only the listed ones (built with full=False)
    total: int | None = None

    @property
    def count(self) -> int:
        return len(self.rows) if self.total is None else self.total

    @property
    def complete(self) -> bool:
        return len(self.rows) == self.count

    @property
    def listed(self) -> list[list]:
        return self.rows if self.shown is None else self.rows[: self.shown]

    @property
    def cut(self) -> int:
        """How many rows the page and the PDF leave to the Excel sheet."""
        return max(0, self.count - len(self.listed))

    @property
    def widths(self) -> list[float]:
        """The printed table's column widths in per cent of the page width: a narrow column (a number,
        a date, a short name) gets all it needs, its header on at most two lines; the long texts share
        what is left and wrap. So no table is wider than the page, however long its names."""
        needs = []
        for index, name in enumerate(self.columns):
            width = _text_width(name)
            header = width if width <= 10 else -(-width // 4) * 2 + 2  # one line up to five characters, else two
            longest = max((_text_width(row[index]) for row in self.listed[:200]), default=0)
            needs.append(max(6, header, min(longest, 48)) + 3)  # + the cell's padding
        narrow = [n for n in needs if n <= NARROW_COLUMN]
        room = PRINT_WIDTH - sum(narrow)
        wide = sum(n for n in needs if n > NARROW_COLUMN)
        if wide and room >= 12 * (len(needs) - len(narrow)):
            widths = [n if n <= NARROW_COLUMN else room * n / wide for n in needs]
        else:
            widths = needs
        total = sum(widths)
        return [round(100 * w / total, 2) for w in widths]


# the printed page's width in half-width characters of the tables' type (A4 portrait at 8.5 pt), and the
# widest column that is given all it needs
PRINT_WIDTH = 116
NARROW_COLUMN = 16


def _text_width(value) -> int:
    """How wide a value prints, in half-width characters (a CJK character counts two, a digit a little more than one)."""
    if isinstance(value, date):
        return 11 + (8 if isinstance(value, ProvisionalDate) else 0)
    text = "" if value is None else str(value)
    return round(sum(2 if ord(ch) >= 0x2E80 else 1.15 for ch in text))


@dataclass
class ChartData:
    """The figures behind one of the summary's charts: the page and the PDF draw them as SVG
    (``ledger.charts``), the Excel workbook as a native chart over the same numbers."""

    title: str
    kind: str  # "column" (a trend), "stacked" (categories split by series), "rate" (a percentage per row)
    label: str  # what the categories are (the header of the first column)
    categories: list[str]
    series: list[tuple[str, list]]  # (name, one value per category); a "rate" chart draws the first


@dataclass
class Summary:
    period: Period
    figures: list[tuple[str, object]]
    tables: list[Table]
    charts: list[str]
    chart_data: list[ChartData] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def row_count(self) -> int:
        return sum(t.count for t in self.tables)


class Finished(NamedTuple):
    """A matter finished in the period, as the timeliness tables need it."""

    id: int
    unit_id: int
    stage_id: int
    status: str
    accepted_on: date | None
    due_on: date | None
    finished_on: date


# a weekly report lists the longest-overdue matters by name; past this many, the rest are in its Excel
OVERDUE_SHOWN = 100


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _or_dash(value):
    return "—" if value is None else value


def _rate_text(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate}%"


# --- states at the end of the period ---------------------------------------------------------------


def _weighted(rows, key, where=lambda r: True) -> Counter:
    """Counts of ``key(row)`` over rows that each stand for ``row["n"]`` records."""
    counts = Counter()
    for row in rows:
        if where(row):
            counts[key(row)] += row["n"]
    return counts


def _open_and_late(rows, open_statuses) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Matters open and overdue at the end, counted by unit, by stage and by specialist, in one pass
    over the state rows (an overdue matter is an open one)."""
    keys = ("unit", "stage", "specialist")
    open_n, late_n = {key: Counter() for key in keys}, {key: Counter() for key in keys}
    for row in rows:
        if row["status"] in open_statuses:
            for key in keys:
                open_n[key][row[key]] += row["n"]
            if row["late"]:
                for key in keys:
                    late_n[key][row[key]] += row["n"]
    return open_n, late_n


def _latest_before(history, changed, end_at: datetime, fields: tuple[str, ...]) -> dict[int, dict]:
    """The last history row before ``end_at`` of each changed record (deleted ones left out)."""
    latest = (
        history.objects.filter(id__in=changed, history_date__lt=end_at)
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    rows = history.objects.filter(history_id__in=latest).exclude(history_type="-").values("id", *fields)
    return {row["id"]: row for row in rows}


def overdue_line(cut: date, calendar: WorkCalendar) -> date:
    """The last working day on or before ``cut``: a deadline before it is 逾期 at ``cut``.

    A matter (a material, a check, a problem, a decision) counts as overdue at the end of a period
    when at least one working day has gone by after its deadline, so an overdue row never shows 0
    overdue working days (a matter due on the Friday of a week that ends on Sunday is not yet late)."""
    line = cut
    for _ in range(60):  # the longest run of days off is far shorter
        if calendar.is_workday(line):
            return line
        line -= timedelta(days=1)
    return line


class MatterThen(NamedTuple):
    """A matter changed after the period, as it stood at the period's end by its business dates."""

    status: str
    due_on: date | None


def matter_then(
    *,
    end: date,
    status: str,
    accepted_on: date | None,
    finished_on: date | None,
    last_changed_on: date | None,
    due_on: date | None,
    limit: int | None,
    history: list[tuple[str, date | None, bool]],
    pauses: list[tuple[date, date | None]],
    existed: bool,
    calendar: WorkCalendar,
) -> MatterThen | None:
    """The status and due date of one matter at the end of day ``end``, judged by its business dates:

    - concluded (办结日期) by the end: its final status (an approval revoked only afterwards was 已办结);
    - accepted (受理日期) by the end and not concluded: 补正材料 if a 补正 ran over the end (notified by then,
      materials supplied after it), else the last open status its history shows by then (a
      row recorded before the end, or one whose move is dated, 最近变更日期, on or before it): 审查中 once it
      entered review, else 已受理;
      the due date as the pauses known at the end set it (a 补正 in time stops the clock, a late one
      does not: ``projects.deadlines.counted_pauses``);
    - not accepted by the end: 待申报 if the matter was on the project then (``existed``), else left out.

    ``history`` is the matter's history rows, oldest first: (status, 最近变更日期, recorded before the end)."""
    if finished_on and finished_on <= end and status in ProjectMatter.FINAL_STATUSES:
        if status == ProjectMatter.Status.REVOKED and last_changed_on and last_changed_on > end:
            return MatterThen(ProjectMatter.Status.DONE, due_on)
        return MatterThen(status, due_on)
    if not (accepted_on and accepted_on <= end):
        return MatterThen(ProjectMatter.Status.PENDING, None) if existed else None
    # the pauses as they stood at the end: one notified after it did not exist; one resumed after it still ran
    known = [(p, r if r is not None and r <= end else None) for p, r in pauses if p <= end]
    if any(r is None for _, r in known):
        then = ProjectMatter.Status.SUPPLEMENT
    else:
        then = ProjectMatter.Status.ACCEPTED
        for state, changed_on, recorded_before in history:
            if state in ProjectMatter.OPEN_STATUSES and (recorded_before or (changed_on and changed_on <= end)):
                then = state
        if then == ProjectMatter.Status.SUPPLEMENT:  # its 补正 ended by the end: back in review
            then = ProjectMatter.Status.REVIEWING
    if known == [(p, r) for p, r in pauses]:
        due = due_on  # no 补正 after the end changed the count: the stored due date holds
    else:
        due = deadlines.compute(accepted_on=accepted_on, limit=limit, pauses=known, calendar=calendar).due_on
    return MatterThen(then, due)


def _matter_states(
    end: date, end_at: datetime, line: date, calendar: WorkCalendar
) -> tuple[list[dict], list[tuple[int, date, str]]]:
    """Matters as they stood at the end of the period.

    Returns rows {stage, unit, specialist, status, late, n} and the (id, due date, status) of each
    matter overdue then (past its due date by ``line``, see ``overdue_line``). A matter not changed
    since the period is read as it is now (grouped and counted by the database): every date on it
    was entered by then. A matter changed since is judged by its business dates (``matter_then``)."""
    history = ProjectMatter.history.model
    changed = history.objects.filter(history_date__gte=end_at).values("id")
    base = ProjectMatter.objects.filter(project__registered_on__lte=end)
    open_now = Q(status__in=ProjectMatter.OPEN_STATUSES)
    late = Case(
        When(open_now & Q(due_on__lt=line), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    unchanged = base.exclude(id__in=changed)
    rows = [
        {"status": status, "late": is_late, "stage": stage, "unit": unit, "specialist": specialist, "n": n}
        for status, is_late, stage, unit, specialist, n in unchanged.annotate(late=late)
        .values_list("status", "late", "matter__stage_id", "unit_id", "project__specialist_id")
        .annotate(n=Count("id"))
        .order_by()
    ]
    overdue = list(unchanged.filter(open_now, due_on__lt=line).values_list("id", "due_on", "status").order_by())
    current = list(
        base.filter(id__in=changed).values_list(
            "id", "status", "accepted_on", "finished_on", "last_changed_on", "due_on", "time_limit_workdays",
            "matter__stage_id", "unit_id", "project__specialist_id",
        ).order_by()
    )  # fmt: skip
    past = defaultdict(list)
    for pk, state, changed_on, recorded_at in (
        history.objects.filter(id__in=changed)
        .values_list("id", "status", "last_changed_on", "history_date")
        .order_by("id", "history_id")
    ):
        past[pk].append((state, changed_on, recorded_at < end_at))
    pauses_of = defaultdict(list)
    for pk, paused_on, resumed_on in (
        MatterPause.objects.filter(project_matter__in=changed, project_matter__project__registered_on__lte=end)
        .values_list("project_matter_id", "paused_on", "resumed_on")
        .order_by()
    ):
        pauses_of[pk].append((paused_on, resumed_on))
    open_statuses = set(ProjectMatter.OPEN_STATUSES)
    for pk, status, accepted_on, finished_on, changed_on, due_on, limit, stage, unit, specialist in current:
        then = matter_then(
            end=end,
            status=status,
            accepted_on=accepted_on,
            finished_on=finished_on,
            last_changed_on=changed_on,
            due_on=due_on,
            limit=limit,
            history=past[pk],
            pauses=pauses_of[pk],
            existed=any(recorded_before for _, _, recorded_before in past[pk]),
            calendar=calendar,
        )
        if then is None:
            continue
        is_late = then.status in open_statuses and then.due_on is not None and then.due_on < line
        if is_late:
            overdue.append((pk, then.due_on, then.status))
        rows.append({"status": then.status, "late": is_late, "stage": stage, "unit": unit,
                     "specialist": specialist, "n": 1})  # fmt: skip
    return rows, overdue


def _project_states(end: date, end_at: datetime) -> list[dict]:
    """Projects as they stood at the end of the period: rows {stage, status, specialist, n}.

    As for matters: unchanged since → counted as they are now; changed since → their history then,
    except that a completion (办结日期) by the end counts as 已办结, and one after it does not; a
    project entered afterwards with an earlier registration date (an imported one) counts as it is
    now, less a completion dated after the end."""
    history = Project.history.model
    changed = history.objects.filter(history_date__gte=end_at).values("id")
    base = Project.objects.filter(registered_on__lte=end).exclude(status=Project.Status.MERGED)
    rows = [
        {"status": status, "stage": stage, "specialist": specialist, "n": n}
        for status, stage, specialist, n in base.exclude(id__in=changed)
        .values_list("status", "current_stage_id", "specialist_id")
        .annotate(n=Count("id"))
        .order_by()
    ]
    then = _latest_before(history, changed, end_at, ("status", "current_stage_id", "specialist_id"))
    closed = (Project.Status.COMPLETED, Project.Status.TERMINATED)
    for row in base.filter(id__in=changed).values("id", "status", "current_stage_id", "specialist_id", "completed_on"):
        before = then.get(row["id"])
        if row["status"] in closed and row["completed_on"] and row["completed_on"] <= end:
            state = row
        elif before:
            state = before
        else:
            state = row
        status = state["status"]
        if status in closed and not (row["completed_on"] and row["completed_on"] <= end):
            status = Project.Status.ACTIVE
        rows.append(
            {"status": status, "stage": state["current_stage_id"], "specialist": state["specialist_id"], "n": 1}
        )
    return rows


# --- the summary ------------------------------------------------------------------------------------


def _names(model, ids) -> dict[int, str]:
    return dict(model.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


# concluded matters: 办结 with a result, and the approvals revoked later (counted by how they concluded)
CONCLUDED = (ProjectMatter.Status.DONE, ProjectMatter.Status.REVOKED)


def _conditions_table(start: date, end: date, line: date) -> tuple[Table, dict[str, int]]:
    """容缺受理, 告知承诺 and how matters were concluded: in the period, and as they stood at its end
    (by the dates recorded: a material supplied after the end counts as still missing then)."""
    by_result = Counter(
        dict(
            ProjectMatter.objects.filter(finished_on__range=(start, end), status__in=CONCLUDED)
            .values_list("result")
            .annotate(n=Count("id"))
            .values_list("result", "n")
        )
    )
    finished_late = ProjectMatter.objects.filter(
        finished_on__range=(start, end), status__in=CONCLUDED, finished_on__gt=F("due_on")
    ).count()
    accepted = ProjectMatter.objects.filter(accepted_on__range=(start, end))
    deficient = accepted.filter(mode=ProjectMatter.Mode.DEFICIENCY).count()
    committed = accepted.filter(mode=ProjectMatter.Mode.COMMITMENT).count()
    missing_at_end = MissingMaterial.objects.filter(project_matter__accepted_on__lte=end).filter(
        Q(supplied_on__isnull=True) | Q(supplied_on__gt=end)
    )
    missing = MissingMaterial.objects.aggregate(
        recorded=Count("id", filter=Q(project_matter__accepted_on__range=(start, end))),
        supplied=Count("id", filter=Q(supplied_on__range=(start, end))),
    )
    pending_at_end = Commitment.objects.filter(project_matter__accepted_on__lte=end).filter(
        Q(checked_on__isnull=True) | Q(checked_on__gt=end)
    )
    checks = Commitment.objects.filter(checked_on__range=(start, end)).aggregate(
        n=Count("id"),
        failed=Count("id", filter=~Q(status__in=[Commitment.Status.PENDING, Commitment.Status.PASSED])),
    )
    revoked = Commitment.objects.filter(status=Commitment.Status.REVOKED, closed_on__range=(start, end)).count()
    figures = {
        "通过": by_result[ProjectMatter.Result.PASSED],
        "容缺通过": by_result[ProjectMatter.Result.PASSED_DEFICIENT],
        "不通过": by_result[ProjectMatter.Result.FAILED],
        "逾期办结": finished_late,
        "容缺受理": deficient,
        "告知承诺受理": committed,
        "期末容缺材料逾期未补": missing_at_end.filter(supply_by__lt=line).count(),
        "期末告知承诺逾期未核查": pending_at_end.filter(verify_by__lt=line).count(),
    }
    table = Table(
        "conditions",
        "办结结果、容缺受理与告知承诺",
        ("指标", "数值"),
        note="逾期办结：办结日期晚于到期日（含补正期限顺延）；期末数按各项登记的日期计算。",
    )
    table.rows = [
        ["本期办结（通过）", figures["通过"]],
        ["本期办结（容缺通过）", figures["容缺通过"]],
        ["本期办结（不通过）", figures["不通过"]],
        ["其中逾期办结", finished_late],
        ["本期容缺受理", deficient],
        ["本期登记容缺材料", missing["recorded"]],
        ["本期补齐容缺材料", missing["supplied"]],
        ["期末待补齐容缺材料", missing_at_end.count()],
        ["其中逾期未补齐", figures["期末容缺材料逾期未补"]],
        ["本期告知承诺受理", committed],
        ["本期核查告知承诺", checks["n"]],
        ["其中核查不符合", checks["failed"]],
        ["本期撤销审批", revoked],
        ["期末待核查告知承诺", pending_at_end.count()],
        ["其中逾期未核查", figures["期末告知承诺逾期未核查"]],
    ]
    return table, figures


def build_summary(period: Period, *, full: bool = False) -> Summary:
    """Every figure of the weekly summary for ``period`` (the reform office sees the whole district).

    The page and the PDF list the first ``Table.shown`` rows of a long table; ``full`` (the Excel sheet)
    reads every row."""
    start_at, end_at = period.bounds()
    start, end = period.start, period.end
    calendar = WorkCalendar()
    stages = list(Stage.objects.order_by("number").values_list("pk", "name"))

    # consultations and submissions, by kind and outcome
    consultations = Consultation.objects.filter(visited_at__gte=start_at, visited_at__lt=end_at)
    by_kind = Counter()
    general = 0
    for kind, outcome, n, without_dossier in (
        consultations.values_list("kind", "outcome")
        .annotate(n=Count("id"), g=Count("id", filter=Q(project__isnull=True)))
        .values_list("kind", "outcome", "n", "g")
    ):
        by_kind[kind, outcome] += n
        general += without_dossier
    outcomes = Consultation.Outcome.values
    consult_table = Table("consultations", "来访咨询与报件", ("类型", *outcomes, "合计"))
    for kind in Consultation.Kind.values:
        values = [by_kind[kind, o] for o in outcomes]
        consult_table.rows.append([kind, *values, sum(values)])
    totals = [sum(by_kind[k, o] for k in Consultation.Kind.values) for o in outcomes]
    consult_table.rows.append(["合计", *totals, sum(totals)])
    consult_total = sum(totals)

    # new dossiers
    new_projects = list(
        Project.objects.filter(registered_on__range=(start, end))
        .exclude(status=Project.Status.MERGED)  # a duplicate, counted on the dossier it went into
        .select_related("specialist", "current_stage")
        .order_by("registered_on", "id")
    )
    new_table = Table(
        "new_projects", "本期新建项目档案", ("登记日期", "项目名称", "项目代码", "建设单位", "所处阶段", "帮办专员")
    )
    new_table.rows = [
        [
            p.registered_on,
            p.name,
            p.code,
            p.builder,
            p.current_stage.name if p.current_stage_id else "",
            p.specialist.name,
        ]
        for p in new_projects
    ]

    # projects by stage and status at the end of the period (or today, while it is still running)
    cut = min(end, timezone.localdate())
    line = overdue_line(cut, calendar)
    project_rows = _project_states(end, end_at)
    project_statuses = Project.Status.values
    project_table = Table("projects", "项目分布（截至期末，按阶段和状态）", ("所处阶段", *project_statuses, "合计"))
    project_counts = _weighted(project_rows, lambda r: (r["stage"], r["status"]))
    for stage_id, name in [*stages, (None, "未确定阶段")]:
        values = [project_counts[stage_id, s] for s in project_statuses]
        if stage_id is not None or any(values):
            project_table.rows.append([name, *values, sum(values)])
    totals = [sum(project_counts[k] for k in project_counts if k[1] == s) for s in project_statuses]
    project_table.rows.append(["合计", *totals, sum(totals)])

    # matters at the end of the period
    matter_rows, overdue_pairs = _matter_states(end, end_at, line, calendar)
    overdue_ids = [pk for pk, _, _ in overdue_pairs]
    open_statuses = set(ProjectMatter.OPEN_STATUSES)
    matter_statuses = ProjectMatter.Status.values
    status_counts = _weighted(matter_rows, lambda r: (r["stage"], r["status"]))
    matter_table = Table("matters", "办理事项分布（截至期末，按阶段和状态）", ("阶段", *matter_statuses, "合计"))
    for stage_id, name in stages:
        values = [status_counts[stage_id, s] for s in matter_statuses]
        matter_table.rows.append([name, *values, sum(values)])
    totals = [sum(status_counts[k] for k in status_counts if k[1] == s) for s in matter_statuses]
    matter_table.rows.append(["合计", *totals, sum(totals)])

    # matters accepted and completed in the period; timeliness per unit and per stage
    accepted = list(
        ProjectMatter.objects.filter(accepted_on__range=(start, end))
        .values_list("unit_id", "matter__stage_id")
        .order_by()
    )
    # read as rows (a model instance per finished matter costs more than the figures themselves)
    finished_in_period = ProjectMatter.objects.filter(
        finished_on__range=(start, end), status__in=ProjectMatter.FINAL_STATUSES
    )
    finished = [
        Finished(*row)
        for row in finished_in_period.values_list(
            "id", "unit_id", "matter__stage_id", "status", "accepted_on", "due_on", "finished_on"
        ).order_by()
    ]
    pauses_of = defaultdict(list)
    for matter_id, paused_on, resumed_on in (
        MatterPause.objects.filter(project_matter__in=finished_in_period.filter(status__in=CONCLUDED))
        .values_list("project_matter_id", "paused_on", "resumed_on")
        .order_by()
    ):
        pauses_of[matter_id].append((paused_on, resumed_on))
    # concluded in the period: an approval revoked since was 办结 then (and counts as in the results table)
    done = [pm for pm in finished if pm.status in CONCLUDED]
    refused = sum(1 for pm in finished if pm.status == ProjectMatter.Status.REFUSED)

    open_at_end, late_at_end = _open_and_late(matter_rows, open_statuses)

    def timeliness(key: str, title: str, label: str, names: list[tuple[int, str]], by: str) -> Table:
        def group(unit, stage):
            return unit if by == "unit" else stage

        table = Table(
            key,
            title,
            (
                label,
                "本期受理",
                "本期办结",
                "有时限的办结",
                "按时办结",
                "按时办结率（%）",
                "平均办理工作日",
                "期末在办",
                "期末逾期",
            ),
            note="按时办结率 = 按时办结 ÷ 有承诺时限的办结事项；办理工作日自受理次日起算，扣除补正材料期间。",
        )
        accepted_n = Counter(group(unit, stage) for unit, stage in accepted)
        open_n, late_n = open_at_end[by], late_at_end[by]
        by_group = defaultdict(list)
        for pm in done:
            by_group[group(pm.unit_id, pm.stage_id)].append(pm)
        for key_id, name in names:
            items = by_group.get(key_id, [])
            timed = [pm for pm in items if pm.due_on]
            on_time = sum(1 for pm in timed if pm.finished_on <= pm.due_on)
            spans = [
                calendar.workdays_between(pm.accepted_on, pm.finished_on, pauses_of.get(pm.id, ()))
                for pm in items
                if pm.accepted_on
            ]
            average = (Decimal(sum(spans)) / len(spans)).quantize(Decimal("0.1")) if spans else None
            row = [name, accepted_n[key_id], len(items), len(timed), on_time, _or_dash(percent(on_time, len(timed))),
                   _or_dash(average), open_n[key_id], late_n[key_id]]  # fmt: skip
            if any(isinstance(v, int) and v for v in row[1:]) or key == "stages":
                table.rows.append(row)
        return table

    unit_ids = {u for u, _ in accepted} | {pm.unit_id for pm in done} | set(open_at_end["unit"])
    units = sorted(_names(Department, unit_ids).items(), key=lambda kv: kv[1])
    unit_table = timeliness("units", "各责任单位办理时效", "责任单位", units, "unit")
    stage_table = timeliness("stages", "各阶段办理时效", "阶段", stages, "stage")
    timed_done = [pm for pm in done if pm.due_on]
    on_time_all = sum(1 for pm in timed_done if pm.finished_on <= pm.due_on)

    # overdue matters at the end of the period, by name
    # longest overdue first, by the due date as it stood then; the names are read for the listed rows only
    # unless the whole list is wanted (the Excel sheet)
    overdue_pairs.sort(key=lambda pair: (pair[1], pair[0]))
    listed = overdue_pairs if full else overdue_pairs[:OVERDUE_SHOWN]
    status_then = {pk: status for pk, _, status in listed}
    details = {
        row[0]: row[1:]
        for row in ProjectMatter.objects.filter(pk__in=[pk for pk, _, _ in listed])
        .values_list(
            "id",
            "project__name",
            "matter__name",
            "unit__name",
            "project__specialist__display_name",
            "project__specialist__username",
        )
        .order_by()  # fmt: skip
    }
    overdue_table = Table(
        "overdue",
        "逾期未办结事项（截至期末）",
        ("项目", "事项", "责任单位", "到期日", "逾期工作日", "帮办专员", "期末状态"),
        note="逾期：期末已超过到期日至少一个工作日；期末状态为期间最后一天结束时的状态（按受理、补正、办结等业务日期）。",
        shown=OVERDUE_SHOWN,
        total=len(overdue_pairs),
    )
    for pk, due, _ in listed:
        project, matter, unit, specialist, username = details[pk]
        # the due date as it stood then, marked 暂按 when its year has no published calendar (as read now)
        provisional = calendar.is_provisional(due)
        overdue_table.rows.append(
            [
                project,
                matter,
                unit,
                ProvisionalDate.of(due, provisional),
                calendar.workdays_between(due, cut),
                specialist or username,
                status_then[pk],
            ]
        )
        if provisional and PROVISIONAL_NOTE not in overdue_table.note:
            overdue_table.note += PROVISIONAL_NOTE

    conditions_table, condition_figures = _conditions_table(start, end, line)

    # the problems raised at the windows
    problems_raised = Problem.objects.filter(raised_at__gte=start_at, raised_at__lt=end_at).count()
    closed_counts = dict(
        Problem.objects.filter(closed_at__gte=start_at, closed_at__lt=end_at)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    open_problems = list(
        Problem.objects.filter(raised_at__lt=end_at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end_at))
        .select_related("project", "stage", "owner_unit")
        .order_by("due_on", "id")
    )
    problem_table = Table(
        "problems",
        "未解决的难点堵点（截至期末）",
        ("项目", "阶段", "问题", "责任单位", "提出日期", "协调期限", "超过期限", "现状"),
    )
    for p in open_problems:
        problem_table.rows.append(
            [
                p.project.name,
                p.stage.name,
                mask_numbers_in(p.description)[:200],  # free text: a typed phone or ID number masked
                p.owner_unit.name,
                p.raised_at.astimezone(start_at.tzinfo).date(),
                p.due_on,
                "是" if p.due_on < line else "否",
                p.status,
            ]  # fmt: skip
        )

    # joint meetings and their decisions
    meetings = list(
        # held by the period's end (or today): one convened for a later day is not yet a meeting of the period
        Meeting.objects.filter(held_on__range=(start, cut))
        .select_related("convened_by")
        .annotate(
            project_n=Count("projects", distinct=True),
            decision_n=Count("decisions", distinct=True),
            done_n=Count("decisions", filter=Q(decisions__status=Decision.Status.DONE), distinct=True),
        )
        .order_by("held_on", "id")
    )
    meeting_table = Table(
        "meetings",
        "联席会议",
        ("纪要编号", "会议日期", "议题", "召集单位", "研究项目数", "议定事项", "已落实"),
    )
    meeting_table.rows = [
        [m.number, m.held_on, mask_numbers_in(m.topic), m.convened_by.name, m.project_n, m.decision_n, m.done_n]
        for m in meetings
    ]
    decisions = Decision.objects.aggregate(
        due=Count("id", filter=Q(due_on__range=(start, end))),
        done=Count("id", filter=Q(closed_at__gte=start_at, closed_at__lt=end_at, status=Decision.Status.DONE)),
        overdue=Count(
            "id",
            filter=Q(due_on__lt=line, meeting__held_on__lte=end)
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=end_at)),
        ),
    )

    # first-responsibility hand-offs, per stage
    handoffs = list(
        Handoff.objects.filter(Q(handed_at__lt=end_at) & (Q(accepted_at__isnull=True) | Q(accepted_at__gte=start_at)))
        .exclude(status=Handoff.Status.CANCELLED)
        .values_list("stage_id", "handed_at", "accepted_at", "accept_by", "status")
    )
    handoff_table = Table(
        "handoffs", "首问负责移交（按阶段）", ("阶段", "本期移交", "本期接收", "其中逾期接收", "期末待接收")
    )
    zone = start_at.tzinfo
    for stage_id, name in stages:
        mine = [h for h in handoffs if h[0] == stage_id]
        handed = sum(1 for h in mine if h[1] >= start_at)
        taken = [h for h in mine if h[2] is not None and start_at <= h[2] < end_at]
        late = sum(1 for h in taken if h[2].astimezone(zone).date() > h[3])
        waiting = sum(1 for h in mine if (h[2] is None or h[2] >= end_at) and h[4] != Handoff.Status.CANCELLED)
        handoff_table.rows.append([name, handed, len(taken), late, waiting])
    handoffs_accepted = sum(r[2] for r in handoff_table.rows)
    handoffs_late = sum(r[3] for r in handoff_table.rows)

    # each specialist's workload
    visits_by = Counter(
        dict(consultations.values_list("recorded_by").annotate(n=Count("id")).values_list("recorded_by", "n"))
    )
    new_by = Counter(p.specialist_id for p in new_projects)
    in_hand = _weighted(
        project_rows,
        lambda r: r["specialist"],
        lambda r: r["status"] in (Project.Status.CONSULTING, Project.Status.ACTIVE),
    )
    open_by, late_by = open_at_end["specialist"], late_at_end["specialist"]
    feedback_by = Counter(
        dict(
            Feedback.objects.filter(told_at__gte=start_at, told_at__lt=end_at)
            .values_list("recorded_by")
            .annotate(n=Count("id"))
            .values_list("recorded_by", "n")
        )
    )
    specialist_ids = (
        set(User.objects.filter(is_active=True, groups__name=Role.SPECIALIST).values_list("pk", flat=True))
        | set(new_by)
        | set(in_hand)
        | set(open_by)
        | set(visits_by)
        | set(feedback_by)
    )
    specialist_ids.discard(None)
    workload = Table(
        "workload",
        "帮办专员工作量",
        ("帮办专员", "来访登记", "新建档案", "反馈申请人", "期末在手项目", "期末在办事项", "期末逾期事项"),
    )
    people = {u.pk: u.name for u in User.objects.filter(pk__in=specialist_ids).only("username", "display_name")}
    for pk, name in sorted(people.items(), key=lambda kv: kv[1]):
        workload.rows.append([name, visits_by[pk], new_by[pk], feedback_by[pk], in_hand[pk], open_by[pk], late_by[pk]])

    # return visits and supervision (the followups part)
    follow = followup_selectors.summary_figures(start, end)
    satisfaction_table = Table(
        "satisfaction",
        "回访满意度（按评价维度）",
        ("评价维度", "完成回访", "满意率（%）"),
        note="满意率 = 非常满意、满意、基本满意 ÷ 本期完成的回访；未能联系上的回访不计入。",
    )
    satisfaction_table.rows = [[label, follow.visits_done, _or_dash(rate)] for label, rate in follow.satisfaction]
    unit_satisfaction = Table(
        "unit_satisfaction",
        "回访满意度（按责任单位）",
        ("责任单位", "涉及回访", "整体满意", "满意率（%）"),
        note="一次回访计入该项目所有办理事项的责任单位。",
    )
    unit_satisfaction.rows = [[name, n, ok, _or_dash(rate)] for name, n, ok, rate in follow.by_unit]
    supervision = Table("supervision", "整改、通报与督查督办", ("指标", "数值"))
    supervision.rows = [
        ["本期下发整改", follow.rectifications_opened],
        ["本期办结整改", follow.rectifications_closed],
        ["整改完成率（截至期末，%）", _or_dash(follow.rectified_rate)],
        ["整改回访核实率（截至期末，%）", _or_dash(follow.callback_rate)],
        ["期末逾期未整改", follow.rectifications_overdue],
        ["本期印发通报", follow.notices_issued],
        ["本期移送督查督办", follow.escalations],
        ["本期定期检查", follow.inspections],
    ]
    overall_rate = follow.satisfaction[0][1] if follow.satisfaction else None

    figures = [
        ("来访登记", consult_total),
        ("其中报件", sum(by_kind[Consultation.Kind.SUBMISSION, o] for o in outcomes)),
        ("未建档的一般咨询", general),
        ("新建项目档案", len(new_projects)),
        ("受理事项", len(accepted)),
        ("办结事项", len(done)),
        ("不予办理", refused),
        ("按时办结率", _rate_text(percent(on_time_all, len(timed_done)))),
        ("期末逾期事项", len(overdue_ids)),
        ("逾期办结事项", condition_figures["逾期办结"]),
        ("办结（容缺通过）", condition_figures["容缺通过"]),
        ("办结（不通过）", condition_figures["不通过"]),
        ("容缺受理", condition_figures["容缺受理"]),
        ("期末容缺材料逾期未补", condition_figures["期末容缺材料逾期未补"]),
        ("告知承诺受理", condition_figures["告知承诺受理"]),
        ("期末告知承诺逾期未核查", condition_figures["期末告知承诺逾期未核查"]),
        ("新提出难点堵点", problems_raised),
        ("已解决难点堵点", closed_counts.get(Problem.Status.SOLVED, 0)),
        ("期末未解决难点堵点", len(open_problems)),
        ("联席会议", len(meetings)),
        ("本期到期议定事项", decisions["due"]),
        ("本期落实议定事项", decisions["done"]),
        ("首问移交接收", handoffs_accepted),
        ("其中逾期接收", handoffs_late),
        ("反馈申请人", sum(feedback_by.values())),
        ("完成回访", follow.visits_done),
        ("回访整体满意率", _rate_text(overall_rate)),
        ("回访差评", follow.bad_visits),
        ("本期下发整改", follow.rectifications_opened),
        ("整改完成率", _rate_text(follow.rectified_rate)),
        ("印发通报", follow.notices_issued),
    ]
    tables = [
        consult_table, new_table, project_table, matter_table, unit_table, stage_table, overdue_table,
        conditions_table, problem_table, meeting_table, handoff_table, satisfaction_table, unit_satisfaction, supervision, workload,
    ]  # fmt: skip
    trend = consultation_trend(period)
    by_status = [(s, [status_counts[stage_id, s] for stage_id, _ in stages]) for s in matter_statuses]
    rates = [(row[0], percent(row[4], row[3]), row[3]) for row in unit_table.rows if row[3]]
    chart_data = [
        ChartData("每周来访登记（近 12 周）", "column", "周次", [label for label, _ in trend],
                  [("来访登记", [n for _, n in trend])]),
        ChartData("办理事项按阶段和状态（截至期末）", "stacked", "阶段", [name for _, name in stages], by_status),
        ChartData("各责任单位按时办结率（本期）", "rate", "责任单位", [name for name, _, _ in rates],
                  [("按时办结率", [rate for _, rate, _ in rates]), ("有时限的办结", [n for _, _, n in rates])]),
    ]  # fmt: skip
    chart_list = [
        charts.column_chart(trend, chart_data[0].title),
        charts.stacked_bars(chart_data[1].categories, by_status, chart_data[1].title),
        charts.rate_bars(rates, chart_data[2].title),
    ]
    return Summary(period=period, figures=figures, tables=tables, charts=chart_list, chart_data=chart_data)


def consultation_trend(period: Period, weeks: int = TREND_WEEKS) -> list[tuple[str, int]]:
    """Consultations per ISO week for the ``weeks`` weeks ending with the period's last week."""
    last_monday = period.end - timedelta(days=period.end.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    zone = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(first_monday, time.min, tzinfo=zone)
    until = datetime.combine(last_monday + timedelta(days=7), time.min, tzinfo=zone)
    per_day = (
        Consultation.objects.filter(visited_at__gte=since, visited_at__lt=until)
        .annotate(day=TruncDate("visited_at", tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    buckets = Counter()
    for day, n in per_day:
        buckets[(day - first_monday).days // 7] += n
    result = []
    for index in range(weeks):
        monday = first_monday + timedelta(weeks=index)
        result.append((f"第{monday.isocalendar()[1]}周", buckets[index]))
    return result
