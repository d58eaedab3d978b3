"""Reads for the workbench: what each role sees first when signing in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ledger.models import ExportJob
from projects.models import Consultation, NotificationLetter, Project, ProjectMatter
from projects.selectors import matter_scope, sees_whole_dossier, window_stage_ids
from qinqing import selectors as ground
from qinqing.masking import mask_numbers_in, mask_phone
from qinqing.models import User
from qinqing.roles import Role, user_roles
from windows.models import Problem


def account_summary() -> dict:
    """The administrator's figures: accounts by state and by role, and who is locked out now."""
    counts = User.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        disabled=Count("id", filter=Q(is_active=False)),
        must_change=Count("id", filter=Q(is_active=True, must_change_password=True)),
    )
    by_role = dict(
        Group.objects.filter(name__in=Role.values)
        .annotate(n=Count("user", filter=Q(user__is_active=True)))
        .values_list("name", "n")
    )
    counts["by_role"] = [(role.label, by_role.get(role.value, 0)) for role in Role]
    counts["locked"] = sorted(ground.locked_usernames())
    return counts


# how long a finished background export stays on the person's workbench and at the top of 导出记录
RECENT_JOB_DAYS = 7


def recent_jobs(user, *, limit: int = 10) -> list[ExportJob]:
    """The person's background exports still queued or running, and those finished in the last
    ``RECENT_JOB_DAYS`` days, newest first: whoever leaves the progress page finds them again on the
    workbench and in 导出记录 (the finished file is in the archive as well)."""
    since = timezone.now() - timedelta(days=RECENT_JOB_DAYS)
    return list(
        ExportJob.objects.filter(requested_by=user)
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=since))
        .select_related("export")[:limit]
    )


# --- the ledger (工作台账) ------------------------------------------------------------------------

LEDGER_COLUMNS = (
    "序号",
    "登记日期",
    "项目名称",
    "项目代码",
    "建设单位",
    "联系人及电话",
    "投资类型",
    "建设性质",
    "总投资（万元）",
    "重点项目",
    "所处阶段",
    "帮办专员",
    "咨询/报件事项",
    "一次性告知情况",
    "办理进度",
    "存在问题",
    "协调解决情况",
    "办结时间",
    "备注",
)


@dataclass
class LedgerRow:
    """One project as the ledger shows it: the same values on the page and in every export."""

    number: int
    project: Project
    registered_on: date
    name: str
    code: str
    builder: str
    contact: str
    investment_type: str
    nature: str
    total_investment: Decimal | None  # 万元; None where not known
    is_key: str  # 是 / 否
    stage: str
    specialist: str
    consulted: str
    notified: str
    progress: str
    problems: str
    solved: str
    completed_on: date | None
    note: str
    warning: str  # 逾期, 预警 or 正常 (the worst of its open matters with a deadline); "" if it has none

    def cells(self) -> list:
        return [
            self.number,
            self.registered_on,
            self.name,
            self.code,
            self.builder,
            self.contact,
            self.investment_type,
            self.nature,
            self.total_investment,
            self.is_key,
            self.stage,
            self.specialist,
            self.consulted,
            self.notified,
            self.progress,
            self.problems,
            self.solved,
            self.completed_on,
            self.note,
        ]


def _problems_for(user) -> QuerySet[Problem]:
    """Problems shown in the ledger: all for the office and a project's specialist, a window's stages only."""
    if Role.OFFICE in user_roles(user):
        return Problem.objects.all()
    scope = Q(project__specialist=user) if Role.SPECIALIST in user_roles(user) else Q(pk__in=[])
    if window_stage_ids(user):
        scope |= Q(stage_id__in=window_stage_ids(user))
    return Problem.objects.filter(scope)


# the columns a ledger row reads of a project, its specialist and its stage (``ledger_rows``, and the
# permission checks on the row: rules read ``specialist_id``); a full export reads 10,000 projects
LEDGER_FIELDS = (
    "registered_on", "name", "code", "builder", "contact_name", "contact_phone", "investment_type", "nature",
    "total_investment", "is_key", "completed_on", "note", "specialist_id", "current_stage_id",
    "specialist__display_name", "specialist__username", "current_stage__name",
)  # fmt: skip


def ledger_queryset(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The ledger's projects with the names their columns show; ``ledger_rows`` reads the rest."""
    return projects.select_related("specialist", "current_stage").only(*LEDGER_FIELDS)


@dataclass
class _Related:
    """What a ledger row shows of a project's consultations, letters and problems, read as plain rows
    (a prefetch would build a queryset and a model instance for each of them, which in a full export
    costs more than the rows themselves)."""

    figures: dict[int, dict[str, int]]  # project → counts of its matters the user sees (see _figures)
    consulted: dict[int, list[str]]  # project → the matter names asked about, first visit first
    visits: dict[int, list[str]]  # project → the kinds of its visits (咨询 / 报件)
    letters: dict[int, list[str]]  # project → letter numbers, oldest first
    problems: dict[int, list[tuple[str, str, str]]]  # project → (description, status, resolution), oldest first


RELATED_CHUNK = 2000


NO_FIGURES = {"total": 0, "done": 0, "overdue": 0, "warning": 0, "timed_open": 0, "paused": 0}

# a matter waiting for supplementary materials whose clock is stopped (``ProjectMatter.clock_stopped``):
# the same words on the ledger page, in its Excel and on the dossier
PAUSED = "暂停计时"


def _figures(user, today: date) -> QuerySet:
    """Per project, counts of the matters ``user`` sees: all but withdrawn, done, open and overdue, open
    in the warning window, open with a deadline, paused (补正材料, clock stopped). One grouped query reads each matter once (correlated
    subqueries would probe a project's matters five times)."""
    matters = ProjectMatter.objects.all()
    scope = matter_scope(user)
    if scope is not None:
        matters = matters.filter(scope)
    open_now = Q(status__in=ProjectMatter.OPEN_STATUSES)
    return (
        matters.values("project_id")
        .annotate(
            total=Count("id", filter=~Q(status=ProjectMatter.Status.WITHDRAWN)),
            done=Count("id", filter=Q(status=ProjectMatter.Status.DONE)),
            overdue=Count("id", filter=open_now & Q(due_on__lt=today)),
            warning=Count("id", filter=open_now & Q(warn_on__lte=today, due_on__gte=today)),
            timed_open=Count("id", filter=open_now & Q(due_on__isnull=False)),
            paused=Count("id", filter=Q(status=ProjectMatter.Status.SUPPLEMENT, due_on__isnull=True)),
        )
        .order_by()
    )


def _related(project_ids: list[int], user, today: date) -> _Related:
    related = _Related({}, defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    figures = _figures(user, today)
    for index in range(0, len(project_ids), RELATED_CHUNK):
        ids = project_ids[index : index + RELATED_CHUNK]
        for row in figures.filter(project_id__in=ids):
            related.figures[row.pop("project_id")] = row
        names = defaultdict(list)
        through = Consultation.matters.through
        for consultation_id, name in (
            through.objects.filter(consultation__project_id__in=ids)
            .order_by("matter__stage__number", "matter_id")
            .values_list("consultation_id", "matter__name")
        ):
            names[consultation_id].append(name)
        for pk, project_id, kind in (
            Consultation.objects.filter(project_id__in=ids)
            .order_by("visited_at", "id")
            .values_list("pk", "project_id", "kind")
        ):
            related.visits[project_id].append(kind)
            related.consulted[project_id].extend(names.get(pk, ()))
        for project_id, year, serial in (
            NotificationLetter.objects.filter(project_id__in=ids)
            .order_by("issued_at", "id")
            .values_list("project_id", "year", "serial")
        ):
            related.letters[project_id].append(NotificationLetter.number_of(year, serial))
        for project_id, *problem in (
            _problems_for(user).filter(project_id__in=ids).order_by("raised_at", "id")
            .values_list("project_id", "description", "status", "resolution")
        ):  # fmt: skip
            related.problems[project_id].append(tuple(problem))
    return related


def warning_state(figures: dict[str, int]) -> str:
    """The project's warning in the ledger: the worst state of its open matters with a deadline
    (逾期 before 预警 before 正常), or "" if it has none; from the project's ``_figures``."""
    if figures["overdue"]:
        return ProjectMatter.Warning.OVERDUE.value
    if figures["warning"]:
        return ProjectMatter.Warning.WARNING.value
    return ProjectMatter.Warning.NORMAL.value if figures["timed_open"] else ""


def ledger_rows(
    projects, *, start: int = 1, user=None, full_phones: bool = False, today: date | None = None
) -> list[LedgerRow]:
    """Rows for the page and the exports; letters show only to those who see whole dossiers.

    The contact's phone is masked, unless ``full_phones`` is asked for and ``user`` may see that
    project's full number (its own specialist, the reform office): an export that asked for it.

    Free text someone typed (the contact's name, problems, resolutions, remarks) goes through
    ``mask_numbers_in`` here, so a phone or ID number typed into it is masked alike on the page, in
    the Excel and in the PDF."""
    projects = list(projects)
    related = _related([project.pk for project in projects], user, today or timezone.localdate())
    open_statuses = set(Problem.OPEN_STATUSES)
    rows = []
    for number, project in enumerate(projects, start=start):
        consulted = "、".join(dict.fromkeys(related.consulted.get(project.pk, ())))
        kinds = related.visits.get(project.pk, [])
        visits = "，".join(f"{kind} {kinds.count(kind)} 次" for kind in ("咨询", "报件") if kinds.count(kind))
        consulted = "；".join(part for part in (consulted, visits) if part)
        letters = related.letters.get(project.pk, [])
        notified = f"已告知 {len(letters)} 次（{letters[-1]}）" if letters else "未告知"
        if user is not None and not sees_whole_dossier(user, project):
            notified = "—"
        problems = related.problems.get(project.pk, [])
        figures = related.figures.get(project.pk, NO_FIGURES)
        open_problems = [(text, status) for text, status, _ in problems if status in open_statuses]
        closed = [(status, resolution) for _, status, resolution in problems if status not in open_statuses]
        rows.append(
            LedgerRow(
                number=number,
                project=project,
                registered_on=project.registered_on,
                name=project.name,
                code=project.code,
                builder=project.builder,
                contact=f"{mask_numbers_in(project.contact_name)} {_phone(project, user, full_phones)}".strip(),
                investment_type=project.investment_type,
                nature=project.nature,
                total_investment=project.total_investment,
                is_key="是" if project.is_key else "否",
                stage=project.current_stage.name if project.current_stage_id else "",
                specialist=project.specialist.name,
                consulted=consulted,
                notified=notified,
                progress=_progress(figures),
                # masked before shortening, so a cut never leaves part of a number unmasked
                problems="；".join(f"{mask_numbers_in(text)[:40]}（{status}）" for text, status in open_problems),
                solved="；".join(f"{status}：{mask_numbers_in(resolution)[:60]}" for status, resolution in closed),
                completed_on=project.completed_on,
                note=mask_numbers_in(project.note),
                warning=warning_state(figures),
            )
        )
    return rows


def _progress(figures: dict[str, int]) -> str:
    """办理进度: matters done of all, and how many have their clock stopped (2/5，1 项暂停计时)."""
    done = f"{figures['done']}/{figures['total']}"
    return f"{done}，{figures['paused']} 项{PAUSED}" if figures["paused"] else done


def _phone(project: Project, user, full: bool) -> str:
    if full and user is not None and user.has_perm("projects.reveal_contact", project):
        return project.contact_phone
    return mask_phone(project.contact_phone)


def may_export_full_phones(user) -> bool:
    """Whether the export form offers full phone numbers: to the roles whose work needs them."""
    return bool(user_roles(user) & {Role.OFFICE, Role.SPECIALIST})


def scoped_matters(user, projects: QuerySet[Project], *, ordering: list | None = None) -> QuerySet[ProjectMatter]:
    """The matters of ``projects`` that ``user`` may see: by project in ``ordering`` (the ledger's order
    of projects, expressed through ``project__``, so both sheets list the projects alike; oldest first
    without one), each project's matters by stage."""
    from projects.selectors import project_matters_for

    by_project = ordering or ["project__registered_on", "project_id"]
    return (
        project_matters_for(user)
        .filter(project__in=projects.values("pk"))
        .select_related("project", "matter", "unit")
        .order_by(*by_project, "matter__stage__number", "id")
    )
