"""A stale form refused with what changed since it was read.

Every edit form carries the ``version`` of the row it was built from. When the row has moved on, the
refusal names who changed it, when, and which fields (old → new), read from the row's
django-simple-history records, so the person sees what they would have overwritten.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from qinqing.masking import mask_phone

STALE_MESSAGE = "该记录已被他人修改，您看到的是旧版本。请刷新页面，核对最新内容后再保存。"

# bookkeeping columns that change on every save and tell the reader nothing
_SKIPPED = {"id", "version", "updated_at", "created_at", "modified_at", "password", "last_login"}
_MAX_FIELDS = 6
_MAX_VALUE = 30


def _show(field: models.Field, value) -> str:
    if value is None or value == "":
        return "（空）"
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        text = str(related) if related is not None else f"#{value}"
    elif field.choices:
        text = str(dict(field.flatchoices).get(value, value))
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, datetime.datetime):
        text = f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    if "phone" in field.name:
        text = mask_phone(text)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def changes_since(obj: models.Model, version: int | None) -> str:
    """``张三 于 2026-12-02 10:15 修改了：联系人（李四 → 王五）、…`` for the changes made to ``obj`` after
    the history record of ``version``; empty when there is no history to compare with."""
    history = getattr(obj, "history", None)
    if history is None or version is None:
        return ""
    seen = history.filter(version=version).order_by("-history_date", "-history_id").first()
    if seen is None:
        return ""
    later = list(history.filter(history_date__gt=seen.history_date).select_related("history_user"))
    changed = []
    for field in type(obj)._meta.concrete_fields:
        if field.name in _SKIPPED or not hasattr(seen, field.attname):
            continue
        old, new = getattr(seen, field.attname), getattr(obj, field.attname)
        if old != new:
            changed.append(f"{field.verbose_name}（{_show(field, old)} → {_show(field, new)}）")
    if not changed:
        return "对方修改的是关联内容，请刷新后核对。"
    if len(changed) > _MAX_FIELDS:
        changed = [*changed[:_MAX_FIELDS], f"等 {len(changed)} 项"]
    people = []
    for record in later:
        name = record.history_user.name if record.history_user_id else "系统"
        if name not in people:
            people.append(name)
    when = max((record.history_date for record in later), default=None)
    who = "、".join(people) or "他人"
    at = f" 于 {timezone.localtime(when):%Y-%m-%d %H:%M}" if when else ""
    return f"{who}{at} 修改了：{'、'.join(changed)}。"


def stale_error(obj: models.Model, version: int | None, *, lead: str = STALE_MESSAGE) -> ValidationError:
    """The refusal of a form built from ``version`` of ``obj``: ``lead``, then what changed since."""
    details = changes_since(obj, version)
    return ValidationError(f"{lead}{details}" if details else lead, code="stale")
