"""Long exports in the background: django-tasks with its database backend (django-tasks-db).

The ledger page queues a job when the filter holds more projects than a request should carry
(``settings.BACKGROUND_EXPORT_PROJECTS``); the worker (``manage.py db_worker``, a systemd service in
production, started by ``make run``) writes the workbook, telling the job how far it got, and puts
the file in the export archive as issued. The page shows a progress bar until the download is ready,
so no request ever waits for a long export. The job re-applies the requester's own filter in their
own scope: it exports exactly what they would have got at once.
"""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django_tasks import task

from ledger import archive, exports, selectors
from ledger.filters import filtered_ledger
from ledger.models import Export, ExportJob
from qinqing.models import User


def ledger_xlsx(user: User, params: QueryDict, progress=None) -> tuple[bytes, int, str] | None:
    """The ledger workbook of ``user``'s filter ``params``: (bytes, projects, filter in words), or None
    if the filter is invalid. The one way the page and the background job build it."""
    filterset, filtered = filtered_ledger(user, params)
    if filtered is None:
        return None
    full_phones = wants_full_phones(user, params)
    described = filterset.describe() + ("（含完整联系电话）" if full_phones else "")
    content, count = exports.ledger_workbook(
        projects=selectors.ledger_queryset(filtered).iterator(chunk_size=exports.BATCH),
        # the matters sheet lists the projects in the ledger sheet's order
        matters=selectors.scoped_matters(user, filtered, ordering=filterset.ordering(prefix="project__")),
        described=described,
        exporter=user.name,
        user=user,
        progress=progress,
        full_phones=full_phones,
    )
    return content, count, described


def wants_full_phones(user: User, params: QueryDict) -> bool:
    """Full phone numbers in the export: only if asked for, and only for a role whose work needs them
    (each project's number still only where the person may see it; masked elsewhere)."""
    return params.get("full_phones") == "1" and selectors.may_export_full_phones(user)


def filename_now(*, full_phones: bool = False) -> str:
    """The workbook's name; one with full phone numbers says so (工作台账-完整电话-20261203-0930.xlsx)."""
    kind = "工作台账-完整电话" if full_phones else "工作台账"
    return f"{kind}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


def job_queue(*, user: User, params: QueryDict, total: int, described: str, ip: str | None = None) -> ExportJob:
    """Queue a background ledger export; the task starts once the job row is committed. ``ip`` is the
    requester's address: the worker has no request, and its audit rows say where the export was asked from."""
    job = ExportJob.objects.create(
        kind=Export.Kind.LEDGER_XLSX,
        params=params.urlencode()[:2000],
        described=described[:500],
        total=total,
        requested_by=user,
        requested_from=ip,
    )
    transaction.on_commit(lambda: export_ledger_xlsx.enqueue(job.pk))
    return job


@task()
def export_ledger_xlsx(job_id: int) -> int | None:
    """Run one queued ledger export: progress as it goes, the file into the archive when done."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.finished:
        return job.export_id
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=timezone.now())

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=min(done, job.total))

    try:
        built = ledger_xlsx(job.requested_by, QueryDict(job.params), progress)
        if built is None:
            raise ValueError("查询条件已失效")
        content, count, described = built
        full_phones = wants_full_phones(job.requested_by, QueryDict(job.params))
        with transaction.atomic():
            export = archive.archive_issue(
                request=None,
                actor=job.requested_by,
                ip=job.requested_from,
                params=job.params,
                kind=Export.Kind.LEDGER_XLSX,
                title="工作台账",
                content=content,
                content_type=archive.XLSX,
                filename=filename_now(full_phones=full_phones),
                row_count=count,
                described=described,
                reveals=full_phones,
            )
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.DONE, export=export, done=min(count, job.total), total=max(count, job.total),
                finished_at=timezone.now(),
            )  # fmt: skip
    except Exception as error:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=f"导出失败：{error}"[:300], finished_at=timezone.now()
        )
        raise
    return export.pk
