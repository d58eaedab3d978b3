"""The ledger's panel on the dossier page: print the dossier as an archived PDF, and find past exports."""

from __future__ import annotations

from django.template.loader import render_to_string


def dossier_panel(request, project) -> str | None:
    """Only for those who may export: the dossier page has already checked that the user sees the
    project (the PDF view checks it again), so the capabilities are what is left to check."""
    user = request.user
    if not (user.has_perm("qinqing.view_projects") and user.has_perm("qinqing.view_exports")):
        return None
    return render_to_string("ledger/_dossier_panel.html", {"project": project}, request=request)
