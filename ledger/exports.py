"""Excel exports of the ledger: exactly what the filter shows, in openpyxl's write-only mode.

A title and the filter above the table, Chinese headers, a frozen header row, column widths, real
dates and numbers, an autofilter. Both sheets end with a 预警状态 column whose cell is filled in the
warning colours used everywhere else (正常 green, 预警 amber, 逾期 red). A text cell beginning with
= + - @ or a tab is written as text (quote-prefixed), never as a formula; phones and ID numbers are
masked (the rows already carry masked values)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from ledger.selectors import LEDGER_COLUMNS, LedgerRow, ledger_rows
from projects.models import ProjectMatter
from qinqing.workdays import ProvisionalDate
from qinqing.xlsx import write_table as write_sheet

WARNING_COLUMN = "预警状态"
LEDGER_EXPORT_COLUMNS = (*LEDGER_COLUMNS, WARNING_COLUMN)
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
    WARNING_COLUMN,
)
LEDGER_WIDTHS = (6, 12, 28, 26, 26, 18, 10, 8, 18, 10, 30, 26, 10, 30, 30, 12, 20, 10)
MATTER_WIDTHS = (28, 30, 22, 10, 12, 10, 18, 10, 12, 8, 10)  # 到期日 wide enough for “2027-02-10（暂按）”


# projects read, turned into rows and reported to ``progress`` at a time
BATCH = 2000

MATTER_FIELDS = (
    "project__name",
    "matter__name",
    "unit__name",
    "mode",
    "accepted_on",
    "time_limit_workdays",
    "due_on",
    "status",
    "finished_on",
    "warn_on",
    "due_provisional",
    "result",
)


def _matter_rows(matters, today: date):
    """The matters sheet read as plain rows (values_list): a hundred thousand model instances would
    cost more than writing the whole workbook."""
    late, warning, marked = ProjectMatter.late, ProjectMatter.warning, ProvisionalDate.of
    label = ProjectMatter.label_of
    for (
        project, matter, unit, mode, accepted_on, limit, due_on, status, finished_on, warn_on, provisional, result
    ) in matters.values_list(*MATTER_FIELDS).iterator(chunk_size=2000):  # fmt: skip
        yield [
            project,
            matter,
            unit,
            mode,
            accepted_on,
            limit,
            marked(due_on, provisional),  # a date; shown “2027-02-10（暂按）” when provisional
            label(status, result),  # 办结（通过） …
            finished_on,
            "是" if late(status, due_on, finished_on, today) else "否",
            warning(status, due_on, warn_on, today) or None,  # no deadline: an empty cell
        ]


def ledger_workbook(
    *,
    projects,
    matters,
    described: str,
    exporter: str,
    user=None,
    progress: Callable[[int], None] | None = None,
    full_phones: bool = False,
) -> tuple[bytes, int]:
    """The ledger and its matters (a queryset, read as rows) as an .xlsx; returns the bytes and the
    number of projects.
    ``progress`` is told the number of projects written so far, every ``BATCH``."""
    today = timezone.localdate()
    stamp = f"查询条件：{described}；导出人：{exporter}；导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"
    workbook = Workbook(write_only=True)
    rows = ([*row.cells(), row.warning or None] for row in _rows(projects, user, today, progress, full_phones))
    count = write_sheet(
        workbook,
        "工作台账",
        f"{settings.HALL_NAME} 亲清帮办服务工作台账",
        stamp,
        LEDGER_EXPORT_COLUMNS,
        LEDGER_WIDTHS,
        rows,
        warning_column=len(LEDGER_COLUMNS),
    )
    write_sheet(
        workbook,
        "办理事项",
        "办理事项明细",
        stamp,
        MATTER_COLUMNS,
        MATTER_WIDTHS,
        _matter_rows(matters, today),
        warning_column=MATTER_COLUMNS.index(WARNING_COLUMN),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _rows(
    projects, user, today: date, progress: Callable[[int], None] | None = None, full_phones: bool = False
) -> Iterable[LedgerRow]:
    number = 1
    batch = []
    for project in projects:
        batch.append(project)
        if len(batch) == BATCH:
            yield from ledger_rows(batch, start=number, user=user, full_phones=full_phones, today=today)
            number += len(batch)
            batch = []
            if progress is not None:
                progress(number - 1)
    if batch:
        yield from ledger_rows(batch, start=number, user=user, full_phones=full_phones, today=today)


def _widths(table) -> list[int]:
    """Column widths from the header and the longest value (CJK characters count double), capped."""
    widths = []
    for index, name in enumerate(table.columns):
        longest = max([len(str(name)), *(len(str(row[index])) for row in table.rows[:200])])
        widths.append(max(8, min(2 * longest + 2, 50)))
    return widths


def summary_workbook(summary, *, exporter: str) -> bytes:
    """The weekly summary as an .xlsx: 概况 first, then one sheet per section, in the page's order.
    Every row of every section: ``summary`` is built with ``full=True``."""
    short = [table.title for table in summary.tables if not table.complete]
    if short:
        raise ValueError(f"周报 Excel 需要完整的“{'、'.join(short)}”：用 build_summary(period, full=True)")
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
