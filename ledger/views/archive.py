"""The export archive: the list of issued exports and downloading one again exactly as issued."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ledger import archive, selectors
from ledger.models import Export
from qinqing import audit, files
from qinqing.models import AuditEntry
from qinqing.roles import Role

logger = logging.getLogger(__name__)


@require_GET
@permission_required("qinqing.view_exports", raise_exception=True)
def export_list(request):
    exports = archive.exports_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in Export.Kind.values:
        exports = exports.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(exports, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/export_list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": Export.Kind.choices,
            "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            "sees_all": request.user.has_role(Role.OFFICE),
            "unit": "份",
            "jobs": selectors.recent_jobs(request.user),
            "job_days": selectors.RECENT_JOB_DAYS,
        },
    )


@require_GET
@permission_required("qinqing.view_exports", raise_exception=True)
def export_download(request, pk: int):
    """The stored file, byte for byte; someone else's export is not found for anyone but the office."""
    export = get_object_or_404(archive.exports_for(request.user), pk=pk)
    if export.project_id and not request.user.has_perm("projects.view_project", export.project):
        # a dossier printed while the project was one's own is not kept once it has been handed on
        raise Http404
    try:
        content = archive.read(export)
    except files.StoredFileError:
        logger.error("export %s: stored file missing or altered", export.pk)
        audit.record(
            action=AuditEntry.Action.DOWNLOAD,
            request=request,
            obj=export,
            result=AuditEntry.Result.FAILURE,
            detail="存档文件缺失或校验不符",
        )
        return HttpResponse(
            "该存档文件缺失或已被改动（校验不符），不能下载。请联系系统管理员从备份中恢复。",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    audit.record(action=AuditEntry.Action.DOWNLOAD, request=request, obj=export, detail=export.filename)
    if archive.reveals_phones(export):
        # the file shows full phone numbers: fetching it again is another view of personal data
        audit.record(
            action=AuditEntry.Action.REVEAL,
            request=request,
            obj=export,
            detail=f"再次下载含完整联系电话的导出：{export.row_count} 个项目",
        )
    # saved, never opened in place: the 下载 link leaves the person on the archive page
    return archive.file_response(content, content_type=export.content_type, filename=export.filename, save=True)
