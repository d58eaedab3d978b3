"""Excel tables in openpyxl's write-only mode, safe against formula injection: the one way every part
writes a sheet (the ledger, the weekly summary, the audit log).

A title and a description of the filter above the table, Chinese headers, a frozen header row,
column widths, real dates and numbers, an autofilter, and optionally a warning column in the
colours used everywhere else (正常 green, 预警 amber, 逾期 red). A text cell beginning with = + - @
or a tab is written as text (quote-prefixed), never as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable
from copy import copy

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_ROW = 4
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own 好 / 适中 / 差 cell styles: a light fill with a dark text of the same hue, readable in print
WARNING_STYLES = {
    "正常": ("C6EFCE", "006100"),
    "预警": ("FFEB9C", "9C5700"),
    "逾期": ("FFC7CE", "9C0006"),
}


def text_cell(sheet, value):
    """One value for a row: formula-like text as a quote-prefixed text cell, never a formula; any other
    value as it is (openpyxl writes dates as dates, yyyy-mm-dd, and numbers as numbers). Wrapping every
    value in a cell object would double the time of a large export."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


class WarningCells:
    """Cells of a warning state's word on the state's colour (blank for a row with no deadline).

    The three styles are registered with the workbook once; each cell then takes a copy of the
    registered style's indices, as openpyxl's own worksheet copy does (``cell._style``). Setting the
    fill, font and alignment on each of a hundred thousand cells would look each one up in the
    workbook's style lists again, a third of a full export's time."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.styles = {}
        for state, (fill, text) in WARNING_STYLES.items():
            model = WriteOnlyCell(sheet)
            model.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
            model.font = Font(color=text, bold=state != "正常")
            model.alignment = Alignment(horizontal="center")
            self.styles[state] = model._style

    def __call__(self, state: str):
        cell = WriteOnlyCell(self.sheet, value=state or None)
        style = self.styles.get(state)
        if style is not None:
            cell._style = copy(style)
        return cell


def write_table(
    workbook: Workbook,
    title: str,
    heading: str,
    described: str,
    columns,
    widths,
    rows: Iterable[list],
    *,
    warning_column: int | None = None,
) -> int:
    """One sheet: ``heading`` and ``described`` above a frozen header of ``columns`` (row 4), then the
    rows; the value at index ``warning_column`` of each row is a warning state and gets its colour.
    Returns the row count."""
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
    warning_cell = WarningCells(sheet)
    for values in rows:
        sheet.append([warning_cell(v) if i == warning_column else text_cell(sheet, v) for i, v in enumerate(values)])
        count += 1
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(count, 1)}"
    return count


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
