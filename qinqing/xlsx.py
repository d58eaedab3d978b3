"""Excel tables in openpyxl's write-only mode, safe against formula injection: the one way every part
writes a sheet (the ledger, the weekly summary, the audit log).

A title and a description of the filter above the table, Chinese headers, a frozen header row,
column widths, real dates and numbers, an autofilter, and optionally a warning column in the
colours used everywhere else (正常 green, 预警 amber, 逾期 red). A text cell beginning with = + - @
or a tab is written as text (quote-prefixed), never as a formula. A due date computed on a provisional
calendar (``ProvisionalDate``) stays a real date whose number format shows the 暂按 mark after it, so
it sorts and filters as a date and prints as “2027-02-10（暂按）”; a share (``Percent``) is a number
with a percent format.

Every sheet prints as it is: A4, landscape when the table is wide, fitted to the page's width, the
header row repeated on every page, the title in the page header and “第 1 页 共 3 页” in the footer,
thin borders round every cell of the table, wrapped text, and 宋体 throughout (the workbook's default
font, so what someone types in later is 宋体 too).

Speed: the ledger writes a hundred thousand rows of eighteen columns. A style on each cell costs a
cell object each and doubles the time, so the body of the table carries no per-cell style at all: the
workbook's default cell format (the one every unstyled cell takes) is 宋体 with wrapped text, and the
borders are one conditional format over the table's range, as the warning colours are."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

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

# 宋体, as Chinese Excel and WPS name it; charset 134 (GB2312) and family 3 tell a spreadsheet that lacks
# it (LibreOffice on Linux, Excel for Mac) to take its own Chinese serif font rather than a Latin one
FONT_NAME = "宋体"
BODY_FONT = Font(name=FONT_NAME, size=11, charset=134, family=3)
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True, charset=134, family=3)
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True, charset=134, family=3)
BODY_ALIGNMENT = Alignment(wrap_text=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="F2F2F2", end_color="F2F2F2")
THIN = Side(style="thin", color="808080")
TABLE_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# a table wider than this (in Excel's character widths), or with more columns, prints landscape
PORTRAIT_MAX_WIDTH = 100
PORTRAIT_MAX_COLUMNS = 8
PAGE_NUMBERS = "第 &P 页 共 &N 页"
# inches, as Excel counts them: about 1.5 cm at the sides, 2 cm top and bottom, the header and footer inside
PAGE_MARGINS = PageMargins(left=0.6, right=0.6, top=0.8, bottom=0.8, header=0.3, footer=0.3)
LINE_HEIGHT = 15  # points, one line of 11-point 宋体


class Percent(float):
    """A share (0.25 for 25 %) written as a number with a percent format, so it sums, sorts and charts."""

    __slots__ = ()


PERCENT_FORMAT = "0.0%"


def text_cell(sheet, value):
    """One value for a row: formula-like text as a quote-prefixed text cell, never a formula; any other
    value as it is (openpyxl writes dates as dates, yyyy-mm-dd, and numbers as numbers). Wrapping every
    value in a cell object would double the time of a large export."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        cell.alignment = BODY_ALIGNMENT  # a styled cell leaves the default format: wrap it as the rest
        return cell
    if value.__class__ is ProvisionalDate:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = PROVISIONAL_FORMAT
        return cell
    if value.__class__ is Percent:
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = PERCENT_FORMAT
        return cell
    return value


def house_style(workbook: Workbook) -> None:
    """Make 宋体 with wrapped text the workbook's default: the font of its Normal style (what Excel calls
    the workbook's default font) and the format of every cell written without a style of its own (cell
    format 0). openpyxl has no public way to change the default cell format, so this puts them in first
    place of its font and cell-format lists (what is already there keeps its place); once per workbook."""
    if workbook._fonts[0] == BODY_FONT:
        return
    workbook._fonts = IndexedList([BODY_FONT, *workbook._fonts[1:]])
    workbook._named_styles["Normal"].font = BODY_FONT  # recomputes the Normal style's font index: 0
    default = StyleArray()
    default.alignmentId = workbook._alignments.add(BODY_ALIGNMENT)
    workbook._cell_styles = IndexedList([default, *workbook._cell_styles[1:]])


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


def _lines(text: str, width: float, size: int = 11) -> int:
    """How many lines ``text`` takes wrapped in a cell ``width`` characters wide (a Chinese character
    is two), at ``size`` points."""
    units = sum(2 if ord(char) > 0x2E7F else 1 for char in text) * size / 11
    return max(1, math.ceil(units / max(width - 1, 1)))


def _print_setup(sheet, heading: str, widths: Sequence[float], columns: int) -> None:
    """A4, portrait or landscape by the table's width, every column on the page's width (as many pages
    down as it takes), the header row on every page, the title above and page numbers below."""
    setup = sheet.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
    wide = sum(widths) > PORTRAIT_MAX_WIDTH or columns > PORTRAIT_MAX_COLUMNS
    setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if wide else Worksheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PAGE_MARGINS
    sheet.oddHeader.center.text = heading.replace("&", "&&")
    sheet.oddFooter.center.text = PAGE_NUMBERS


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
    house_style(workbook)
    sheet = workbook.create_sheet(title)
    widths = list(widths)
    for index, width in enumerate(widths, start=1):
        column = sheet.column_dimensions[get_column_letter(index)]
        column.width = width
        column.alignment = BODY_ALIGNMENT  # the default format (xf 0), as the cells written in it
    last = get_column_letter(len(columns))
    total = sum(widths) or 10
    _print_setup(sheet, heading, widths, len(columns))
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    # the title and the conditions span the table's width, wrapped within it, so nothing prints past it
    if len(columns) > 1:
        sheet.merged_cells.add(f"A1:{last}1")
        sheet.merged_cells.add(f"A2:{last}2")
    sheet.row_dimensions[1].height = 20 * _lines(heading, total, 14)
    sheet.row_dimensions[2].height = LINE_HEIGHT * _lines(described, total)
    title_cell = WriteOnlyCell(sheet, value=heading)
    title_cell.font = TITLE_FONT
    title_cell.alignment = BODY_ALIGNMENT
    sheet.append([title_cell])
    sheet.append([text_cell(sheet, described)])
    sheet.append([])
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = HEADER_FONT
        cell.alignment = HEADER_ALIGNMENT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        # the tests inline: a function call per value costs more than the tests themselves (a million cells)
        sheet.append(
            [
                text_cell(sheet, v)
                if (isinstance(v, str) and v.startswith(FORMULA_STARTS))
                or v.__class__ is ProvisionalDate
                or v.__class__ is Percent
                else v
                for v in values
            ]
        )
        count += 1
    end = HEADER_ROW + max(count, 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{end}"
    # thin borders round every cell of the table, empty ones too: one rule, no style per cell
    sheet.conditional_formatting.add(f"A{HEADER_ROW}:{last}{end}", FormulaRule(formula=["TRUE"], border=TABLE_BORDER))
    if warning_column is not None:
        warning_rules(sheet, warning_column + 1, HEADER_ROW + 1, HEADER_ROW + count)
    return count


def new_workbook() -> Workbook:
    workbook = Workbook(write_only=True)
    house_style(workbook)
    return workbook


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
