"""Writing to the audit log: one function, called by services, views and signal handlers."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from qinqing.masking import mask_numbers_in
from qinqing.models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; behind the hall's reverse proxy, the one the proxy saw (the last hop it
    appended to X-Forwarded-For, which a client cannot forge), not the proxy's own."""
    if request is None:
        return None
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    action: str,
    actor=None,
    request: HttpRequest | None = None,
    obj: Any = None,
    result: str = AuditEntry.Result.SUCCESS,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
    username: str = "",
) -> AuditEntry:
    """Append one row. ``actor`` defaults to the request's user; ``username`` names an anonymous one."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        ip=client_ip(request),
        result=result,
        before=before,
        after=after,
        detail=detail[:500],
        path=(mask_numbers_in(request.get_full_path())[:300] if request is not None else ""),
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:200]
    entry.save()
    return entry


def record_changes(
    *,
    action: str,
    actor,
    request: HttpRequest | None,
    obj: Any,
    before: dict,
    after: dict,
    keys: set[str] | None = None,
) -> AuditEntry | None:
    """Record the fields (of ``keys``, or all) whose value differs between two snapshots, if any."""
    changed = [k for k in before if (keys is None or k in keys) and after.get(k) != before[k]]
    if not changed:
        return None
    return record(
        action=action,
        actor=actor,
        request=request,
        obj=obj,
        before={k: before[k] for k in changed},
        after={k: after.get(k) for k in changed},
    )


@receiver(user_logged_in, dispatch_uid="qinqing.audit.login")
def _on_login(sender, request, user, **kwargs):
    record(action=AuditEntry.Action.LOGIN, actor=user, request=request, obj=user)


@receiver(user_logged_out, dispatch_uid="qinqing.audit.logout")
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "_qinqing_logout_reason", None)
        if reason is None:
            record(action=AuditEntry.Action.LOGOUT, actor=user, request=request, obj=user)


@receiver(user_login_failed, dispatch_uid="qinqing.audit.login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    record(
        action=AuditEntry.Action.LOGIN_FAILED,
        request=request,
        result=AuditEntry.Result.FAILURE,
        username=str(credentials.get("username", ""))[:150],
        detail="用户名或密码错误",
    )


def _on_locked_out(sender, request, username, ip_address, **kwargs):
    record(
        action=AuditEntry.Action.LOCKED_OUT,
        request=request,
        result=AuditEntry.Result.DENIED,
        username=str(username or "")[:150],
        detail="连续登录失败，账号被锁定",
    )


def connect_axes_signals() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_on_locked_out, dispatch_uid="qinqing.audit.locked_out")
