"""Long ledger exports run in the background: queued by the page, run by django-tasks' database
worker, progress shown, the file put in the archive as issued; the request never waits for it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from ledger import archive
from ledger.models import Export, ExportJob
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory


@pytest.fixture
def office(client_for, settings):
    settings.BACKGROUND_EXPORT_PROJECTS = 2
    return client_for(Role.OFFICE)


def _work() -> None:
    """What the worker service does: run every queued task, then stop."""
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_queued_run_by_the_worker_and_downloaded_from_its_page(office):
    for name in ("滨江花园", "观音桥改造", "寸滩物流园"):
        ProjectFactory(name=name)
    response = office.get(reverse("ledger:export_xlsx"), {"q": ""})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:export_job", args=[job.pk])
    assert job.status == ExportJob.Status.QUEUED
    assert job.total == 3
    assert job.requested_by == office.user
    assert DBTaskResult.objects.filter(task_path="ledger.tasks.export_ledger_xlsx").count() == 1
    assert not Export.objects.exists()  # nothing made during the request

    page = office.get(response["Location"]).content.decode()
    assert "排队中" in page
    assert 'hx-trigger="every 1s"' in page  # the bar polls until the job is done
    assert "已转入后台导出" in page

    _work()

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.finished_at is not None
    export = job.export
    assert export.kind == Export.Kind.LEDGER_XLSX
    assert export.row_count == 3
    assert export.created_by == office.user
    sheet = load_workbook(io.BytesIO(archive.read(export)))["工作台账"]
    names = {row[2] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert names == {"滨江花园", "观音桥改造", "寸滩物流园"}
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.EXPORT, object_id=str(export.pk), actor=office.user
    ).exists()

    partial = office.get(reverse("ledger:export_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # finished: the polling stops
    assert reverse("ledger:export_download", args=[export.pk]) in partial
    assert "100%" in partial
    downloaded = office.get(reverse("ledger:export_download", args=[export.pk]))
    assert b"".join(downloaded.streaming_content if downloaded.streaming else [downloaded.content]) == archive.read(
        export
    )


@pytest.mark.django_db
def test_a_small_export_is_made_at_once(office):
    ProjectFactory(name="滨江花园")
    response = office.get(reverse("ledger:export_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_the_job_page_shows_the_progress_and_only_to_who_asked(office, client_for):
    job = ExportJob.objects.create(
        kind=Export.Kind.LEDGER_XLSX, total=200, done=50, status=ExportJob.Status.RUNNING, requested_by=office.user
    )
    page = office.get(reverse("ledger:export_job", args=[job.pk])).content.decode()
    assert "已写入 50 / 200 个项目（25%）" in page
    assert '<progress class="w-100" id="job-progress" max="100" value="25"' in page
    other = client_for(Role.OFFICE)
    assert other.get(reverse("ledger:export_job", args=[job.pk])).status_code == 404
    assert client_for(Role.ADMIN).get(reverse("ledger:export_job", args=[job.pk])).status_code == 403
    assert office.post(reverse("ledger:export_job", args=[job.pk])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_job_that_fails_says_so_and_leaves_no_file(office):
    ProjectFactory.create_batch(3)
    office.get(reverse("ledger:export_xlsx"))
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(params="registered_from=2026-13-45")  # a filter that no longer holds
    _work()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "导出失败：查询条件已失效" in job.error
    assert job.export is None
    assert not Export.objects.exists()
    page = office.get(reverse("ledger:export_job", args=[job.pk])).content.decode()
    assert "导出失败" in page
    assert "hx-trigger" not in page


def test_the_progress_callback_counts_every_batch_of_projects():
    from ledger import exports

    seen = []

    class Row:
        def __init__(self, n):
            self.n = n

    batches = []
    original = exports.ledger_rows
    try:
        exports.ledger_rows = lambda batch, start, user, full_phones, today: batches.append((start, len(batch))) or []
        list(exports._rows([Row(n) for n in range(2 * exports.BATCH + 203)], None, date(2026, 12, 2), seen.append))
    finally:
        exports.ledger_rows = original
    size = exports.BATCH
    assert seen == [size, 2 * size]
    assert batches == [(1, size), (size + 1, size), (2 * size + 1, 203)]
