"""Excel exports of the ledger: exactly what the filter shows, in openpyxl's write-only mode.

A title and the filter above the table, Chinese headers, a frozen header row, column widths, real
dates and numbers, an autofilter. A text cell beginning with = + - @ or a tab is written as text
(quote-prefixed), never as a formula; phones are masked (the rows already carry masked values)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ledger.selectors import LEDGER_COLUMNS, LedgerRow, ledger_rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MATTER_COLUMNS = (
    "项目",
    "事项",
    "责任单位",
    "办理方式",
    "受理日期",
    "承诺时限（工作日）",
    "到期日",
    "状态",
    "办结日期",
    "是否逾期",
)
LEDGER_WIDTHS = (6, 12, 28, 26, 26, 18, 10, 8, 18, 10, 30, 26, 10, 30, 30, 12, 20)
MATTER_WIDTHS = (28, 30, 22, 10, 12, 10, 12, 10, 12, 8)
HEADER_ROW = 4


def text_cell(sheet, value):
    """A cell for one value: dates as dates, numbers as numbers, formula-like text as plain text."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, (date, datetime)):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_sheet(
    workbook: Workbook, title: str, heading: str, described: str, columns, widths, rows: Iterable[list]
) -> int:
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    title_cell = WriteOnlyCell(sheet, value=heading)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    sheet.append([text_cell(sheet, described)])
    sheet.append([])
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        sheet.append([text_cell(sheet, v) for v in values])
        count += 1
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(count, 1)}"
    return count


def _matter_rows(matters, today: date):
    for pm in matters:
        yield [
            pm.project.name,
            pm.matter.name,
            pm.unit.name,
            pm.mode,
            pm.accepted_on,
            pm.time_limit_workdays,
            pm.due_on,
            pm.status,
            pm.finished_on,
            "是" if pm.late_on(today) else "否",
        ]


def ledger_workbook(*, projects, matters, described: str, exporter: str, user=None) -> tuple[bytes, int]:
    """The ledger and its matters as an .xlsx; returns the bytes and the number of projects."""
    today = timezone.localdate()
    stamp = f"查询条件：{described}；导出人：{exporter}；导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"
    workbook = Workbook(write_only=True)
    rows = (row.cells() for row in _rows(projects, user))
    count = write_sheet(
        workbook,
        "工作台账",
        f"{settings.HALL_NAME} 亲清帮办服务工作台账",
        stamp,
        LEDGER_COLUMNS,
        LEDGER_WIDTHS,
        rows,
    )
    write_sheet(
        workbook, "办理事项", "办理事项明细", stamp, MATTER_COLUMNS, MATTER_WIDTHS, _matter_rows(matters, today)
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _rows(projects, user) -> Iterable[LedgerRow]:
    number = 1
    batch = []
    for project in projects:
        batch.append(project)
        if len(batch) == 500:
            yield from ledger_rows(batch, start=number, user=user)
            number += len(batch)
            batch = []
    if batch:
        yield from ledger_rows(batch, start=number, user=user)


def _widths(table) -> list[int]:
    """Column widths from the header and the longest value (CJK characters count double), capped."""
    widths = []
    for index, name in enumerate(table.columns):
        longest = max([len(str(name)), *(len(str(row[index])) for row in table.rows[:200])])
        widths.append(max(8, min(2 * longest + 2, 50)))
    return widths


def summary_workbook(summary, *, exporter: str) -> bytes:
    """The weekly summary as an .xlsx: 概况 first, then one sheet per section, in the page's order."""
    stamp = f"期间：{summary.period.label}；制表人：{exporter}；制表时间：{timezone.localtime():%Y-%m-%d %H:%M}"
    heading = f"{settings.HALL_NAME} 亲清帮办服务周报"
    workbook = Workbook(write_only=True)
    write_sheet(workbook, "概况", f"{heading} · 概况", stamp, ("指标", "数值"), (28, 14), summary.figures)
    for table in summary.tables:
        rows = table.rows or []
        write_sheet(
            workbook, table.title[:31], f"{heading} · {table.title}", stamp, table.columns, _widths(table), rows
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def summary_pdf(summary, *, maker: str) -> bytes:
    """The weekly summary as a formal A4 document (title, issuing office, period, page numbers, 制表人)."""
    from qinqing.pdf import render_pdf

    return render_pdf(
        "ledger/summary_print.html", {"summary": summary, "maker": maker, "made_at": timezone.localtime()}
    )
