"""Reads for the workbench: what each role sees first when signing in."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Count, Q

from qinqing import selectors as ground
from qinqing.models import AuditEntry, User
from qinqing.roles import Role


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


def recent_audit(limit: int = 10):
    return AuditEntry.objects.select_related("actor")[:limit]


def recent_denials(limit: int = 10):
    return AuditEntry.objects.filter(result__in=[AuditEntry.Result.DENIED, AuditEntry.Result.FAILURE]).select_related(
        "actor"
    )[:limit]
