"""Template helpers shared by every part: masked personal data, warning badges, the 暂按 mark, amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import format_html

from qinqing.masking import mask_id_number, mask_numbers_in, mask_phone
from qinqing.workdays import PROVISIONAL_MARK, PROVISIONAL_NOTE, PROVISIONAL_TITLE, ProvisionalDate

register = template.Library()

_BADGES = {"正常": "badge-ok", "预警": "badge-warn", "逾期": "badge-late", "超时": "badge-late"}


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value)


@register.filter
def masked_id(value: str) -> str:
    return mask_id_number(value)


@register.filter
def masked(value) -> str:
    """Free text (a remark, a question, a timeline entry, a name someone typed a number into) with every
    phone- or ID-number-like run masked: 138****1234, 5001**********1234."""
    return mask_numbers_in("" if value is None else str(value))


@register.simple_tag
def warning_badge(state: str):
    """The same three badges everywhere: 正常 green, 预警 amber, 逾期 red."""
    css = _BADGES.get(state)
    if css is None:
        return ""
    return format_html('<span class="badge {}" data-warning="{}">{}</span>', css, state, state)


@register.filter
def provisional_mark(value):
    """The 暂按 mark after a due date computed on a provisional calendar, the same words everywhere:
    ``{{ pm.due_on|date:"Y-m-d" }}{{ pm.due_provisional|provisional_mark }}``. Takes the flag, or a date
    (marked when it is a ``ProvisionalDate``); nothing otherwise."""
    marked = isinstance(value, ProvisionalDate) if isinstance(value, date) else bool(value)
    if not marked:
        return ""
    return format_html(
        '<span class="qq-provisional text-nowrap" title="{}" data-provisional="1">{}</span>',
        PROVISIONAL_TITLE,
        PROVISIONAL_MARK,
    )


@register.simple_tag
def provisional_note() -> str:
    """The sentence under a printed table that has marked due dates (a PDF shows no title on hover)."""
    return PROVISIONAL_NOTE


@register.filter
def wan(value) -> str:
    """An amount in 万元 with two decimals; blank stays blank."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value):,.2f}"


@register.filter
def id_strings(value) -> set[str]:
    """The selected values of a multiple-choice field (objects, pks or strings) as strings."""
    if not value:
        return set()
    return {str(getattr(item, "pk", item)) for item in value}


@register.filter
def picked(groups, selected) -> list:
    """The items of grouped choices (``{group: [objects]}``, or one list) whose pk is among ``selected`` (the
    strings of ``id_strings``), in their order: what a picker shows as ticked."""
    items = groups.values() if hasattr(groups, "values") else [groups]
    return [item for group in items for item in group if str(item.pk) in selected]
