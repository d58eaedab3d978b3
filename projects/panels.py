"""Panels that parts above the dossier add to the dossier page (hand-offs, problems, visits…).

The dossier never imports them: a part registers a function ``(request, project) -> str | None``
returning rendered HTML, and the dossier page shows what the registered functions return."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, object], str | None]
_PANELS: list[Panel] = []


def register(panel: Panel) -> Panel:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def render_all(request: HttpRequest, project) -> list[SafeString]:
    """The HTML of every registered panel for this project (each renders through a template)."""
    rendered = (panel(request, project) for panel in _PANELS)
    return [mark_safe(html) for html in rendered if html]  # noqa: S308  (template output, already escaped)
