"""``{% load idempotency %}`` … ``{% form_token %}`` inside every create form (see qinqing/idempotency.py)."""

from __future__ import annotations

from django import template

from qinqing.idempotency import field_html

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context) -> str:
    return field_html(context.get("request"))
