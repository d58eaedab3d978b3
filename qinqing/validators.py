"""Field validators shared by every form of the hall, with messages in plain Chinese."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

_MARKUP = re.compile(r"[<>]")


def no_markup(value: str) -> None:
    """Refuse angle brackets, so nothing that looks like a tag or script is ever stored."""
    if value and _MARKUP.search(value):
        raise ValidationError("不能包含 < 或 > 等标记字符，请删除后重新填写。", code="markup")


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
