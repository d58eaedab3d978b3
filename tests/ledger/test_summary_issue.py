"""Issuing a summary (issue 17): the title follows the period (周报 / 月报 / 专报); the office writes the
narrative on the page as a draft (kept on error, stale-safe); issuing numbers it (2026年第N期 per kind
and year), stores its PDF and Excel in the archive and freezes it; the issued files download again byte
for byte. The Excel has native charts, percentages as numbers, and its sheets in the page's order."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from ledger import exports, summary_issues
from ledger.models import Export, SummaryIssue
from ledger.summary import Period, build_summary
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectMatterFactory, UserFactory
from tests.pdf import flat, pdf_text, require_cjk_font

WEEK = Period.week(2026, 45)
TEXTS = {"work": "本周协调了三个项目。", "problems": "补正往返次数多。", "plans": "实行日调度。"}


def _post(client, name, period: Period, **data):
    fields = {"week": period.week_value} if period.iso_week else {"start": f"{period.start}", "end": f"{period.end}"}
    return client.post(reverse(name), {**fields, **data})


def test_the_title_follows_the_period():
    assert WEEK.kind == "周报"
    november = Period.of(date(2026, 11, 1), date(2026, 11, 30))
    assert (november.kind, november.short) == ("月报", "2026年11月")
    assert Period.of(date(2026, 2, 1), date(2026, 2, 28)).kind == "月报"
    assert Period.of(date(2026, 11, 1), date(2026, 11, 29)).kind == "专报"
    assert Period.of(date(2026, 10, 15), date(2026, 11, 14)).kind == "专报"


@pytest.fixture
def office(db):
    return UserFactory(display_name="赵督查", roles=[Role.OFFICE])


def test_a_draft_is_saved_then_refused_when_stale(office):
    draft = summary_issues.summary_draft_save(actor=office, request=None, period=WEEK, version=None, **TEXTS)
    assert (draft.kind, draft.status, draft.number) == ("周报", "草稿", None)
    summary_issues.summary_draft_save(
        actor=office, request=None, period=WEEK, version=draft.version, **{**TEXTS, "plans": "改过"}
    )
    with pytest.raises(ValidationError, match="已被他人修改|刷新"):
        summary_issues.summary_draft_save(actor=office, request=None, period=WEEK, version=draft.version, **TEXTS)
    with pytest.raises(ValidationError, match="他人已先保存"):
        summary_issues.summary_draft_save(actor=office, request=None, period=WEEK, version=None, **TEXTS)
    assert SummaryIssue.objects.get().plans == "改过"


def test_issuing_numbers_per_kind_and_year_and_freezes(office):
    require_cjk_font()
    numbers = []
    for period in (WEEK, Period.week(2026, 46), Period.of(date(2026, 11, 1), date(2026, 11, 30))):
        draft = summary_issues.summary_draft_save(actor=office, request=None, period=period, version=None, **TEXTS)
        issued = summary_issues.summary_issue(actor=office, request=None, period=period, version=draft.version)
        numbers.append((issued.kind, issued.number_label))
    year = issued.year
    assert numbers == [("周报", f"{year}年第1期"), ("周报", f"{year}年第2期"), ("月报", f"{year}年第1期")]
    issue = SummaryIssue.objects.get(start=WEEK.start)
    assert issue.issued
    assert (issue.pdf.kind, issue.xlsx.kind) == (Export.Kind.SUMMARY_PDF, Export.Kind.SUMMARY_XLSX)
    text = flat(pdf_text(issue.pdf.file.read()))
    for expected in ("亲清帮办服务周报", f"{year}年第1期", "一、工作开展情况", "本周协调了三个项目", "附件：统计数据"):
        assert expected in text, expected
    assert "草稿" not in text
    # frozen: no more edits, no second issue
    with pytest.raises(ValidationError, match="已印发"):
        summary_issues.summary_draft_save(actor=office, request=None, period=WEEK, version=issue.version, **TEXTS)
    with pytest.raises(ValidationError, match="已于"):
        summary_issues.summary_issue(actor=office, request=None, period=WEEK, version=issue.version)
    assert AuditEntry.objects.filter(object_type="ledger.summaryissue", detail__startswith="印发周报").count() == 2


def test_issuing_needs_every_narrative_section_and_a_finished_period(office):
    draft = summary_issues.summary_draft_save(
        actor=office, request=None, period=WEEK, version=None, work="写了", problems="", plans=""
    )
    with pytest.raises(ValidationError, match="存在问题、下步打算"):
        summary_issues.summary_issue(actor=office, request=None, period=WEEK, version=draft.version)
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("草稿", None)
    assert not Export.objects.exists()


def test_a_failed_issue_takes_no_number_and_keeps_the_draft(office, monkeypatch):
    draft = summary_issues.summary_draft_save(actor=office, request=None, period=WEEK, version=None, **TEXTS)

    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(exports, "summary_pdf", broken)
    with pytest.raises(RuntimeError):
        summary_issues.summary_issue(actor=office, request=None, period=WEEK, version=draft.version)
    draft.refresh_from_db()
    assert (draft.status, draft.work) == ("草稿", TEXTS["work"])
    monkeypatch.undo()
    require_cjk_font()
    issued = summary_issues.summary_issue(actor=office, request=None, period=WEEK, version=draft.version)
    assert issued.number == 1  # the failure took no number


def test_the_page_keeps_the_text_on_error_and_issues_then_downloads_byte_for_byte(client_for, db):
    require_cjk_font()
    office = client_for(Role.OFFICE)
    response = _post(office, "ledger:summary_narrative", WEEK, work="<script>x</script>", problems="", plans="好")
    assert response.status_code == 400
    page = response.content.decode()
    assert "好</textarea>" in page  # what was typed is still there
    assert not SummaryIssue.objects.exists()
    response = _post(office, "ledger:summary_narrative", WEEK, **TEXTS)
    assert response.status_code == 302
    page = office.get(reverse("ledger:summary"), {"week": WEEK.week_value}).content.decode()
    assert "本周协调了三个项目。</textarea>" in page
    assert 'data-testid="issue-form"' in page
    draft = SummaryIssue.objects.get()
    # not confirmed: nothing issued
    _post(office, "ledger:summary_issue", WEEK, version=draft.version)
    assert not SummaryIssue.objects.get().issued
    _post(office, "ledger:summary_issue", WEEK, version=draft.version, confirm="1")
    issue = SummaryIssue.objects.get()
    assert issue.issued
    page = office.get(reverse("ledger:summary"), {"week": WEEK.week_value}).content.decode()
    assert f"已印发 {issue.number_label}" in page
    assert "<textarea" not in page  # frozen
    # the export buttons of an issued period give the issued files, byte for byte
    for name, export in (("ledger:summary_pdf", issue.pdf), ("ledger:summary_xlsx", issue.xlsx)):
        response = office.get(reverse(name), {"week": WEEK.week_value}, follow=True)
        assert response.status_code == 200
        assert b"".join(response.streaming_content if response.streaming else [response.content]) == (
            export.file.open("rb").read()
        )
    assert Export.objects.count() == 2  # nothing new was generated


def test_the_workbook_has_native_charts_percentages_and_the_page_order(db):
    ProjectMatterFactory(status="已办结", accepted_on=date(2026, 11, 2), due_on=date(2026, 11, 6),
                         finished_on=date(2026, 11, 5), time_limit_workdays=4)  # fmt: skip
    summary = build_summary(WEEK, full=True)
    book = load_workbook(io.BytesIO(exports.summary_workbook(summary, exporter="赵督查")))
    charts = [f"图{n} {data.title}"[:31] for n, data in enumerate(summary.chart_data, start=1)]
    assert book.sheetnames == ["概况", *charts, *(t.title for t in summary.tables)]
    for name in charts:
        assert len(book[name]._charts) == 1, name  # a native Excel chart beside its figures
    rate_sheet = book[charts[2]]
    assert rate_sheet["B5"].value == 1.0
    assert rate_sheet["B5"].number_format == "0.0%"
    units = book["各责任单位办理时效"]
    header = [c.value for c in units[4]]
    rate = next(r for r in units.iter_rows(min_row=5) if r[header.index("按时办结率")].value is not None)
    cell = rate[header.index("按时办结率")]
    assert (cell.value, cell.number_format) == (1.0, "0.0%")
    overview = {row[0].value: row[1] for row in book["概况"].iter_rows(min_row=5)}
    assert (overview["按时办结率"].value, overview["按时办结率"].number_format) == (1.0, "0.0%")
