"""Writing to the audit log: one function, called by services, views and signal handlers; and reading it
as an auditor does (object types by their Chinese names, old → new in words, local time)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import FieldDoesNotExist
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

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
    ip: str | None = None,
) -> AuditEntry:
    """Append one row. ``actor`` defaults to the request's user; ``username`` names an anonymous one;
    ``ip`` is the client's address when there is no request (a background job records where it was asked
    from)."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    # phone and ID numbers typed anywhere (a remark, a name, a user name tried at sign-in) are masked in
    # every column of the row: the log is read, exported and kept for years
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_username=mask_numbers_in(actor.get_username() if actor is not None else username)[:150],
        ip=client_ip(request) if request is not None else ip,
        result=result,
        before=_masked(before),
        after=_masked(after),
        detail=mask_numbers_in(detail)[:500],
        path=(mask_numbers_in(request.get_full_path())[:300] if request is not None else ""),
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
        entry.object_repr = mask_numbers_in(str(obj))[:200]
    entry.save()
    return entry


def _masked(value):
    """A snapshot with every text in it masked (dicts and lists walked)."""
    if isinstance(value, str):
        return mask_numbers_in(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


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
        detail=_lockout_reason(request) or "连续登录失败，账号被锁定",
    )


def _lockout_reason(request) -> str:
    from qinqing.login_throttle import reason

    try:
        return reason(request, getattr(request, "axes_credentials", None))
    except AttributeError:  # a request axes has not marked (a test's, a script's)
        return ""


def connect_axes_signals() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_on_locked_out, dispatch_uid="qinqing.audit.locked_out")


# ---- reading the log: what the audit page and its Excel export show an auditor ----

# the system's own parts, bottom floor first: the type filter offers their records and nothing of Django's
# own or its libraries' (sessions, content types, axes' attempts)
OWN_APPS = ("qinqing", "projects", "windows", "followups", "ledger")
EMPTY = "（空）"
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _own_models():
    for label in OWN_APPS:
        for model in apps.get_app_config(label).get_models():
            if not model.__name__.startswith("Historical"):  # django-simple-history's copies
                yield model


def object_types() -> list[tuple[str, list[tuple[str, str]]]]:
    """The type filter's choices: each part's records by their Chinese names, grouped by part."""
    return [
        (
            str(apps.get_app_config(label).verbose_name),
            [(model._meta.label_lower, str(model._meta.verbose_name)) for model in _own_models()
             if model._meta.app_label == label],
        )
        for label in OWN_APPS
    ]  # fmt: skip


def object_type_label(object_type: str) -> str:
    """A row's object type (``app_label.model``) by its model's Chinese name; an unknown one as it is."""
    if not object_type:
        return ""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def value_text(value: Any) -> str:
    """A value of a before/after snapshot in words: lists joined with 、, True/False as 是/否, nothing as
    （空）, a moment in local time."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if value is True or value is False:
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(value_text(item) for item in value)
    if isinstance(value, dict):
        return "；".join(f"{key}：{value_text(item)}" for key, item in value.items())
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str) and _DATETIME.match(value):
        moment = datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)


@dataclass(frozen=True)
class Change:
    """One field of a row's before/after: its name and its old and new value in words; ``old`` is None
    when the row records only the new state (a creation), ``new`` None when only the old one."""

    label: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.label}：{self.new}"
        return f"{self.label}：{self.old} → {self.new if self.new is not None else EMPTY}"


def _field(model, key: str):
    """The model's field that ``key`` names, by its name or its Chinese name, if any."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return next((f for f in model._meta.concrete_fields if str(f.verbose_name) == key), None)
    return field if getattr(field, "concrete", False) else None


def _choice_text(value: Any, choices: dict) -> str:
    if choices and isinstance(value, str | int) and value in choices:
        return str(choices[value])
    return value_text(value)


def changes(entry: AuditEntry) -> list[Change]:
    """What the row says changed, field by field, leaving out a field whose value is the same on both
    sides: a key that is a field name of the object's model is shown by the field's Chinese name (and a
    stored choice by its label); the snapshots the services write already use Chinese names."""
    before, after = entry.before, entry.after
    if before is None and after is None:
        return []
    before = before if isinstance(before, dict) else {"内容": before} if before is not None else {}
    after = after if isinstance(after, dict) else {"内容": after} if after is not None else {}
    try:
        model = apps.get_model(entry.object_type) if entry.object_type else None
    except (LookupError, ValueError):
        model = None
    shown = []
    for key in [*before, *(key for key in after if key not in before)]:
        if key in before and key in after and before[key] == after[key]:
            continue  # a whole snapshot on either side: only what changed
        field = _field(model, key)
        choices = dict(field.flatchoices) if field is not None and field.choices else {}
        label = str(field.verbose_name) if field is not None and key == field.name else key
        old = _choice_text(before[key], choices) if key in before else None
        new = _choice_text(after[key], choices) if key in after else None
        shown.append(Change(label, old, new))
    return shown


def changes_text(entry: AuditEntry) -> str:
    """The changes as lines of text, for the Excel export."""
    return "\n".join(str(change) for change in changes(entry))


@dataclass(frozen=True)
class Shown:
    """One row of the audit page: the entry and what it reads as."""

    entry: AuditEntry
    object_type: str
    actor_name: str
    changes: list[Change]


def shown(entries) -> list[Shown]:
    """The audit page's rows (entries read with their actor)."""
    return [
        Shown(
            entry=entry,
            object_type=object_type_label(entry.object_type),
            actor_name=entry.actor.name if entry.actor is not None else "",
            changes=changes(entry),
        )
        for entry in entries
    ]
