"""Reads of accounts and the audit log, shared by pages and exports."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet

from qinqing.audit import changes_text, object_type_label
from qinqing.models import AuditEntry, User


def staff_queryset() -> QuerySet[User]:
    return (
        User.objects.select_related("department")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.only("id", "name")))
        .order_by("username")
        .distinct()
    )


def locked_usernames() -> set[str]:
    """User names currently locked out by too many failed logins (see ``qinqing.login_throttle``)."""
    from qinqing.login_throttle import locked_usernames

    return locked_usernames()


def account_history(user: User) -> QuerySet[AuditEntry]:
    """Every audit row about an account: its creation, changes, logins and lock-outs."""
    return AuditEntry.objects.filter(object_type=User._meta.label_lower, object_id=str(user.pk)).select_related("actor")


def audit_queryset() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor")


AUDIT_EXPORT_LIMIT = 100_000
AUDIT_COLUMNS = (
    "时间",
    "用户名",
    "姓名",
    "IP 地址",
    "操作",
    "结果",
    "对象类型",
    "对象编号",
    "对象",
    "变更（原值 → 新值）",
    "说明",
    "请求路径",
)
AUDIT_WIDTHS = (17, 14, 10, 15, 10, 6, 12, 8, 24, 40, 30, 24)


def audit_rows(entries: QuerySet[AuditEntry]):
    """The audit log's rows for the Excel export, in the page's order, read in chunks: local time, the
    actor's 姓名 beside the username, object types by their Chinese names, old → new in words."""
    from django.utils import timezone

    names = dict(User.objects.values_list("pk", "display_name"))
    types: dict[str, str] = {}
    for entry in entries.select_related(None).iterator(chunk_size=2000):
        if entry.object_type not in types:
            types[entry.object_type] = object_type_label(entry.object_type)
        yield [
            timezone.localtime(entry.created_at).replace(tzinfo=None),
            entry.actor_username,
            names.get(entry.actor_id, "") if entry.actor_id is not None else "",
            entry.ip or "",
            entry.get_action_display(),
            entry.get_result_display(),
            types[entry.object_type],
            entry.object_id,
            entry.object_repr,
            changes_text(entry),
            entry.detail,
            entry.path,
        ]


# the events an auditor watches: sign-ins that failed or were refused, and the reveals, exports and
# role changes that widen what someone can see
SECURITY_ACTIONS = (
    AuditEntry.Action.LOGIN,
    AuditEntry.Action.LOGIN_FAILED,
    AuditEntry.Action.LOCKED_OUT,
    AuditEntry.Action.ACCESS_DENIED,
    AuditEntry.Action.REVEAL,
    AuditEntry.Action.EXPORT,
    AuditEntry.Action.ROLE_CHANGE,
    AuditEntry.Action.PASSWORD_RESET,
    AuditEntry.Action.TWO_FACTOR_VERIFY,
    AuditEntry.Action.TWO_FACTOR_RESET,
)


def security_summary(days: int = 7, recent: int = 12) -> dict:
    """The auditor's workbench: each security event's count over the last ``days`` days, and the
    latest failures, refusals, reveals and role changes."""
    from django.db.models import Count, Q
    from django.utils import timezone

    since = timezone.now() - timezone.timedelta(days=days)
    window = AuditEntry.objects.filter(created_at__gte=since)
    counts = window.aggregate(
        total=Count("id"), **{action.value: Count("id", filter=Q(action=action)) for action in SECURITY_ACTIONS}
    )
    watched = Q(result__in=[AuditEntry.Result.DENIED, AuditEntry.Result.FAILURE]) | Q(
        action__in=[
            AuditEntry.Action.REVEAL,
            AuditEntry.Action.ROLE_CHANGE,
            AuditEntry.Action.PASSWORD_RESET,
            AuditEntry.Action.TWO_FACTOR_RESET,
            AuditEntry.Action.AUDITOR_APPROVE,
        ]
    )
    return {
        "days": days,
        "total": counts["total"],
        "figures": [(action.label, action.value, counts[action.value]) for action in SECURITY_ACTIONS],
        "recent": list(window.filter(watched).select_related("actor")[:recent]),
    }
