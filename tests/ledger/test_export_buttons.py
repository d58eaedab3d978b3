"""The ledger's export buttons and what becomes of a background export: the buttons are plain links
(no ``download`` attribute, which made the browser save the progress page or the refusal as a file),
a too-large PDF is refused on the page the person clicked on, the person's background jobs are listed
on the workbench and in 导出记录, and the audit log says who asked, from where, and when a file with
full phone numbers is fetched again."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ledger import archive
from ledger.models import Export, ExportJob
from ledger.views import ledger as ledger_views
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, UserFactory

EXPORT_LINKS = re.compile(r"<a [^>]*data-testid=\"export-(?:xlsx|pdf|xlsx-full)\"[^>]*>")


def _work() -> None:
    """What the worker service does: run every queued task, then stop."""
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["ledger:index", "ledger:matters"])
def test_the_export_buttons_are_links_the_browser_follows(client_for, url_name):
    """GIVEN the ledger, by project or by matter
    THEN its three export buttons carry no ``download`` attribute: a redirect to the progress page or
    back to the ledger is followed, not saved as a file."""
    office = client_for(Role.OFFICE)
    links = EXPORT_LINKS.findall(office.get(reverse(url_name)).content.decode())
    assert len(links) == 3
    assert not [link for link in links if re.search(r"\sdownload[\s=>]", link)]


@pytest.mark.django_db
def test_a_pdf_over_the_limit_is_refused_on_the_page_it_was_asked_from(client_for, monkeypatch):
    monkeypatch.setattr(ledger_views, "PDF_MAX_ROWS", 2)
    office = client_for(Role.OFFICE)
    specialist = UserFactory(roles=[Role.SPECIALIST])
    ProjectFactory.create_batch(3, specialist=specialist)

    response = office.get(reverse("ledger:export_pdf"), {"q": ""}, follow=True)
    assert response.redirect_chain == [(f"{reverse('ledger:index')}?q=", 302)]
    assert "当前条件下有 3 个项目，PDF 最多 2 个；请缩小查询范围" in response.content.decode()

    matters = "http://testserver" + reverse("ledger:matters") + "?q="
    response = office.get(reverse("ledger:export_pdf"), {"q": ""}, HTTP_REFERER=matters, follow=True)
    assert response.redirect_chain == [(f"{reverse('ledger:matters')}?q=", 302)]
    assert "请缩小查询范围" in response.content.decode()
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_the_ledger_pdf_is_saved_not_opened_in_place(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory()
    response = office.get(reverse("ledger:export_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_a_full_phone_workbook_is_named_so(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory()
    plain = office.get(reverse("ledger:export_xlsx"))
    full = office.get(reverse("ledger:export_xlsx"), {"full_phones": "1"})
    assert re.search(r"filename\*=UTF-8''%E5%B7%A5%E4%BD%9C%E5%8F%B0%E8%B4%A6-\d{8}", plain["Content-Disposition"])
    names = list(Export.objects.order_by("id").values_list("filename", flat=True))
    assert re.fullmatch(r"工作台账-\d{8}-\d{4}\.xlsx", names[0])
    assert re.fullmatch(r"工作台账-完整电话-\d{8}-\d{4}\.xlsx", names[1])
    assert full.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_background_job_records_who_asked_and_from_where(client_for, settings):
    """GIVEN an export large enough for the background, asked for from 10.8.1.23 with full phones
    WHEN the worker makes it
    THEN its export and reveal rows name the person and that address (the worker has no request),
    and the file's name says it carries full phone numbers."""
    settings.BACKGROUND_EXPORT_PROJECTS = 1
    office = client_for(Role.OFFICE)
    ProjectFactory.create_batch(2, specialist=UserFactory(roles=[Role.SPECIALIST]))
    office.get(reverse("ledger:export_xlsx"), {"full_phones": "1"}, REMOTE_ADDR="10.8.1.23")
    job = ExportJob.objects.get()
    assert job.requested_from == "10.8.1.23"
    _work()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.export.filename.startswith("工作台账-完整电话-")
    rows = AuditEntry.objects.filter(object_id=str(job.export_id), object_type="ledger.export")
    assert sorted(rows.values_list("action", "actor", "ip")) == sorted(
        [
            (AuditEntry.Action.EXPORT, office.user.pk, "10.8.1.23"),
            (AuditEntry.Action.REVEAL, office.user.pk, "10.8.1.23"),
        ]
    )


@pytest.mark.django_db
def test_fetching_a_full_phone_export_again_is_logged_as_a_reveal(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory()
    masked = office.get(reverse("ledger:export_xlsx"))["X-Export-Id"]
    full = office.get(reverse("ledger:export_xlsx"), {"full_phones": "1"})["X-Export-Id"]
    reveals = AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL)
    assert reveals.count() == 1  # the first download of the full-phone file

    office.get(reverse("ledger:export_download", args=[masked]))
    assert reveals.count() == 1  # a masked file shows no personal data
    office.get(reverse("ledger:export_download", args=[full]), REMOTE_ADDR="10.8.1.24")
    again = reveals.latest("id")
    assert (again.object_id, again.actor, again.ip) == (full, office.user, "10.8.1.24")
    assert again.detail == "再次下载含完整联系电话的导出：1 个项目"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD, object_id=full).count() == 1


def _job(user, status, *, finished_days_ago=None, export=None) -> ExportJob:
    finished = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return ExportJob.objects.create(
        kind=Export.Kind.LEDGER_XLSX,
        described=f"{status}的导出",
        total=100,
        done=40 if status == ExportJob.Status.RUNNING else 0,
        status=status,
        requested_by=user,
        finished_at=finished,
        export=export,
    )


@pytest.mark.django_db
def test_running_and_recent_jobs_are_listed_on_the_workbench_and_in_the_archive(client_for):
    """GIVEN a person's running job, a job finished yesterday with its file, one that failed, one
    finished long ago, and someone else's running job
    THEN the workbench and 导出记录 list the person's running, finished and failed jobs with a link to
    the progress page and the file's download; not the old one, nor anyone else's."""
    office = client_for(Role.OFFICE)
    ProjectFactory()
    issued = Export.objects.get(pk=office.get(reverse("ledger:export_xlsx"))["X-Export-Id"])
    running = _job(office.user, ExportJob.Status.RUNNING)
    done = _job(office.user, ExportJob.Status.DONE, finished_days_ago=1, export=issued)
    failed = _job(office.user, ExportJob.Status.FAILED, finished_days_ago=0)
    old = _job(office.user, ExportJob.Status.FAILED, finished_days_ago=30)
    others = _job(UserFactory(roles=[Role.OFFICE]), ExportJob.Status.RUNNING)

    for url in (reverse("ledger:workbench"), reverse("ledger:export_list")):
        page = office.get(url).content.decode()
        assert 'data-testid="export-jobs"' in page, url
        for job in (running, done, failed):
            assert f'data-testid="export-job-{job.pk}"' in page, url
            assert reverse("ledger:export_job", args=[job.pk]) in page, url
        assert f'data-testid="export-job-{old.pk}"' not in page
        assert f'data-testid="export-job-{others.pk}"' not in page
        assert "生成中（40%）" in page
        assert (
            f'href="{reverse("ledger:export_download", args=[issued.pk])}" data-testid="job-download-{done.pk}"' in page
        )


@pytest.mark.django_db
def test_no_job_panel_for_someone_without_jobs(client_for):
    office = client_for(Role.OFFICE)
    assert 'data-testid="panel-export-jobs"' not in office.get(reverse("ledger:workbench")).content.decode()
    assert 'data-testid="export-jobs"' not in office.get(reverse("ledger:export_list")).content.decode()


@pytest.mark.django_db
def test_an_archived_pdf_downloads_as_a_file(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory()
    office.get(reverse("ledger:export_pdf"))
    export = Export.objects.get()
    response = office.get(reverse("ledger:export_download", args=[export.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == archive.read(export)
