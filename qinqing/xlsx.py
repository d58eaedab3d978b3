"""Excel tables in openpyxl's write-only mode, safe against formula injection: the one way every part
writes a sheet (the ledger, the weekly summary, the audit log).

A title and a description of the filter above the table, Chinese headers, a frozen header row,
column widths, real dates and numbers, an autofilter, and optionally a warning column in the
colours used everywhere else (正常 green, 预警 amber, 逾期 red). A text cell beginning with = + - @
or a tab is written as text (quote-prefixed), never as a formula. A due date computed on a provisional
calendar (``ProvisionalDate``) stays a real date whose number format shows the 暂按 mark after it, so
it sorts and filters as a date and prints as “2027-02-10（暂按）”."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qinqing.workdays import PROVISIONAL_MARK, ProvisionalDate

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PROVISIONAL_FORMAT = f'yyyy-mm-dd"{PROVISIONAL_MARK}"'
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
    if value.__class__ is ProvisionalDate:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = PROVISIONAL_FORMAT
        return cell
    return value


def warning_rules(sheet, column: int, first_row: int, last_row: int) -> None:
    """The warning column's colours as Excel conditional formatting: each state's word on its fill,
    in its text colour (bold but 正常), decided by the cell's own value. One rule per state for the
    whole column rather than a style on each of a hundred thousand cells (which in openpyxl's
    write-only mode costs a cell object each); Excel, WPS and LibreOffice show and print them alike,
    and a cell someone corrects afterwards takes the colour of its new word."""
    letter = get_column_letter(column)
    cells = f"{letter}{first_row}:{letter}{max(first_row, last_row)}"
    for state, (fill, text) in WARNING_STYLES.items():
        sheet.conditional_formatting.add(
            cells,
            CellIsRule(
                operator="equal",
                formula=[f'"{state}"'],
                fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill, bgColor=fill),
                font=Font(color=text, bold=state != "正常"),
            ),
        )


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
    for values in rows:
        # the tests inline: a function call per value costs more than the tests themselves (a million cells)
        sheet.append(
            [
                text_cell(sheet, v)
                if (isinstance(v, str) and v.startswith(FORMULA_STARTS)) or v.__class__ is ProvisionalDate
                else v
                for v in values
            ]
        )
        count += 1
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(count, 1)}"
    if warning_column is not None:
        warning_rules(sheet, warning_column + 1, HEADER_ROW + 1, HEADER_ROW + count)
    return count


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
