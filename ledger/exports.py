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
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from ledger.selectors import LEDGER_COLUMNS, PAUSED, LedgerRow, ledger_rows
from projects.models import ProjectMatter
from qinqing.masking import mask_numbers_in
from qinqing.workdays import ProvisionalDate
from qinqing.xlsx import HEADER_ROW, Percent
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
LEDGER_WIDTHS = (6, 12, 28, 26, 26, 18, 10, 8, 12, 8, 18, 10, 30, 26, 14, 30, 30, 12, 20, 10)
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
    supplement = ProjectMatter.Status.SUPPLEMENT
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
            # a date, shown “2027-02-10（暂按）” when provisional; 暂停计时 while the clock is stopped
            PAUSED if due_on is None and status == supplement else marked(due_on, provisional),
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


def _percent(value):
    """A percentage of the summary (Decimal 85.0, or text "85.0%") as a share with a percent format."""
    if isinstance(value, Decimal):
        return Percent(float(value) / 100)
    if isinstance(value, str) and value.endswith("%"):
        try:
            return Percent(float(value[:-1]) / 100)
        except ValueError:
            return value
    return value


def _without_percent_sign(name: str) -> str:
    """按时办结率（%） → 按时办结率; 整改完成率（截至期末，%） → 整改完成率（截至期末）: the cell says it."""
    return name.replace("（%）", "").replace("，%）", "）")


def _sheet_rows(table) -> tuple[tuple[str, ...], list[list]]:
    """A section's header and rows for its sheet: percentages as numbers with a percent format."""
    percent_columns = {i for i, name in enumerate(table.columns) if "%" in name}
    rows = []
    for row in table.rows:
        labelled = isinstance(row[0], str) and "%" in row[0]  # an 指标 / 数值 row of a rate
        cells = [_percent(v) if i in percent_columns or (labelled and i > 0) else v for i, v in enumerate(row)]
        if labelled:
            cells[0] = _without_percent_sign(cells[0])
        rows.append(cells)
    return tuple(_without_percent_sign(name) for name in table.columns), rows


CHART_SIZE = (18, 9)  # centimetres: readable on a landscape page beside the figures


def _add_chart(sheet, data, rows: int) -> None:
    """``data`` (a ``summary.ChartData``) as a native Excel chart over the sheet's table (header in
    row ``HEADER_ROW``, ``rows`` rows below it), placed to the right of the table."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.title = data.title
    chart.width, chart.height = CHART_SIZE
    last = HEADER_ROW + max(rows, 1)
    categories = Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last)
    if data.kind == "column":
        chart.type = "col"
        chart.add_data(Reference(sheet, min_col=2, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.legend = None
    elif data.kind == "stacked":
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        count = len(data.series)
        chart.add_data(
            Reference(sheet, min_col=2, max_col=1 + count, min_row=HEADER_ROW, max_row=last), titles_from_data=True
        )
        chart.y_axis.title = "事项数"
        chart.x_axis.scaling.orientation = "maxMin"  # the first stage on top, as on the page
    else:  # "rate": one bar per unit, from 0 to 100 %
        chart.type = "bar"
        chart.add_data(Reference(sheet, min_col=2, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.y_axis.number_format = "0%"
        chart.x_axis.scaling.orientation = "maxMin"
        chart.legend = None
    chart.set_categories(categories)
    # openpyxl hides the axes of a new chart unless told otherwise (Excel then draws no labels)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    from openpyxl.utils import get_column_letter

    sheet.add_chart(chart, f"{get_column_letter(len(data.series) + 3)}{HEADER_ROW}")


def summary_workbook(summary, *, exporter: str, issue=None) -> bytes:
    """The summary as an .xlsx in the page's order: the issued narrative (正文) when there is one, 概况,
    the charts (each a native Excel chart beside its figures), then one sheet per section.
    Every row of every section: ``summary`` is built with ``full=True``."""
    short = [table.title for table in summary.tables if not table.complete]
    if short:
        raise ValueError(f"周报 Excel 需要完整的“{'、'.join(short)}”：用 build_summary(period, full=True)")
    kind = issue.kind if issue is not None else summary.period.kind
    number = f"（{issue.number_label}）" if issue is not None and issue.number else ""
    stamp = f"期间：{summary.period.label}；制表人：{exporter}；制表时间：{timezone.localtime():%Y-%m-%d %H:%M}"
    heading = f"{settings.HALL_NAME} 亲清帮办服务{kind}{number}"
    workbook = Workbook(write_only=True)
    if issue is not None:
        from ledger.summary_issues import NARRATIVES

        write_sheet(
            workbook, "正文", f"{heading} · 正文", stamp, ("部分", "内容"), (16, 100),
            [[label, mask_numbers_in(getattr(issue, name)) or "（未填写）"] for name, label in NARRATIVES],
        )  # fmt: skip
    figures = [[label, _percent(value)] for label, value in summary.figures]
    write_sheet(workbook, "概况", f"{heading} · 概况", stamp, ("指标", "数值"), (28, 14), figures)
    for number, data in enumerate(summary.chart_data, start=1):
        title = f"图{number} {data.title}"
        columns = (data.label, *(name for name, _ in data.series))
        rows = [
            [category, *(_percent(values[i]) if data.kind == "rate" and s == 0 else values[i]
                         for s, (_, values) in enumerate(data.series))]
            for i, category in enumerate(data.categories)
        ]  # fmt: skip
        widths = (max(12, min(2 * max([len(c) for c in data.categories] or [4]) + 2, 40)), *([12] * len(data.series)))
        write_sheet(workbook, _sheet_title(title), f"{heading} · {title}", stamp, columns, widths, rows)
        _add_chart(workbook.worksheets[-1], data, len(rows))
    for table in summary.tables:
        columns, rows = _sheet_rows(table)
        write_sheet(
            workbook, _sheet_title(table.title), f"{heading} · {table.title}", stamp, columns, _widths(table), rows
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A sheet's name: at most 31 characters, none of Excel's forbidden ones."""
    for forbidden in "[]:*?/\\":
        title = title.replace(forbidden, "")
    return title[:31]


def summary_pdf(summary, *, maker: str, issue=None) -> bytes:
    """The summary as a formal A4 document: its title by the period (周报 / 月报 / 专报), the 期数 once
    issued (a draft says so), the issuing office and date, the narrative, then the figures, charts and
    tables (columns sized to their contents, never past the margin), page numbers, 制表人."""
    from ledger.summary_issues import NARRATIVES
    from qinqing.pdf import render_pdf

    context = {
        "summary": summary,
        "maker": maker,
        "made_at": timezone.localtime(),
        "kind": issue.kind if issue is not None else summary.period.kind,
        "issue": issue,
        "narratives": [(label, getattr(issue, name)) for name, label in NARRATIVES] if issue is not None else [],
    }
    return render_pdf("ledger/summary_print.html", context)
