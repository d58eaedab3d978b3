"""The ledger's demo data: what seed_demo leaves for someone trying the reform office's pages."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ledger import archive
from ledger.models import Export, ExportJob, SummaryIssue
from ledger.summary import Period, consultation_trend
from projects.models import Consultation
from qinqing.models import User
from tests.auth import sign_in
from tests.pdf import flat, pdf_text, require_cjk_font


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _periods():
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return Period.last_week(today), Period.of(last_month_end.replace(day=1), last_month_end)


def test_seed_demo_leaves_an_archive_and_a_trend_and_does_not_repeat_them(seeded):
    """GIVEN an empty database WHEN seed_demo runs THEN the archive holds last month's summary as PDF
    and last week's as Excel, issued by the office's demo account, intact, and downloadable again;
    each of the eleven weeks before this one has walk-ins for the trend chart; AND a second run
    adds neither exports nor walk-ins. (One test: seed_demo is the expensive part.)"""
    last_week, last_month = _periods()
    office = User.objects.get(username="demo_office")
    issues = SummaryIssue.objects.order_by("end")
    frozen = [pk for issue in issues for pk in (issue.pdf_id, issue.xlsx_id) if pk]
    # the office's background ledger export, made by the worker: listed on its workbench and in 导出记录
    (job,) = ExportJob.objects.all()
    assert (job.status, job.requested_by, job.export.kind) == (ExportJob.Status.DONE, office, Export.Kind.LEDGER_XLSX)
    assert job.export.filename.startswith("工作台账-完整电话-")
    exports = {e.kind: e for e in Export.objects.exclude(pk__in=frozen).exclude(pk=job.export_id)}
    assert set(exports) == {Export.Kind.SUMMARY_PDF, Export.Kind.SUMMARY_XLSX}
    pdf, xlsx = exports[Export.Kind.SUMMARY_PDF], exports[Export.Kind.SUMMARY_XLSX]
    assert (pdf.title, pdf.described, pdf.params) == (
        f"月报 {last_month.short}",
        last_month.label,
        last_month.querystring(),
    )
    assert (xlsx.title, xlsx.described, xlsx.params) == (
        f"周报 {last_week.short}",
        last_week.label,
        f"week={last_week.week_value}",
    )
    assert {pdf.created_by, xlsx.created_by} == {office}
    assert "已存档周报 2 份" in seeded
    # the stored files match their recorded SHA-256 and are what they say they are
    book = load_workbook(io.BytesIO(archive.read(xlsx)))
    assert book.sheetnames[0] == "概况"
    assert last_week.short in book["概况"]["A2"].value
    client = Client()
    sign_in(client, office)
    again = client.get(reverse("ledger:export_download", args=[pdf.pk]))
    assert again.status_code == 200
    assert again.content == archive.read(pdf)
    require_cjk_font()
    text = flat(pdf_text(again.content))
    assert "亲清帮办服务月报" in text
    assert flat(last_month.label) in text

    # the week before last issued as 周报 (numbered, its files archived), last week's narrative a draft
    assert [(i.status, i.end) for i in issues] == [
        ("已印发", last_week.start - timedelta(days=1)),
        ("草稿", last_week.end),
    ]
    assert issues[0].number_label.endswith("年第1期")

    # twelve weeks of walk-ins for the trend chart, some of them submissions on projects
    assert all(n > 0 for _, n in consultation_trend(last_week, weeks=11))
    assert Consultation.objects.filter(kind="报件", project__isnull=False).exists()

    # run again: nothing archived or logged twice
    before = (Export.objects.count(), Consultation.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (Export.objects.count(), Consultation.objects.count()) == before
    assert "已有导出记录，未重复创建" in out.getvalue()
