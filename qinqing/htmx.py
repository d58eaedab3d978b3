"""When a page answers with a fragment instead of the whole page.

htmx keeps no page in the browser's history cache (``historyCacheSize: 0`` in base.html: the pages hold
personal data, which sessionStorage would keep after sign-out). Going back to a page is therefore a
*history-restore request*: an htmx request that must be answered with the whole page, or the browser
shows a bare table. Every view that answers htmx with a fragment asks here."""

from __future__ import annotations

from django.http import HttpRequest


def wants_fragment(request: HttpRequest, target: str | None = None) -> bool:
    """An htmx request for a part of the page (aimed at ``target`` when given), not a history restore."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target
