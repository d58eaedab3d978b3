"""Import of an existing Excel ledger (工作台账) as project dossiers: upload, preview, confirm.

The uploaded file is checked completely before anything is kept: the name must end in .xlsx, the
bytes must be a zip archive within the size limits (compressed and uncompressed, against zip
bombs), openpyxl must open it, and a header row with 项目名称 must be found in its first rows. Only
then is the file stored (an ASCII name, its SHA-256 recorded) with a ``LedgerImport`` row waiting
for confirmation. A bad file leaves nothing behind.

The preview reads the stored file again and checks every row against the database as it is now;
the confirmation does the same inside one transaction with the import row locked, so a project
created in between is skipped, a second confirmation is refused, and a failure part-way leaves
nothing half-imported. A row is matched to an existing project by its project code, or, without
a code, by its name and builder (spaces and full-width forms ignored): such rows are skipped, so
importing the same file twice creates nothing the second time. Each new dossier gets its history
row (reason 台账导入) and the first entry of its timeline naming the file and row; the import as a
whole is one IMPORT row of the audit log, listing the projects it created.

Formulas are never evaluated: the workbook is read with ``data_only=False``, so a formula cell is
seen as a formula (not as its cached value) and its row is refused."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from simple_history.utils import bulk_create_with_history

from ledger.models import LedgerImport
from projects import timeline
from projects.models import Project, Stage
from qinqing import audit, files
from qinqing.masking import mask_phone
from qinqing.models import AuditEntry, User
from qinqing.roles import Role
from qinqing.services import lock_named
from qinqing.validators import (
    credit_code_validator,
    no_markup,
    normalize_code,
    phone_validator,
    project_code_validator,
)

# --- limits ---------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# the sum of the archive members' uncompressed sizes: a real ledger of 5,000 rows is a few MB
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_ROWS = 5000
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 10
SHEET_NAME = "工作台账"
NOTE_PREFIX = "【台账导入】"
ZIP_MAGIC = b"PK\x03\x04"

WRONG_TYPE = "只支持 Excel 2007 及以上的 .xlsx 文件。.xls、.csv 等其他格式请先在 Excel 中“另存为”.xlsx 后再上传。"
FORMULA_ERROR = "单元格含公式，未导入"
BROKEN = "文件已损坏或不是有效的 Excel 文件，请用 Excel 打开检查后另存为 .xlsx 再上传。"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImportStateError(Exception):
    """The import is no longer waiting for confirmation, or has nothing to import."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


# --- headers --------------------------------------------------------------------------------------

FIELD_LABELS: dict[str, str] = {
    "seq": "序号",
    "registered_on": "登记日期",
    "name": "项目名称",
    "code": "项目代码",
    "builder": "建设单位",
    "builder_credit_code": "统一社会信用代码",
    "contact": "联系人及电话",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "site": "建设地点",
    "investment_type": "投资类型",
    "nature": "建设性质",
    "total_investment": "总投资（万元）",
    "is_key": "重点项目",
    "stage": "所处阶段",
    "specialist": "帮办专员",
    "consulted": "咨询/报件事项",
    "notified": "一次性告知情况",
    "progress": "办理进度",
    "problems": "存在问题",
    "solved": "协调解决情况",
    "completed_on": "办结时间",
    "note": "备注",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "registered_on": ("登记日期", "日期", "来访日期", "登记时间", "咨询日期", "建档日期"),
    "name": ("项目名称", "名称", "项目", "项目名", "项目全称"),
    "code": ("项目代码", "投资项目统一代码", "统一代码", "代码", "项目统一代码", "项目编码", "投资项目代码"),
    "builder": ("建设单位", "业主单位", "申请单位", "建设单位名称", "项目单位", "业主"),
    "builder_credit_code": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "contact": (
        "联系人及电话",
        "联系人及联系电话",
        "联系人及联系方式",
        "联系人和电话",
        "联系人电话",
        "联系方式",
        "联系人及手机",
    ),
    "contact_name": ("联系人", "联系人姓名", "项目联系人"),
    "contact_phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系手机", "电话号码"),
    "site": ("建设地点", "项目地点", "项目地址", "地点"),
    "investment_type": ("投资类型", "投资性质", "投资主体", "投资类别"),
    "nature": ("建设性质", "性质"),
    "total_investment": ("总投资", "项目总投资", "总投资额", "投资额", "投资金额"),
    "is_key": ("重点项目", "是否重点项目", "重点"),
    "stage": ("所处阶段", "阶段", "审批阶段", "当前阶段", "所在阶段"),
    "specialist": ("帮办专员", "专员", "帮办人", "帮办人员", "帮代办专员", "帮办员", "代办专员"),
    "consulted": ("咨询报件事项", "咨询事项", "报件事项", "事项", "咨询内容", "办理事项"),
    "notified": ("一次性告知情况", "一次性告知", "告知情况"),
    "progress": ("办理进度", "进度"),
    "problems": ("存在问题", "问题", "存在的问题", "困难问题"),
    "solved": ("协调解决情况", "解决情况", "协调情况", "协调解决"),
    "completed_on": ("办结时间", "办结日期", "完成时间"),
    "note": ("备注", "说明"),
}

_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_HEADER_NOISE = re.compile(r"[\s/\\、,，.。:：;；*\-_~·'\"“”‘’|!！?？]")


def normalize_header(text: Any) -> str:
    """项目名称、“项目 名称”、“项目名称（全称）”、“ 项目名称* ” all read the same."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))  # full-width letters, spaces, brackets → ASCII
    folded = _PARENS.sub("", folded)
    return _HEADER_NOISE.sub("", folded)


HEADER_FIELDS: dict[str, str] = {
    normalize_header(alias): name for name, aliases in _ALIASES.items() for alias in aliases
}
# columns this system's own export adds that are worked out, not facts: read past, never reported unknown
COMPUTED_HEADERS = frozenset({normalize_header("预警状态")})
# the columns whose text is kept in the project's note, in this order, with these labels
NOTE_PARTS = (
    ("consulted", "事项"),
    ("notified", "一次性告知"),
    ("progress", "办理进度"),
    ("problems", "存在问题"),
    ("solved", "协调解决"),
    ("note", "备注"),
)
# what this system's own export writes when there is nothing to say
_NOTE_NOISE = {"未告知", "0/0"}


# --- reading the workbook -------------------------------------------------------------------------


@dataclass
class Column:
    index: int
    header: str
    field: str

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass
class Table:
    """The data of one sheet: recognised columns and the raw cells of the data rows."""

    sheet: str
    header_row: int
    columns: list[Column]
    unknown: list[str]
    # (row number in Excel, {field: (value, why the cell is refused or "")})
    rows: list[tuple[int, dict[str, tuple[Any, str]]]]


def clean_filename(name: str) -> str:
    """The uploaded file's own name, without path parts or control characters, at most 200 characters."""
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > 200:
        suffix = PurePosixPath(name).suffix[:10]
        name = name[: 200 - len(suffix)] + suffix
    return name or "台账.xlsx"


def check_upload(*, name: str, size: int) -> None:
    """Refuse by name and size before the bytes are read."""
    if not clean_filename(name).lower().endswith(".xlsx"):
        raise ImportFileError(WRONG_TYPE)
    if size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"文件过大（{_size_text(size)}），最大 {_size_text(MAX_UPLOAD_BYTES)}。"
            "请删除无关的工作表、图片后再上传，或分成几个文件分批导入。"
        )
    if size == 0:
        raise ImportFileError("文件是空的（0 字节），请重新选择文件。")


def _check_zip(content: bytes) -> None:
    if not content.startswith(ZIP_MAGIC):
        raise ImportFileError(WRONG_TYPE)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(BROKEN) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError(BROKEN)
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            f"文件解压后超过 {_size_text(MAX_UNCOMPRESSED_BYTES)}，不像是正常的台账文件，未导入。"
            "请只保留台账工作表后另存为 .xlsx 再上传。"
        )


def _refused(cell) -> str:
    """Why a cell's value cannot be taken: a formula (also text that reads like one), an error value."""
    kind = getattr(cell, "data_type", None)
    if kind == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return FORMULA_ERROR
    if kind == "e":
        return f"单元格是错误值（{str(cell.value)[:10]}），未导入"
    return ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(rows: list[tuple[int, list[Any]]], sheet: str) -> tuple[int, list[Column], list[str]]:
    best: tuple[int, list[Column], list[str]] | None = None
    for number, values in rows:
        columns: list[Column] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for index, value in enumerate(values):
            if _blank(value):
                continue
            if normalize_header(value) in COMPUTED_HEADERS:
                continue
            header = re.sub(r"\s+", " ", str(value)).strip()[:40]
            name = HEADER_FIELDS.get(normalize_header(value))
            if name is None:
                unknown.append(header)
            elif name in seen:
                unknown.append(f"{header}（与前面的列重复，未使用）")
            else:
                seen.add(name)
                columns.append(Column(index=index, header=header, field=name))
        if "name" in seen and len(seen - {"seq"}) >= 2:
            return number, columns, unknown
        if len(seen) >= 2 and best is None:
            best = (number, columns, unknown)
    if best is not None:
        number, columns, _ = best
        found = "、".join(c.header for c in columns)
        raise ImportFileError(
            f"工作表“{sheet}”第 {number} 行的表头中没有“项目名称”列，无法导入（已识别的列：{found}）。"
            "请在项目名称所在列的表头填写“项目名称”。"
        )
    raise ImportFileError(
        f"在工作表“{sheet}”的前 {HEADER_SEARCH_ROWS} 行中没有找到表头。"
        "表头应包含“项目名称”，以及登记日期、项目代码、建设单位、帮办专员等列中的至少一列。"
    )


def read_table(content: bytes) -> Table:
    """The ledger sheet of an .xlsx: its header and data rows; ImportFileError if unusable."""
    _check_zip(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors…) on a bad file
        raise ImportFileError(BROKEN) from None
    try:
        return _read_sheet(workbook)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(BROKEN) from None
    finally:
        workbook.close()


def _picked(cells, columns: list[Column]) -> dict[str, tuple[Any, str]]:
    picked: dict[str, tuple[Any, str]] = {}
    for column in columns:
        if column.index < len(cells):
            cell = cells[column.index]
            if not _blank(cell.value):
                picked[column.field] = (cell.value, _refused(cell))
    return picked


def _read_sheet(workbook) -> Table:
    sheets = workbook.worksheets
    if not sheets:
        raise ImportFileError("文件中没有工作表。")
    sheet = next((s for s in sheets if s.title.strip() == SHEET_NAME), sheets[0])
    title = sheet.title
    # the size a file declares may be wrong (some tools write "A1"): read every row there is
    sheet.reset_dimensions()
    head: list[tuple[int, list[Any]]] = []
    # max_col: a row's width is otherwise that of its last cell (one cell in column XFD = 16,384 cells)
    rows = sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS)
    for number, cells in enumerate(rows, start=1):
        head.append((number, [c.value for c in cells]))
    if not any(not _blank(v) for _, values in head for v in values):
        raise ImportFileError(f"工作表“{title}”是空的（至少前 {HEADER_SEARCH_ROWS} 行没有内容），没有可导入的内容。")
    header_row, columns, unknown = _find_header(head, title)
    data: list[tuple[int, dict[str, tuple[Any, str]]]] = []
    # the rows already read below the header are data too: read from just below it, cells this time
    rows = sheet.iter_rows(min_row=header_row + 1, max_col=MAX_COLUMNS)
    for number, cells in enumerate(rows, start=header_row + 1):
        picked = _picked(cells, columns)
        if not set(picked) - {"seq"}:
            continue  # an empty row, or one with only its number (a template numbered in advance)
        if len(data) >= MAX_ROWS:
            raise ImportFileError(f"数据超过 {MAX_ROWS} 行，请分成几个文件分批导入。")
        data.append((number, picked))
    if not data:
        raise ImportFileError(f"工作表“{title}”的表头（第 {header_row} 行）下面没有数据行，没有可导入的内容。")
    return Table(sheet=title, header_row=header_row, columns=columns, unknown=unknown, rows=data)


# --- checking the rows ----------------------------------------------------------------------------

OUTCOME_NEW = "new"
OUTCOME_EXISTS = "exists"
OUTCOME_ERROR = "error"
OUTCOME_LABELS = {OUTCOME_NEW: "可导入", OUTCOME_EXISTS: "已存在，跳过", OUTCOME_ERROR: "有问题，未导入"}

_PLACEHOLDERS = {"-", "--", "—", "——", "/", "无", "暂无", "n/a", "na", "未赋码", "待赋码", "暂未赋码"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MASKED_PHONE = re.compile(r"[0-9][0-9*]*\*[0-9*]*")
# a mobile (optionally +86, digits grouped by spaces or dashes), a landline with its area code (in
# brackets or not, grouped likewise, with an extension), or a bare local number
_PHONE = re.compile(
    r"(?<![0-9])(?:"
    r"(?:\+?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]){8}"
    r"|[(（]?0[0-9]{2,3}[)）]?[\s-]?[0-9]{3,4}[\s-]?[0-9]{4}(?:-[0-9]{1,6})?"
    r"|[0-9]{7,8}"
    r")(?![0-9])"
)
_MOBILE_PREFIX = re.compile(r"^\+?86(?=1[3-9][0-9]{9}$)")
_DIGIT_RUN = re.compile(r"[0-9]{5,}")
_CONTACT_NOISE = re.compile(r"(联系电话|电话|手机号码|手机号|手机|联系人|tel|TEL|Tel)[:：]?")
_SEPARATORS = " /、,，;；:：()（）|-—"
_KEY_NOISE = re.compile(r"\s+")
EARLIEST = date(2000, 1, 1)


class RowProblemError(Exception):
    """One cell's value cannot be used; the message names the column."""


def match_key(value: str) -> str:
    """How names and builders are compared: full-width folded, no spaces, case ignored."""
    return _KEY_NOISE.sub("", unicodedata.normalize("NFKC", value or "")).lower()


def _text(label: str, value: Any, *, max_length: int | None = None) -> str:
    """A cell as one line of plain text; placeholders such as “—” or “无” read as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        value = value.isoformat()
    text = _INVISIBLE.sub("", str(value))
    if _CONTROL.search(text.replace("\t", " ").replace("\r", " ").replace("\n", " ")):
        raise RowProblemError(f"{label}含有不可见的控制字符，请删除后重新导入")
    text = re.sub(r"\s+", " ", text).strip()
    if text.lower() in _PLACEHOLDERS:
        return ""
    try:
        no_markup(text)
    except ValidationError:
        raise RowProblemError(f"{label}不能包含 < 或 > 等标记字符") from None
    if max_length is not None and len(text) > max_length:
        raise RowProblemError(f"{label}最多 {max_length} 个字符，当前 {len(text)} 个")
    return text


def parse_date(label: str, value: Any) -> date | None:
    """Real Excel dates, 2026-03-02, 2026/3/2, 2026年3月2日, 2026.3.2, 20260302."""
    if value is None:
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial number in an unformatted cell (1954–2119)
            day = from_excel(value).date()
        else:
            day = _date_text(label, str(int(value)) if float(value).is_integer() else str(value))
    else:
        text = _text(label, value)
        if not text:
            return None
        day = _date_text(label, text)
    if day < EARLIEST:
        raise RowProblemError(f"{label}“{day:%Y-%m-%d}”早于 2000 年，请核对")
    return day


def _date_text(label: str, text: str) -> date:
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.match(folded) or _COMPACT_DATE.match(folded)
    if match is None:
        raise RowProblemError(f"{label}“{text[:20]}”不是日期，请写成 2026-03-02 或 2026年3月2日")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise RowProblemError(f"{label}“{text[:20]}”不是有效日期") from None


def _normal_phone(found: str) -> str:
    """13983012345 from “139 8301 2345” or “+86 139-8301-2345”; 023-67512345 from “(023)6751 2345”."""
    extension = ""
    split = re.match(r"^([(（]?0.*[0-9]{4})-([0-9]{1,6})$", found)
    if split and len(re.sub(r"[^0-9]", "", split.group(1))) >= 10:
        found, extension = split.group(1), f"-{split.group(2)}"
    digits = _MOBILE_PREFIX.sub("", re.sub(r"[^0-9]", "", found))
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4  # 010 and 020–029 have three digits; the rest four
        return f"{digits[:area]}-{digits[area:]}{extension}"
    return digits


def split_contact(text: str) -> tuple[str, str, bool, bool]:
    """“陈建国 13983012345”, “陈建国/023-67512345”: (name, first phone, phone was masked, several phones)."""
    folded = unicodedata.normalize("NFKC", text)
    folded = folded.replace("—", "-").replace("－", "-")
    masked = bool(_MASKED_PHONE.search(folded))
    rest = _MASKED_PHONE.sub(" ", folded)
    phones = [_normal_phone(m.group(0)) for m in _PHONE.finditer(rest)]
    rest = _PHONE.sub(" ", rest)
    rest = _CONTACT_NOISE.sub(" ", rest)
    name = re.sub(r"\s+", " ", rest.strip(_SEPARATORS)).strip(_SEPARATORS).strip()
    return name, (phones[0] if phones else ""), masked, len(phones) > 1


def _investment(value: str) -> str:
    """政府投资 / 社会投资, also from 财政投资, 企业投资, 民间投资 and the like."""
    folded = match_key(value)
    if "政府" in folded or "财政" in folded:
        return Project.InvestmentType.GOVERNMENT
    if any(k in folded for k in ("社会", "企业", "民间", "民营", "私营", "外商", "外资")):
        return Project.InvestmentType.SOCIAL
    raise RowProblemError(f"投资类型“{value[:20]}”无法识别（应为政府投资或社会投资）")


_NATURES = {
    "新建": Project.Nature.NEW,
    "新": Project.Nature.NEW,
    "改建": Project.Nature.REBUILD,
    "改造": Project.Nature.REBUILD,
    "改": Project.Nature.REBUILD,
    "扩建": Project.Nature.EXTEND,
    "扩": Project.Nature.EXTEND,
}


def _nature(value: str) -> str:
    found = _NATURES.get(match_key(value))
    if found is None:
        raise RowProblemError(f"建设性质“{value[:20]}”无法识别（应为新建、改建或扩建）")
    return found


def _amount(value: Any) -> Decimal | None:
    """总投资 in 万元: a number (45000, 45,000.00, “4.5万”) not below zero, two decimals; empty or — is none."""
    if value is None or isinstance(value, bool):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").removesuffix("万元").removesuffix("万")
    if text in ("", "—", "-", "无"):
        return None
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RowProblemError(f"总投资“{str(value)[:20]}”不是数字（以万元计，如 45000）") from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise RowProblemError(f"总投资“{str(value)[:20]}”超出范围（以万元计，不小于 0）")
    return amount


def _yes_no(value: str) -> bool:
    folded = match_key(value)
    if folded in ("是", "重点", "重点项目", "y", "yes", "1", "√"):
        return True
    if folded in ("否", "非重点", "n", "no", "0", "×"):
        return False
    raise RowProblemError(f"重点项目“{value[:20]}”无法识别（应为是或否）")


def _stage_key(value: str) -> str:
    return re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", value or ""))


@dataclass
class Context:
    """What every row is checked against, loaded once per check."""

    today: date
    default_specialist: User | None
    stages: list[Stage]
    specialists_by_name: dict[str, list[User]]
    projects_by_code: dict[str, int]
    projects_by_name: dict[tuple[str, str], list[tuple[int, str]]]

    @classmethod
    def load(cls, default_specialist: User | None) -> Context:
        specialists = User.objects.filter(is_active=True, groups__name=Role.SPECIALIST).distinct()
        by_name: dict[str, list[User]] = defaultdict(list)
        for user in specialists:
            by_name[match_key(user.name)].append(user)
            if match_key(user.username) != match_key(user.name):
                by_name[match_key(user.username)].append(user)
        by_code: dict[str, int] = {}
        by_pair: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for pk, name, builder, code in Project.objects.values_list("pk", "name", "builder", "code").iterator():
            if code:
                by_code[code] = pk
            by_pair[(match_key(name), match_key(builder))].append((pk, code))
        if default_specialist is not None and not any(default_specialist in users for users in by_name.values()):
            default_specialist = None  # no longer an active specialist
        return cls(
            today=timezone.localdate(),
            default_specialist=default_specialist,
            stages=list(Stage.objects.order_by("number")),
            specialists_by_name=by_name,
            projects_by_code=by_code,
            projects_by_name=by_pair,
        )

    def stage(self, text: str) -> Stage | None:
        if not text:
            return self.stages[0] if self.stages else None
        key = _stage_key(text)
        for stage in self.stages:
            if _stage_key(stage.name) == key or _stage_key(stage.name).removesuffix("阶段") == key:
                return stage
        near = [s for s in self.stages if key in _stage_key(s.name) or _stage_key(s.name).removesuffix("阶段") in key]
        if len(near) == 1:
            return near[0]
        names = "、".join(s.name for s in self.stages)
        if near:
            raise RowProblemError(f"所处阶段“{text[:20]}”不明确，可能是：{'、'.join(s.name for s in near)}")
        raise RowProblemError(f"所处阶段“{text[:20]}”无法识别（可填：{names}）")

    def specialist(self, text: str) -> User:
        if not text:
            if self.default_specialist is None:
                raise RowProblemError("未填写帮办专员，上传时也没有选择默认帮办专员")
            return self.default_specialist
        found = self.specialists_by_name.get(match_key(text), [])
        found = list(dict.fromkeys(found))
        if len(found) == 1:
            return found[0]
        if found:
            raise RowProblemError(f"有 {len(found)} 名帮办专员叫“{text[:20]}”，请在台账中改填其用户名")
        raise RowProblemError(f"帮办专员“{text[:20]}”不是系统中在岗的帮办专员")

    def existing(self, code: str, name: str, builder: str) -> tuple[int | None, str]:
        """The project this row already is, and the code it lacks: same code; or, when the row or the
        project has no code, same name and builder (a row with another project's different code is new)."""
        if code and code in self.projects_by_code:
            return self.projects_by_code[code], ""
        for pk, existing_code in self.projects_by_name.get((match_key(name), match_key(builder)), []):
            if not code or not existing_code:
                return pk, (code if not existing_code else "")
        return None, ""


@dataclass
class RowResult:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    existing_id: int | None = None

    @property
    def outcome(self) -> str:
        if self.existing_id is not None:
            return OUTCOME_EXISTS
        return OUTCOME_ERROR if self.errors else OUTCOME_NEW

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def get(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    @property
    def show(self) -> dict[str, str]:
        """The parsed values as the preview shows them (the phone masked)."""
        specialist = self.values.get("specialist")
        stage = self.values.get("current_stage")
        return {
            "name": self.get("name"),
            "code": self.get("code"),
            "builder": self.get("builder"),
            "contact_name": self.get("contact_name"),
            "contact_phone": mask_phone(self.get("contact_phone")),
            "investment_type": self.get("investment_type"),
            "nature": self.get("nature"),
            "stage": stage.name if stage is not None else "",
            "specialist": specialist.name if specialist is not None else "",
            "registered_on": _iso(self.values.get("registered_on")),
            "completed_on": _iso(self.values.get("completed_on")),
            "status": self.get("status"),
            "note": self.get("note"),
        }


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


@dataclass
class Preview:
    table: Table
    rows: list[RowResult]
    default_specialist: User | None

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def new_count(self) -> int:
        return self.count(OUTCOME_NEW)

    @property
    def exists_count(self) -> int:
        return self.count(OUTCOME_EXISTS)

    @property
    def error_count(self) -> int:
        return self.count(OUTCOME_ERROR)


def _field(result: RowResult, cells: dict[str, tuple[Any, str]], name: str) -> Any:
    """The raw value of one column of a row; a formula is refused (its cached value is not trusted)."""
    value, refused = cells.get(name, (None, ""))
    if refused:
        message = f"{FIELD_LABELS[name]}：{refused}"
        if message not in result.errors:
            result.errors.append(message)
        return None
    return value


def _checked(result: RowResult, call, *args, **kwargs) -> Any:
    try:
        return call(*args, **kwargs)
    except RowProblemError as problem:
        result.errors.append(str(problem))
    except ValidationError as error:
        result.errors.extend(error.messages)
    return None


def check_row(number: int, cells: dict[str, tuple[Any, str]], context: Context) -> RowResult:
    """One data row as project fields, with its errors (the row is not imported) and warnings."""
    result = RowResult(row=number)
    values = result.values

    def text(name: str, max_length: int | None = None) -> str:
        raw = _field(result, cells, name)
        return _checked(result, _text, FIELD_LABELS[name], raw, max_length=max_length) or ""

    def refused(name: str) -> bool:
        return bool(cells.get(name, (None, ""))[1])

    values["name"] = text("name", 100)
    if not values["name"] and not refused("name"):
        result.errors.append("缺少项目名称")
    values["builder"] = text("builder", 100)
    if not values["builder"] and not refused("builder"):
        result.errors.append("缺少建设单位")
    values["code"] = code = normalize_code(text("code"))
    _checked(result, project_code_validator, code)
    values["builder_credit_code"] = normalize_code(text("builder_credit_code"))
    _checked(result, credit_code_validator, values["builder_credit_code"])
    values["site"] = text("site", 200)
    values["contact_name"], values["contact_phone"] = _contact(result, cells)

    investment = text("investment_type")
    if investment:
        values["investment_type"] = _checked(result, _investment, investment)
    elif not refused("investment_type"):
        result.errors.append("缺少投资类型（应为政府投资或社会投资）")
    nature = text("nature")
    values["nature"] = _checked(result, _nature, nature) if nature else Project.Nature.NEW
    values["total_investment"] = _checked(result, _amount, _field(result, cells, "total_investment"))
    key = text("is_key")
    values["is_key"] = bool(_checked(result, _yes_no, key)) if key else False
    values["current_stage"] = _checked(result, context.stage, text("stage"))
    specialist = text("specialist")
    if not refused("specialist"):
        values["specialist"] = _checked(result, context.specialist, specialist)

    before = len(result.errors)
    registered = _checked(result, parse_date, "登记日期", _field(result, cells, "registered_on"))
    if registered is None and len(result.errors) == before:
        # not today: the weekly summary counts new dossiers by this date
        result.errors.append("缺少登记日期（请填写原登记日期，以免历史项目计入本周新建档案）")
    elif registered is not None and registered > context.today:
        result.errors.append(f"登记日期 {registered:%Y-%m-%d} 晚于今天，请核对")
    values["registered_on"] = registered
    completed = _checked(result, parse_date, "办结时间", _field(result, cells, "completed_on"))
    if completed is not None and completed > context.today:
        result.errors.append(f"办结时间 {completed:%Y-%m-%d} 晚于今天，请核对")
    elif completed is not None and registered is not None and completed < registered:
        result.errors.append(f"办结时间 {completed:%Y-%m-%d} 早于登记日期 {registered:%Y-%m-%d}")
    values["completed_on"] = completed
    if completed is not None:
        values["status"] = Project.Status.COMPLETED
    else:
        values["status"] = Project.Status.ACTIVE if code else Project.Status.CONSULTING

    parts = []
    for name, label in NOTE_PARTS:
        part = text(name)
        if part and part not in _NOTE_NOISE:
            parts.append(f"{label}：{part}")
    note = NOTE_PREFIX + "；".join(parts) if parts else ""
    if len(note) > 300:
        result.errors.append(f"事项、存在问题、备注等文字合计 {len(note)} 字，超过备注 300 字的上限，请精简后再导入")
    values["note"] = note

    if values["name"]:
        result.existing_id, missing_code = context.existing(code, values["name"], values["builder"])
        if missing_code:
            result.warnings.append(f"已有同名档案尚无项目代码，请在档案中补填 {missing_code}")
    return result


def _contact(result: RowResult, cells: dict[str, tuple[Any, str]]) -> tuple[str, str]:
    """The contact person and phone from 联系人及电话, or from separate 联系人 and 联系电话 columns."""
    name, phone, masked, several = "", "", False, False
    for column in ("contact", "contact_name", "contact_phone"):
        raw = _field(result, cells, column)
        value = _checked(result, _text, FIELD_LABELS[column], raw) or ""
        if not value:
            continue
        part_name, part_phone, part_masked, part_several = split_contact(value)
        if column == "contact_phone" and not part_phone and not part_masked:
            result.warnings.append("联系电话无法识别，未导入号码")
            continue
        name = name or (part_name if column != "contact_phone" else "")
        phone = phone or part_phone
        masked = masked or part_masked
        several = several or part_several or (bool(phone) and bool(part_phone) and part_phone != phone)
    if _DIGIT_RUN.search(name):
        # never keep a number the parser could not read in the name, where it would show unmasked
        result.errors.append("联系人中含有无法识别的号码，请把电话写成 13983012345 或 023-67512345")
        name = ""
    if len(name) > 30:
        result.errors.append(f"联系人最多 30 个字符，当前 {len(name)} 个")
    if phone:
        try:
            phone_validator(phone)
        except ValidationError:
            result.warnings.append("联系电话无法识别，未导入号码")
            phone = ""
    if masked and not phone:
        result.warnings.append("电话已打码，未导入号码")
    elif several:
        result.warnings.append("有多个电话，只导入第一个")
    if not name:
        result.warnings.append("缺少联系人，导入后请在档案中补填")
    elif not phone and not masked:
        result.warnings.append("缺少联系电话，导入后请在档案中补填")
    return name, phone


def check_table(table: Table, *, default_specialist: User | None) -> Preview:
    """Every data row checked against the database as it is now, and against the rows above it."""
    context = Context.load(default_specialist)
    rows: list[RowResult] = []
    seen_codes: dict[str, int] = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:
        result = check_row(number, cells, context)
        code, name, builder = result.get("code"), result.get("name"), result.get("builder")
        pair = (match_key(name), match_key(builder))
        if result.existing_id is None:
            if code and code in seen_codes:
                result.errors.append(f"与第 {seen_codes[code]} 行重复（项目代码相同）")
            elif name and pair in seen_pairs:
                result.errors.append(f"与第 {seen_pairs[pair]} 行重复（项目名称和建设单位相同）")
        if code:
            seen_codes.setdefault(code, number)
        if name:
            seen_pairs.setdefault(pair, number)
        rows.append(result)
    return Preview(table=table, rows=rows, default_specialist=context.default_specialist)


# --- the service ----------------------------------------------------------------------------------


def validate_upload(upload) -> tuple[str, bytes, Table]:
    """(clean original name, bytes, table) of an uploaded file, or ImportFileError; nothing is kept."""
    check_upload(name=upload.name, size=upload.size)
    content = b"".join(upload.chunks())
    check_upload(name=upload.name, size=len(content))
    return clean_filename(upload.name), content, read_table(content)


def upload_create(
    *,
    actor: User,
    request: HttpRequest | None,
    original_name: str,
    content: bytes,
    default_specialist: User | None,
) -> LedgerImport:
    """Keep a checked file, waiting for confirmation; the stored file is removed again if this fails."""
    with files.kept("imports", "ledger", ".xlsx", content) as stored, transaction.atomic():
        ledger_import = LedgerImport.objects.create(
            original_name=clean_filename(original_name),
            file=stored,
            size=len(content),
            sha256=files.digest(content),
            uploaded_by=actor,
            result={"default_specialist_id": default_specialist.pk if default_specialist else None},
        )
        audit.record(
            action=AuditEntry.Action.CREATE,
            actor=actor,
            request=request,
            obj=ledger_import,
            detail=f"上传台账文件待导入：{ledger_import.original_name}（{_size_text(len(content))}）",
        )
    return ledger_import


def stored_content(ledger_import: LedgerImport) -> bytes:
    """The kept file, checked against its SHA-256; ImportFileError if missing or altered."""
    try:
        return files.read_checked(ledger_import.file.name, ledger_import.sha256)
    except files.StoredFileError as error:
        if error.missing:
            raise ImportFileError("保存的文件已丢失，无法预览或导入，请重新上传。") from None
        raise ImportFileError("保存的文件与上传时的校验值不符（可能已被改动），无法导入，请重新上传。") from None


def default_specialist_of(ledger_import: LedgerImport) -> User | None:
    pk = (ledger_import.result or {}).get("default_specialist_id")
    return User.objects.filter(pk=pk).first() if pk else None


def preview(ledger_import: LedgerImport) -> Preview:
    """The import as it would happen now."""
    table = read_table(stored_content(ledger_import))
    return check_table(table, default_specialist=default_specialist_of(ledger_import))


def _opened_at(day: date, today: date) -> datetime:
    if day >= today:
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _project(actor: User, row: RowResult) -> Project:
    values = row.values
    return Project(
        name=values["name"],
        code=values["code"],
        builder=values["builder"],
        builder_credit_code=values["builder_credit_code"],
        contact_name=values["contact_name"],
        contact_phone=values["contact_phone"],
        site=values["site"],
        investment_type=values["investment_type"],
        nature=values["nature"],
        total_investment=values["total_investment"],
        is_key=values["is_key"],
        specialist=values["specialist"],
        current_stage=values["current_stage"],
        registered_on=values["registered_on"],
        completed_on=values["completed_on"],
        status=values["status"],
        note=values["note"],
        created_by=actor,
    )


def _create_projects(*, actor: User, rows: list[RowResult], ledger_import: LedgerImport) -> list[Project]:
    """The dossiers of the importable rows, each with its history row and the first entry of its timeline.

    Inserted in batches (a ledger may have thousands of rows; one INSERT each would take minutes)."""
    projects = bulk_create_with_history(
        [_project(actor, row) for row in rows],
        Project,
        batch_size=500,
        default_user=actor,
        default_change_reason="台账导入",
    )
    today = timezone.localdate()
    for row, project in zip(rows, projects, strict=True):
        status = project.status
        if project.completed_on:
            status = f"{status}（{project.completed_on:%Y-%m-%d}）"
        timeline.record(
            project,
            timeline.Kind.PROJECT,
            actor,
            f"由台账导入建立项目档案（{ledger_import.original_name} 第 {row.row} 行），"
            f"帮办专员：{project.specialist.name}，状态：{status}",
            occurred_at=_opened_at(project.registered_on, today),
            obj=project,
            detail={"导入文件": ledger_import.original_name, "行号": str(row.row), "导入批次": str(ledger_import.pk)},
        )
    return projects


def import_confirm(*, actor: User, request: HttpRequest | None, import_id: int) -> LedgerImport:
    """Create every importable row's project, all or nothing; refused unless still waiting.

    The rows are checked again here, with the import row locked: a project created since the preview
    is skipped, not duplicated, and a second confirmation waits for the first and is then refused."""
    with transaction.atomic():
        # two imports (of the same file, or of overlapping ledgers) never check for existing projects
        # at the same time: the second waits, then sees the first one's projects
        lock_named("ledger_import")
        ledger_import = LedgerImport.objects.select_for_update().get(pk=import_id)
        if ledger_import.status != LedgerImport.Status.PREVIEW:
            raise ImportStateError(f"该文件已{ledger_import.status[1:]}，不能再次导入。")
        checked = preview(ledger_import)
        new_rows = [row for row in checked.rows if row.outcome == OUTCOME_NEW]
        if not new_rows:
            raise ImportStateError("没有可导入的行（都已存在或有问题），未导入。如不再需要，请点“放弃”。")
        projects = _create_projects(actor=actor, rows=new_rows, ledger_import=ledger_import)
        created_ids = {row.row: project.pk for row, project in zip(new_rows, projects, strict=True)}
        outcomes = []
        for row in checked.rows:
            entry = {
                "row": row.row,
                "name": row.get("name"),
                "outcome": row.outcome,
                "messages": row.errors + row.warnings,
            }
            if row.outcome == OUTCOME_NEW:
                entry["project_id"] = created_ids[row.row]
            elif row.outcome == OUTCOME_EXISTS:
                entry["project_id"] = row.existing_id
            outcomes.append(entry)
        created = len(projects)
        ledger_import.status = LedgerImport.Status.IMPORTED
        ledger_import.imported_at = timezone.now()
        ledger_import.created_count = created
        ledger_import.skipped_count = len(checked.rows) - created
        ledger_import.result = {
            "default_specialist_id": checked.default_specialist.pk if checked.default_specialist else None,
            "sheet": checked.table.sheet,
            "header_row": checked.table.header_row,
            "columns": [[c.header, c.label] for c in checked.table.columns],
            "unknown": checked.table.unknown,
            "exists_count": checked.exists_count,
            "error_count": checked.error_count,
            "rows": outcomes,
        }
        ledger_import.save()
        audit.record(
            action=AuditEntry.Action.IMPORT,
            actor=actor,
            request=request,
            obj=ledger_import,
            after={"新建项目": [project.pk for project in projects]},
            detail=(
                f"导入台账 {ledger_import.original_name}：新建 {created} 个项目，"
                f"已存在跳过 {checked.exists_count} 行，有问题未导入 {checked.error_count} 行"
            ),
        )
    return ledger_import


def import_discard(*, actor: User, request: HttpRequest | None, import_id: int) -> LedgerImport:
    """Give up an upload; the file stays, for the record."""
    with transaction.atomic():
        ledger_import = LedgerImport.objects.select_for_update().get(pk=import_id)
        if ledger_import.status != LedgerImport.Status.PREVIEW:
            raise ImportStateError(f"该文件已{ledger_import.status[1:]}，不能放弃。")
        ledger_import.status = LedgerImport.Status.DISCARDED
        ledger_import.save(update_fields=["status"])
        audit.record(
            action=AuditEntry.Action.UPDATE,
            actor=actor,
            request=request,
            obj=ledger_import,
            detail=f"放弃导入台账 {ledger_import.original_name}",
        )
    return ledger_import
