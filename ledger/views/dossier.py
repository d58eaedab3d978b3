"""The dossier PDF: a project's whole dossier (facts, letters, matters, timeline) as one printable,
archived document, showing exactly what the person who prints it sees on the dossier page."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import permission_required
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger import archive
from ledger.models import Export
from projects import selectors as project_selectors
from projects.views.access import get_project
from qinqing.pdf import render_pdf

# characters a file name may not hold on the applicant's or the archive's Windows desktop
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def _filename(name: str, made_on) -> str:
    return f"项目档案-{_UNSAFE_FILENAME.sub('_', name[:40]).strip('_')}-{made_on:%Y%m%d}.pdf"


@require_GET
@permission_required("qinqing.view_projects", raise_exception=True)
def dossier_pdf(request, pk: int):
    """The dossier as a formal A4 document; 404 for a project outside the user's scope.

    A department's or a window's staff get their part only (as on the page): their matters and
    timeline entries, no notification letters. The contact phone is always masked, even for the
    specialist, because a printed document leaves the system. The archive's row count is the
    number of matters plus the number of timeline entries: the rows of the document's two tables.
    The number of queries does not depend on how many matters or entries the dossier holds."""
    project = get_project(request, pk)
    user = request.user
    today = timezone.localdate()
    made_at = timezone.localtime()
    whole = project_selectors.sees_whole_dossier(user, project)
    groups = project_selectors.dossier_matters(user, project, today)
    # a printed record reads from the beginning: oldest first (the page shows newest first)
    timeline = list(project_selectors.dossier_timeline(user, project).order_by("occurred_at", "id"))
    letters = list(project_selectors.dossier_letters(project).order_by("issued_at", "id")) if whole else []
    matter_count, provisional = 0, False
    for group in groups:  # one numbering through all the stages
        for pm in group.matters:
            matter_count += 1
            pm.number = matter_count
            provisional = provisional or bool(pm.due_on and pm.due_provisional)
    content = render_pdf(
        "ledger/dossier_print.html",
        {
            "project": project,
            "whole": whole,
            "groups": groups,
            "matter_count": matter_count,
            "provisional": provisional,  # a note under the matters explains the 暂按 mark
            "timeline": timeline,
            "letters": letters,
            "today": today,
            "maker": user.name,
            "made_at": made_at,
        },
    )
    title = f"{project.name} 全过程档案"
    scope = "全部档案" if whole else "本单位或本阶段部分"
    return archive.issue_response(
        request,
        kind=Export.Kind.DOSSIER_PDF,
        title=title,
        content=content,
        content_type=archive.PDF,
        filename=_filename(project.name, made_at),
        row_count=matter_count + len(timeline),
        described=f"{project.code or '未赋码'} {project.name}（{scope}；{matter_count} 个事项，{len(timeline)} 条记录）",
        project=project,
    )
