"""Field validators shared by every form of the hall, with messages in plain Chinese."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

_MARKUP = re.compile(r"[<>]")


def int_or_none(value: str | None) -> int | None:
    """A positive whole number from a query parameter, or None for anything else (never raises)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def no_markup(value: str) -> None:
    """Refuse angle brackets, so nothing that looks like a tag or script is ever stored."""
    if value and _MARKUP.search(value):
        raise ValidationError("不能包含 < 或 > 等标记字符，请删除后重新填写。", code="markup")


# C0 controls but tab and line breaks, DEL, C1 controls, the replacement character that a wrongly
# decoded byte becomes, and the bidirectional overrides that make text read differently than it is.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")


def no_control_characters(value: str) -> None:
    """Refuse invisible control characters (NUL and the like), text garbled by a wrong encoding,
    and direction overrides: none comes from a keyboard, and each would corrupt a record or an export."""
    if not value:
        return
    match = _CONTROL.search(value)
    if match is None:
        return
    if match.group(0) == "\ufffd":
        raise ValidationError(
            "含有无法识别的字符“\ufffd”，可能是复制的文字编码有误，请删除后重新输入。", code="encoding"
        )
    raise ValidationError(
        "含有不可见的控制字符（第 %(pos)d 个字符），请删除后重新输入；从其他文档复制时，请先粘贴为纯文本。",
        code="control_character",
        params={"pos": match.start() + 1},
    )


def single_line(value: str) -> None:
    """A one-line field holds no line breaks or tabs (only a crafted request can send them)."""
    if value and _LINE_BREAK.search(value):
        raise ValidationError("此处只能填写一行文字，不能包含换行或制表符。", code="line_break")


username_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{3,30}$",
    "用户名须为 3–30 位英文字母、数字或 _ . -，例如 zhangsan01。",
    code="invalid_username",
)

phone_validator = RegexValidator(
    r"^[0-9+\-() ]{5,30}$",
    "电话号码只能包含数字、空格和 + - ( )，例如 023-67890123 或 13800001234。",
    code="invalid_phone",
)


# GB 32100-2015: 统一社会信用代码, 18 characters from this alphabet (no I, O, Z, S, V).
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character (18th) that GB 32100 gives to the first 17 characters."""
    total = sum(_CREDIT_ALPHABET.index(char) * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalize_code(value: str) -> str:
    """Upper case, no spaces, full-width hyphens and letters folded to ASCII."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in value or "")
    return folded.replace("－", "-").replace("—", "-").replace(" ", "").replace("\u3000", "").upper()


def credit_code_validator(value: str) -> None:
    """Refuse a 统一社会信用代码 of the wrong length or alphabet, or with a wrong check character."""
    if not value:
        return
    if len(value) != 18:
        raise ValidationError(
            "统一社会信用代码应为 18 位，当前 %(n)d 位，请核对营业执照。",
            code="credit_length",
            params={"n": len(value)},
        )
    bad = [c for c in value if c not in _CREDIT_ALPHABET]
    if bad:
        raise ValidationError(
            "统一社会信用代码不能包含“%(c)s”（只用数字和除 I、O、Z、S、V 以外的大写字母），请核对。",
            code="credit_alphabet",
            params={"c": bad[0]},
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            "统一社会信用代码校验位不正确：按前 17 位，第 18 位应为 %(e)s，请核对营业执照。",
            code="credit_check",
            params={"e": expected},
        )


_PROJECT_CODE = re.compile(r"^([0-9]{4})-([0-9]{6})-([0-9]{2})-([0-9]{2})-([0-9]{5}[0-9A-Z])$")


def project_code_validator(value: str) -> None:
    """投资项目统一代码: ``YYMM-AAAAAA-BB-CC-RRRRRK`` (24 characters), or the older
    ``YYYY-AAAAAA-BB-CC-NNNNNN``. The check character K is not published, so only its form is checked."""
    if not value:
        return
    example = "例如 2110-500105-04-01-12345X 或 2019-500105-47-03-012345"
    match = _PROJECT_CODE.match(value)
    if len(value) != 24 or match is None:
        raise ValidationError(
            "项目代码格式不正确：应为 24 位，形如 YYMM-AAAAAA-BB-CC-RRRRRK（%(example)s）。",
            code="project_code_format",
            params={"example": example},
        )
    head, division, _, _, tail = match.groups()
    old_style = 2000 <= int(head) <= 2099 and tail.isascii() and tail.isdigit()
    new_style = 1 <= int(head[2:]) <= 12
    if not (old_style or new_style):
        raise ValidationError(
            "项目代码前 4 位应为赋码年月（YYMM，月份 01–12）或旧代码的年份（YYYY），当前为 %(head)s。",
            code="project_code_date",
            params={"head": head},
        )
    if division[:2] == "00":
        raise ValidationError("项目代码第 6–11 位应为行政区划代码（如江北区 500105）。", code="project_code_division")
