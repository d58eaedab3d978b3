"""The 暂按 mark: a due date computed on a provisional calendar (``due_provisional``) is marked with the same
words wherever it is shown — the dossier and its PDF, 事项办理, the matter ledger and its Excel, the to-do,
the weekly summary's page, Excel and PDF — and a due date on a published calendar is not."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from ledger import exports
from ledger.summary import Period, build_summary
from qinqing import workdays
from qinqing.roles import Role
from qinqing.workdays import PROVISIONAL_MARK, PROVISIONAL_NOTE, PROVISIONAL_TITLE, ProvisionalDate
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory
from tests.pdf import flat, pdf_text, require_cjk_font
from windows.todo import todo_for

D = date.fromisoformat
TODAY = D("2026-12-03")


@pytest.fixture
def two_matters(db):
    """One project, one unit: a matter due on a provisional calendar and one due on the published one."""
    unit = DepartmentFactory(name="区住房城乡建委")
    project = ProjectFactory(name="滨江花园")

    def matter(name, due, provisional):
        return ProjectMatterFactory(
            project=project,
            matter=MatterFactory(name=name, unit=unit, time_limit_workdays=20),
            unit=unit,
            status="已受理",
            accepted_on=D("2026-11-30"),
            time_limit_workdays=20,
            due_on=D(due),
            warn_on=D("2026-12-01"),  # both in the 预警 window, so the to-do lists both
            due_provisional=provisional,
        )

    return (
        matter("消防设计审查", "2027-01-04", True),
        matter("施工许可", "2026-12-28", False),
    )


def _mark_count(html: str) -> int:
    return html.count(f'title="{PROVISIONAL_TITLE}" data-provisional="1">{PROVISIONAL_MARK}</span>')


def test_the_dossier_and_the_matter_page_mark_the_provisional_date(client_for, two_matters):
    provisional, published = two_matters
    client = client_for(Role.SPECIALIST)
    provisional.project.specialist = client.user
    provisional.project.save()
    page = client.get(reverse("projects:detail", args=[provisional.project_id])).content.decode()
    assert _mark_count(page) == 1
    assert f"2027-01-04{PROVISIONAL_MARK}" in _text(page)
    assert f"2026-12-28{PROVISIONAL_MARK}" not in _text(page)
    page = client.get(reverse("projects:matter_move", args=[provisional.pk])).content.decode()
    assert _mark_count(page) == 1
    page = client.get(reverse("projects:matter_move", args=[published.pk])).content.decode()
    assert _mark_count(page) == 0


def test_the_units_list_and_the_todo_mark_it(client_for, two_matters):
    provisional, _ = two_matters
    client = client_for(Role.DEPARTMENT, department=provisional.unit)
    page = client.get(reverse("projects:unit_matters")).content.decode()
    assert _mark_count(page) == 1
    assert f"2027-01-04{PROVISIONAL_MARK}" in _text(page)
    items = next(s for s in todo_for(client.user, TODAY) if s.key == "matters").items
    texts = sorted(item.text for item in items)
    assert texts == [
        "滨江花园 · 施工许可（到期 2026-12-28）",
        f"滨江花园 · 消防设计审查（到期 2027-01-04{PROVISIONAL_MARK}）",
    ]


def test_the_matter_ledger_page_and_its_excel_mark_it(client_for, two_matters):
    office = client_for(Role.OFFICE)
    page = office.get(reverse("ledger:matters")).content.decode()
    assert _mark_count(page) == 1
    book = load_workbook(io.BytesIO(office.get(reverse("ledger:export_xlsx")).content))
    sheet = book["办理事项"]
    due_column = exports.MATTER_COLUMNS.index("到期日")
    rows = {row[1].value: row[due_column] for row in sheet.iter_rows(min_row=5)}
    marked, plain = rows["消防设计审查"], rows["施工许可"]
    # still real dates (they sort and filter as dates); the number format prints the mark after the date
    assert (marked.value.date(), plain.value.date()) == (D("2027-01-04"), D("2026-12-28"))
    assert marked.number_format == f'yyyy-mm-dd"{PROVISIONAL_MARK}"'
    assert PROVISIONAL_MARK not in plain.number_format
    assert sheet.column_dimensions["G"].width >= 16  # wide enough to print “2027-01-04（暂按）”


def test_the_dossier_pdf_marks_it_and_explains_the_mark(client_for, two_matters):
    require_cjk_font()
    office = client_for(Role.OFFICE)
    text = flat(pdf_text(office.get(reverse("ledger:dossier_pdf", args=[two_matters[0].project_id])).content))
    assert flat(PROVISIONAL_MARK) in text
    assert text.count(flat(PROVISIONAL_MARK)) == 2  # the one date, and the note that explains it
    assert flat(PROVISIONAL_TITLE) in text


ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def provisional_2026(monkeypatch):
    """2026 as if its calendar were not published (the package's data ends the year before)."""
    monkeypatch.setattr(workdays, "_official_year", lambda year: year < 2026)


def test_the_weekly_summary_marks_an_overdue_date_on_a_provisional_calendar(client_for, provisional_2026):
    require_cjk_font()
    project = ProjectFactory(name="滨江花园", registered_on=D("2026-10-01"))
    pm = ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="消防设计审查", time_limit_workdays=5),
        status="已受理",
        accepted_on=D("2026-10-20"),
        time_limit_workdays=5,
        due_on=D("2026-11-03"),
        warn_on=D("2026-10-28"),
        due_provisional=True,
    )
    pm.history.all().update(history_date=datetime.combine(D("2026-10-20"), time(10), tzinfo=ZONE))
    week = Period.week(2026, 45)  # 2 to 8 November 2026: overdue at its end
    summary = build_summary(week, full=True)
    table = summary.table("overdue")
    due = table.rows[0][table.columns.index("到期日")]
    assert isinstance(due, ProvisionalDate)
    assert due == D("2026-11-03")
    assert table.note.endswith(PROVISIONAL_NOTE)
    body = render_to_string("ledger/_summary_body.html", {"summary": summary})
    assert _mark_count(body) == 1
    assert f"2026-11-03{PROVISIONAL_MARK}" in _text(body)
    # the page an office reader opens
    office = client_for(Role.OFFICE)
    assert _mark_count(office.get(reverse("ledger:summary"), {"week": "2026-W45"}).content.decode()) == 1
    # the Excel: a date cell whose format prints the mark
    book = load_workbook(io.BytesIO(exports.summary_workbook(summary, exporter="测试")))
    sheet = book[table.title[:31]]
    cell = sheet.cell(row=5, column=table.columns.index("到期日") + 1)
    assert cell.value.date() == D("2026-11-03")
    assert PROVISIONAL_MARK in cell.number_format
    # the PDF: the mark and the sentence that explains it
    text = flat(pdf_text(exports.summary_pdf(build_summary(week), maker="测试")))
    assert flat(f"2026-11-03{PROVISIONAL_MARK}") in text
    assert flat(PROVISIONAL_TITLE) in text


def test_a_published_calendar_puts_no_mark_in_the_summary(db):
    project = ProjectFactory(registered_on=D("2026-10-01"))
    pm = ProjectMatterFactory(
        project=project, status="已受理", accepted_on=D("2026-10-20"), time_limit_workdays=5,
        due_on=D("2026-11-03"), warn_on=D("2026-10-28"),
    )  # fmt: skip
    pm.history.all().update(history_date=datetime.combine(D("2026-10-20"), time(10), tzinfo=ZONE))
    table = build_summary(Period.week(2026, 45)).table("overdue")
    due = table.rows[0][table.columns.index("到期日")]
    assert due == D("2026-11-03")
    assert not isinstance(due, ProvisionalDate)
    assert table.note != PROVISIONAL_NOTE


def test_one_wording_everywhere():
    """The old words (Monday–Friday only) are gone; every mark comes from qinqing.workdays."""
    base = Path(settings.BASE_DIR)
    stale = []
    for part in ("qinqing", "projects", "windows", "followups", "ledger", "templates"):
        for path in [*(base / part).glob("**/*.html"), *(base / part).glob("**/*.py")]:
            if "migrations" not in path.parts and "暂按周一至周五" in path.read_text(encoding="utf-8"):
                stale.append(str(path.relative_to(base)))
    assert stale == []


def _text(html: str) -> str:
    """The page's text without tags (a date and its mark read as one)."""
    import re

    return re.sub(r"<[^>]+>", "", html)
