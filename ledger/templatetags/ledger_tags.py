"""Small helpers for the summary's templates."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils.html import format_html

from qinqing.masking import mask_numbers_in
from qinqing.templatetags.qinqing_tags import provisional_mark
from qinqing.workdays import ProvisionalDate

register = template.Library()

_DIGITS = "零一二三四五六七八九"


@register.filter
def chinese_number(value: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (section numbers up to 99)."""
    value = int(value)
    if value < 10:
        return _DIGITS[value]
    tens, ones = divmod(value, 10)
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


@register.filter
def pairs(items, size: int):
    """Split a list into rows of ``size`` (the figures grid)."""
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


@register.filter
def masked_text(value) -> str:
    """Free text for a printed document: a phone or ID number typed into it masked (138****1234)."""
    return mask_numbers_in("" if value is None else str(value))


@register.simple_tag
def cell(value) -> str:
    """A table cell's text: dates as 2026-11-25 (a provisional due date with the 暂按 mark), everything
    else as it is."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, ProvisionalDate):
        return format_html("{}{}", f"{value:%Y-%m-%d}", provisional_mark(value))
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return "" if value is None else str(value)
