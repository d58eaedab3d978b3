"""Reads of the dossier part, shared by its pages and by the ledger, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from projects.models import Consultation, NotificationLetter, Project, ProjectMatter, Stage, TimelineEntry
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


def phone_scope(user) -> Q | None:
    """The projects whose phone ``user`` may search by the whole number: those whose number they may
    reveal (projects.reveal_contact: the reform office all, a specialist their own); None for others."""
    roles = user_roles(user)
    if Role.OFFICE in roles:
        return Q()
    if Role.SPECIALIST in roles:
        return Q(specialist=user)
    return None


def project_list(user, *, text: str = "", status: str = "", stage: str = "", mine: bool = False) -> QuerySet[Project]:
    projects = projects_for(user).search(text, phone_scope=phone_scope(user))
    # a merged dossier lives on in the one it was merged into; listed only when asked for
    projects = projects.filter(status=status) if status else projects.exclude(status=Project.Status.MERGED)
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
        .prefetch_related("pauses", "missing_materials", "commitment")
        .order_by("matter__stage__number", "matter_id", "id")
    )
    groups: dict[int, StageGroup] = {}
    for pm in matters:
        pm.project = project
        pm.warning = pm.warning_on(today)
        unsupplied = [m for m in pm.missing_materials.all() if not m.supplied_on]
        pm.open_missing, pm.missing_late = len(unsupplied), any(m.supply_by < today for m in unsupplied)
        commitment = getattr(pm, "commitment", None)
        pm.commitment_open = commitment is not None and commitment.is_open
        pm.commitment_state = (
            commitment.get_status_display() + ("（逾期）" if commitment.overdue(today) else "") if commitment else ""
        )
        pm.can_change = user.has_perm("projects.change_projectmatter", pm)
        groups.setdefault(pm.matter.stage_id, StageGroup(pm.matter.stage)).matters.append(pm)
    return list(groups.values())


def with_merged(project: Project) -> Q:
    """A dossier's own rows and those of the dossiers merged into it (their append-only timeline and
    letters stay where they were written; see projects/merging.py)."""
    return Q(project=project) | Q(project__in=Project.objects.filter(merged_into=project).values("pk"))


def dossier_letters(project: Project) -> QuerySet[NotificationLetter]:
    return NotificationLetter.objects.filter(with_merged(project)).select_related("issued_by")


def dossier_timeline(user, project: Project, *, limit: int | None = None) -> QuerySet[TimelineEntry]:
    entries = TimelineEntry.objects.filter(with_merged(project)).select_related("actor", "project_matter")
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
    """A department's (a window's, a specialist's) working list of matters, most urgent first: 逾期, then
    预警, then the others with a running clock, each by due date; last the matters without a running clock
    (补正材料 paused, 按合同, 待申报, and finished ones when asked for), by project. Ordered in the
    database and ending on the primary key, so pages never overlap or skip a row."""
    matters = project_matters_for(user).with_warning(today).select_related("project", "matter", "matter__stage", "unit")
    matters = matters.filter(status=status) if status else matters.exclude(status__in=ProjectMatter.FINAL_STATUSES)
    if warning:
        matters = matters.filter(warning_state=warning)
    if stage is not None:
        matters = matters.filter(matter__stage__number=stage)
    return matters.alias(urgency=URGENCY).order_by("urgency", F("due_on").asc(nulls_last=True), "project_id", "id")


# the order of a working list by the ``with_warning`` annotation: 逾期 0, 预警 1, 正常 2, no running clock 3
URGENCY = Case(
    When(warning_state=ProjectMatter.Warning.OVERDUE, then=Value(0)),
    When(warning_state=ProjectMatter.Warning.WARNING, then=Value(1)),
    When(warning_state=ProjectMatter.Warning.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


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


# ---------------------------------------------------------------------------------------------
# Duplicate dossiers: what a new dossier may already be

# a close name match needs this many characters, so a short name like 综合楼 does not match half the list
NAME_MIN_CLOSE = 4
# decorations that do not make a different project: 江北嘴综合体项目 is 江北嘴综合体
NAME_SUFFIXES = ("建设项目", "项目", "工程")


def normalize_name(text: str) -> str:
    """Full-width letters, digits and brackets folded (NFKC), all spaces removed, lower case."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(folded.split()).lower()


def _name_core(name: str) -> str:
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= NAME_MIN_CLOSE:
            return name[: -len(suffix)]
    return name


def normalize_phone(text: str) -> str:
    """The digits of a phone number, without a +86 / 0086 country prefix."""
    import unicodedata

    digits = "".join(c for c in unicodedata.normalize("NFKC", text or "") if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11 and digits[len(prefix)] == "1":
            return digits[len(prefix) :]
    return digits


def _phone_variants(text: str) -> set[str]:
    """The ways one number is written in the register: 13800001234, 023-67890123, 023 67890123."""
    digits = normalize_phone(text)
    if len(digits) < 7:
        return set()
    variants = {digits, (text or "").strip()}
    if digits.startswith("0"):
        for area in (3, 4):
            variants |= {f"{digits[:area]}-{digits[area:]}", f"{digits[:area]} {digits[area:]}"}
    elif len(digits) == 11:
        variants |= {f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"}
    return variants


_IME_PUNCTUATION = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


def _name_spellings(name: str) -> set[str]:
    """The ways one name is stored: as typed (without spaces), folded to half-width, as a Chinese IME
    writes it (half-width letters and digits, full-width brackets), and all full-width."""
    compact = "".join((name or "").split())
    folded = normalize_name(compact)
    return {
        compact,
        folded,
        folded.translate(_IME_PUNCTUATION),
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in folded),
    } - {""}


def _name_condition(name: str) -> tuple[Q, str]:
    """Names that are the same or close: equal after folding, one containing the other, or equal but
    for a 项目/工程 suffix. Index-friendly: ``icontains`` is answered by the trigram index on
    PostgreSQL (one per spelling); "the new name contains the old one" is an IN list of the new name's
    prefixes and suffixes (at most two per character and spelling), an equality test per row, not a
    LIKE on every row."""
    norm = normalize_name(name)
    if not norm:
        return Q(pk__in=[]), norm
    condition = Q(pk__in=[])
    pieces: set[str] = set()
    for spelling in _name_spellings(name):
        core = _name_core(spelling)
        condition |= Q(name__iexact=spelling)
        if len(core) < NAME_MIN_CLOSE:
            continue
        condition |= Q(name__icontains=core)
        pieces |= {spelling[:i] for i in range(NAME_MIN_CLOSE, len(spelling))}
        pieces |= {spelling[i:] for i in range(1, len(spelling) - NAME_MIN_CLOSE + 1)}
        pieces |= {core + suffix for suffix in NAME_SUFFIXES}
    if pieces:
        condition |= Q(name__in=sorted(pieces))
    return condition, norm


@dataclass
class Candidate:
    """An open dossier a new one may duplicate, and why; ``visible``: the user may open it."""

    project: Project
    reasons: list[str]
    visible: bool


OPEN_PROJECT_STATUSES = (Project.Status.CONSULTING, Project.Status.ACTIVE, Project.Status.ON_HOLD)


def duplicate_candidates(
    user, *, name: str = "", builder_credit_code: str = "", contact_phone: str = "", exclude_pk: int | None = None
) -> list[Candidate]:
    """Open dossiers (not 已办结, 已终止 or 已合并) with the same credit code, the same phone number
    (whole, normalised) or the same or a close name. At most 20, the closest first; each says why it
    matched and whether ``user`` may open it (one with no right is named only by its specialist)."""
    from qinqing.validators import normalize_code

    condition = Q(pk__in=[])
    credit = normalize_code(builder_credit_code)
    if credit:
        condition |= Q(builder_credit_code=credit)
    phones = _phone_variants(contact_phone)
    if phones:
        condition |= Q(contact_phone__in=sorted(phones))
    name_condition, norm = _name_condition(name)
    condition |= name_condition
    projects = (
        Project.objects.filter(condition, status__in=OPEN_PROJECT_STATUSES)
        .exclude(pk=exclude_pk)
        .select_related("specialist", "current_stage")
        .order_by("-registered_on", "-id")[:20]
    )
    phone = normalize_phone(contact_phone)
    candidates = []
    for project in projects:
        reasons = []
        if credit and project.builder_credit_code == credit:
            reasons.append("统一社会信用代码相同")
        if phone and normalize_phone(project.contact_phone) == phone:
            reasons.append("联系电话相同")
        other = normalize_name(project.name)
        if norm and other == norm:
            reasons.append("项目名称相同")
        elif norm and other and (norm in other or other in norm or _name_core(other) == _name_core(norm)):
            reasons.append("项目名称相近")
        if reasons:
            candidates.append(Candidate(project, reasons, user.has_perm("projects.view_project", project)))
    # the strongest first: more reasons, then an identical name or code
    candidates.sort(key=lambda c: -len(c.reasons))
    return candidates


def code_holder(code: str, *, exclude_pk: int | None = None) -> Project | None:
    """The dossier already holding a project code (of any status: the code is unique for good)."""
    if not code:
        return None
    return Project.objects.select_related("specialist").exclude(pk=exclude_pk).filter(code=code).first()


def pending_consultations(user) -> QuerySet[Consultation]:
    """A specialist's consultations still 待答复: those they recorded or that belong to their projects."""
    return (
        Consultation.objects.filter(
            Q(recorded_by=user) | Q(project__specialist=user), outcome=Consultation.Outcome.PENDING
        )
        .select_related("project")
        .order_by("visited_at", "id")
    )
