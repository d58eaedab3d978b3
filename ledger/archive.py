"""The export archive: every Excel and PDF the system issues is kept, and downloads again as issued.

``archive_issue`` is the one way an export leaves the system. The document is produced in full
before anything is written, so a failed export leaves nothing; the file is then stored and its
archive row and audit row written in one transaction, and if that transaction fails the stored
file is removed again. Downloads check the SHA-256 recorded at issue."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path

from ledger import files
from ledger.models import Export
from qinqing import audit
from qinqing.masking import mask_numbers_in
from qinqing.models import AuditEntry
from qinqing.roles import Role, user_roles

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
_SUFFIX = {XLSX: ".xlsx", PDF: ".pdf"}


def archive_issue(
    *,
    request: HttpRequest | None,
    actor=None,
    params: str | None = None,
    kind: str,
    title: str,
    content: bytes,
    content_type: str,
    filename: str,
    row_count: int,
    described: str = "",
    project=None,
) -> Export:
    """Store an issued document with who, when, the filter and the row count; audit it.

    ``actor`` and ``params`` default to the request's user and query string (a command passes them)."""
    actor = actor if actor is not None else request.user
    params = mask_numbers_in(params if params is not None else request.GET.urlencode())
    suffix = _SUFFIX.get(content_type, PurePosixPath(filename).suffix.lower())
    with files.kept("exports", kind, suffix, content) as stored, transaction.atomic():
        export = Export.objects.create(
            kind=kind,
            title=title[:200],
            described=described[:500],
            params=params[:1000],
            row_count=row_count,
            filename=filename[:200],
            file=stored,
            size=len(content),
            sha256=files.digest(content),
            content_type=content_type,
            project=project,
            created_by=actor,
        )
        audit.record(
            action=AuditEntry.Action.EXPORT,
            actor=actor,
            request=request,
            obj=export,
            detail=f"{export.get_kind_display()}：{title}；{row_count} 行；{described}",
        )
    return export


def exports_for(user) -> QuerySet[Export]:
    """The reform office sees every export; everyone else sees their own."""
    exports = Export.objects.select_related("created_by", "project")
    if Role.OFFICE in user_roles(user):
        return exports
    return exports.filter(created_by=user)


def read(export: Export) -> bytes:
    """The archived bytes; ``files.StoredFileError`` if the file is gone or altered."""
    return files.read_checked(export.file.name, export.sha256)


def file_response(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """The document as a download; PDFs open in the browser, workbooks are saved."""
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if content_type == PDF else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


def issue_response(request: HttpRequest, **kwargs) -> HttpResponse:
    """Archive the document and send it: what every export view returns."""
    export = archive_issue(request=request, **kwargs)
    response = file_response(kwargs["content"], content_type=export.content_type, filename=export.filename)
    response["X-Export-Id"] = str(export.pk)
    return response
