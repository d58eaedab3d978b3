"""The one place that says who may do what.

Roles are Django groups named by ``Role`` values. ``CAPABILITIES`` maps each capability to the roles
that hold it; every capability is registered as the permission ``qinqing.<capability>`` with
django-rules, so views check ``user.has_perm("qinqing.manage_accounts")`` and templates
``perms.qinqing.manage_accounts``. Later parts add object-level predicates in their ``rules.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import rules
from django.db import models


class Role(models.TextChoices):
    SPECIALIST = "specialist", "帮办专员"
    WINDOW = "window", "阶段窗口人员"
    DEPARTMENT = "department", "责任单位人员"
    OFFICE = "office", "区工改办"
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计员"


ALL_ROLES = frozenset(Role)
# 三员分立: the auditor reads the audit log and nothing else, and holds no other role; the
# administrator manages accounts and reference data but does not read the log of what they did.
STAFF_ROLES = ALL_ROLES - {Role.AUDITOR}

CAPABILITIES: dict[str, frozenset[Role]] = {
    # everyone who works in the hall has a workbench (the auditor's shows the security events)
    "view_workbench": ALL_ROLES,
    # case work: the project dossiers and their matters
    "view_projects": frozenset({Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.OFFICE}),
    # merging two dossiers of one project: the reform office any two, a specialist two of their own
    # (the object check is projects.merging.may_merge)
    "merge_projects": frozenset({Role.SPECIALIST, Role.OFFICE}),
    # the walk-in log of the 亲清帮办 window
    "view_consultations": frozenset({Role.SPECIALIST, Role.WINDOW, Role.OFFICE}),
    # stage windows: hand-offs, problems, joint meetings
    "view_windows": frozenset({Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.OFFICE}),
    # supervision: return visits, notices, escalations, inspections; the office runs them, a unit's
    # staff see those about their own unit and report its rectifications
    "view_followups": frozenset({Role.OFFICE, Role.DEPARTMENT}),
    "manage_followups": frozenset({Role.OFFICE}),
    # the exchange with the city's approval system (SPGL): runs and the inbox of rows left for a person; the
    # office sees all and starts a run, a unit's staff the items about its own matters
    "view_exchange": frozenset({Role.OFFICE, Role.DEPARTMENT}),
    "run_exchange": frozenset({Role.OFFICE}),
    # the ledger and weekly summaries
    "view_ledger": frozenset({Role.SPECIALIST, Role.WINDOW, Role.OFFICE}),
    # the weekly summary (周报) and importing the office's existing Excel ledger
    "view_summary": frozenset({Role.OFFICE}),
    "import_ledger": frozenset({Role.OFFICE}),
    # the export archive: the office sees every export, the others their own
    "view_exports": frozenset({Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.OFFICE}),
    # administration: accounts and reference data; not case work
    "manage_accounts": frozenset({Role.ADMIN}),
    "manage_departments": frozenset({Role.ADMIN}),
    "manage_calendar": frozenset({Role.ADMIN}),
    "manage_windows": frozenset({Role.ADMIN}),
    # the matter catalogue: every staff member reads it, the administrator keeps it
    "view_catalogue": STAFF_ROLES,
    "manage_catalogue": frozenset({Role.ADMIN}),
    # 三员分立: the audit log (the security log) is read and exported by the auditor alone; neither the
    # administrator (whose own actions it records) nor the reform office, whose work records are its own
    # exports (导出记录), the ledger, the summaries and the follow-ups
    "view_audit": frozenset({Role.AUDITOR}),
    # 人员交接: moving a specialist's or a window clerk's open projects to someone else, in bulk
    "reassign_work": frozenset({Role.OFFICE, Role.ADMIN}),
    # SMS to applicants: the administrator keeps the templates; the office and the administrator read
    # the record of messages (phones masked) and put a failed one back in the queue
    "manage_sms_templates": frozenset({Role.ADMIN}),
    "view_sms": frozenset({Role.OFFICE, Role.ADMIN}),
}


def ensure_groups():
    """The group of every role (created by migration 0002; re-created after a test flush)."""
    from django.contrib.auth.models import Group

    return {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def held_roles(user) -> frozenset[str]:
    """The role codes of the groups a user is in, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        prefetched = getattr(user, "_prefetched_objects_cache", {})
        if "groups" in prefetched:
            cached = frozenset(group.name for group in prefetched["groups"])
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_cache = cached
    return cached


def user_roles(user) -> frozenset[str]:
    """The roles a user may act in: those held, but the auditor's only once the account is approved by a
    serving auditor (三员分立: an administrator who made or reset the account cannot use it;
    ``qinqing.second_factor``)."""
    held = held_roles(user)
    if Role.AUDITOR in held and getattr(user, "auditor_activated_at", None) is None:
        return held - {Role.AUDITOR.value}
    return held


def _has_any_role(roles: frozenset[Role]):
    codes = frozenset(str(role) for role in roles)

    @rules.predicate(name=f"has_any_role({','.join(sorted(codes))})")
    def predicate(user) -> bool:
        return bool(user_roles(user) & codes)

    return predicate


for _capability, _roles in CAPABILITIES.items():
    rules.add_perm(f"qinqing.{_capability}", _has_any_role(_roles))


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str


# The navigation, by task; each person sees the items their roles allow.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("工作台", "ledger:workbench", "view_workbench"),
    NavItem("咨询登记", "projects:consultation_list", "view_consultations"),
    NavItem("项目档案", "projects:index", "view_projects"),
    NavItem("事项办理", "projects:unit_matters", "view_projects"),
    NavItem("事项目录", "projects:catalogue", "view_catalogue"),
    NavItem("阶段窗口", "windows:index", "view_windows"),
    NavItem("工作台账", "ledger:index", "view_ledger"),
    NavItem("周报", "ledger:summary", "view_summary"),
    NavItem("督查回访", "followups:index", "view_followups"),
    NavItem("数据交换", "projects:exchange", "view_exchange"),
    NavItem("人员账号", "staff:list", "manage_accounts"),
    NavItem("人员交接", "windows:handover", "reassign_work"),
    NavItem("责任单位", "staff:department_list", "manage_departments"),
    NavItem("综合窗口", "windows:window_list", "manage_windows"),
    NavItem("工作日历", "staff:calendar_list", "manage_calendar"),
    NavItem("短信", "sms:list", "view_sms"),
    NavItem("审计日志", "audit:list", "view_audit"),
)


def navigation_for(user) -> list[NavItem]:
    return [item for item in NAVIGATION if user.has_perm(f"qinqing.{item.capability}")]
