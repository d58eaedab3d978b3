"""Reads of accounts and the audit log, shared by pages and exports."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet

from qinqing.models import AuditEntry, User


def staff_queryset() -> QuerySet[User]:
    return (
        User.objects.select_related("department")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.only("id", "name")))
        .order_by("username")
        .distinct()
    )


def locked_usernames() -> set[str]:
    """User names currently locked out by too many failed logins."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=threshold
        ).values_list("username", flat=True)
    )


def account_history(user: User) -> QuerySet[AuditEntry]:
    """Every audit row about an account: its creation, changes, logins and lock-outs."""
    return AuditEntry.objects.filter(object_type=User._meta.label_lower, object_id=str(user.pk)).select_related("actor")


def audit_queryset() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor")
