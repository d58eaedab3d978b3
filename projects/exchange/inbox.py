"""The exchange inbox: who sees which rows the exchange left for a person, and settling one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from projects.exchange.models import ExchangeIssue
from qinqing import audit
from qinqing.models import AuditEntry, User
from qinqing.roles import Role
from qinqing.services import lock_for_update
from qinqing.stale import stale_error


def issues_for(user: User):
    """The office sees every item; a unit's staff those about its own matters."""
    issues = ExchangeIssue.objects.select_related("project", "project_matter__matter", "unit", "resolved_by")
    if user.has_role(Role.OFFICE):
        return issues
    if user.has_role(Role.DEPARTMENT) and user.department_id:
        return issues.filter(unit_id=user.department_id)
    return issues.none()


@transaction.atomic
def settle(
    *, actor: User, request: HttpRequest | None, issue_id: int, version: int, status: str, note: str
) -> ExchangeIssue:
    """Mark an item 已处理 (what was done, e.g. the matter recorded by hand, the code added to the catalogue)
    or 无需处理 (why), with a note; recorded in the audit log."""
    issue = lock_for_update(ExchangeIssue, issue_id)
    if issue.version != version:
        raise stale_error(issue, version, lead="该条交换待办刚被他人处理，请刷新页面后查看。")
    if issue.status != ExchangeIssue.Status.OPEN:
        raise ValidationError(f"该条已{issue.status}。", code="settled")
    if status not in (ExchangeIssue.Status.RESOLVED, ExchangeIssue.Status.DISMISSED):
        raise ValidationError("请选择“已处理”或“无需处理”。", code="status")
    note = note.strip()
    if not note:
        raise ValidationError("请写明处理情况（已如何处理，或为何无需处理）。", code="note_required")
    issue.status, issue.resolution = status, note[:300]
    issue.resolved_by, issue.resolved_at = actor, timezone.now()
    issue.version += 1
    issue.save()
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=issue,
        before={"处理状态": ExchangeIssue.Status.OPEN.label},
        after={"处理状态": issue.get_status_display(), "处理说明": issue.resolution},
    )
    return issue
