"""The export archive: every Excel and PDF the system issues is kept, and downloads again as issued.

``archive_issue`` is the one way an export leaves the system. The document is produced in full
before anything is written, so a failed export leaves nothing; the file is then stored and its
archive row and audit row written in one transaction, and if that transaction fails the stored
file is removed again. Downloads check the SHA-256 recorded at issue."""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path

from ledger.models import Export
from qinqing import audit, files
from qinqing.masking import mask_numbers_in
from qinqing.models import AuditEntry
from qinqing.roles import Role, user_roles

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def masked_params(params: str) -> str:
    """A query string with every phone or ID number typed into a value masked. Each value is masked on
    its own, decoded (so 139+8301+2345 is caught too); a date (2026-11-30) is kept as it is, so the
    archived parameters still say which period or range was exported."""

    def _mask(value: str) -> str:
        if _ISO_DATE.fullmatch(value):
            try:
                date.fromisoformat(value)
            except ValueError:
                pass
            else:
                return value
        return mask_numbers_in(value)

    pairs = parse_qsl(params or "", keep_blank_values=True)
    return urlencode([(mask_numbers_in(key), _mask(value)) for key, value in pairs])


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
    reveals: bool = False,
    ip: str | None = None,
) -> Export:
    """Store an issued document with who, when, the filter and the row count; audit it.

    ``actor`` and ``params`` default to the request's user and query string (a command passes them);
    ``ip`` is where a background job was asked from (there is no request to read it from)."""
    actor = actor if actor is not None else request.user
    params = masked_params(params if params is not None else request.GET.urlencode())
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
            ip=ip,
            obj=export,
            detail=f"{export.get_kind_display()}：{title}；{row_count} 行；{described}",
        )
        if reveals:
            # full phone numbers in the file: also a reveal of personal data, with its own row
            audit.record(
                action=AuditEntry.Action.REVEAL,
                actor=actor,
                request=request,
                ip=ip,
                obj=export,
                detail=f"{REVEAL_DETAIL}：{row_count} 个项目",
            )
    return export


REVEAL_DETAIL = "导出含完整联系电话"


def reveals_phones(export: Export) -> bool:
    """Whether the archived file carries full phone numbers: its issue was logged as a reveal (the
    audit log is append-only, so this cannot be unsaid)."""
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.REVEAL, object_type=Export._meta.label_lower, object_id=str(export.pk)
    ).exists()


def exports_for(user) -> QuerySet[Export]:
    """The reform office sees every export; everyone else sees their own."""
    exports = Export.objects.select_related("created_by", "project")
    if Role.OFFICE in user_roles(user):
        return exports
    return exports.filter(created_by=user)


def read(export: Export) -> bytes:
    """The archived bytes; ``files.StoredFileError`` if the file is gone or altered."""
    return files.read_checked(export.file.name, export.sha256)


def file_response(content: bytes, *, content_type: str, filename: str, save: bool = False) -> HttpResponse:
    """The document as a download; PDFs open in the browser, workbooks are saved, and so is a PDF asked
    for with ``save`` (an export button, a 下载 link: the person stays on the page they clicked on)."""
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if content_type == PDF and not save else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


def issue_response(request: HttpRequest, *, save: bool = False, **kwargs) -> HttpResponse:
    """Archive the document and send it: what every export view returns (``save``: see ``file_response``)."""
    export = archive_issue(request=request, **kwargs)
    response = file_response(kwargs["content"], content_type=export.content_type, filename=export.filename, save=save)
    response["X-Export-Id"] = str(export.pk)
    return response
