"""Password rules: length, character classes, not the user name; and random initial passwords."""

from __future__ import annotations

import secrets
import string

from django.core.exceptions import ValidationError


def _classes_in(password: str) -> int:
    lower = any(c in string.ascii_lowercase for c in password)
    upper = any(c in string.ascii_uppercase for c in password)
    digit = any(c.isdigit() for c in password)
    symbol = any(not c.isalnum() for c in password)
    return sum((lower, upper, digit, symbol))


class CharacterClassValidator:
    """At least ``min_classes`` of: lower-case, upper-case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if _classes_in(password) < self.min_classes:
            raise ValidationError(
                f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class NotUsernameValidator:
    """The password must not contain the user name (in any case)."""

    def validate(self, password: str, user=None) -> None:
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            raise ValidationError("密码不能包含用户名。", code="password_contains_username")

    def get_help_text(self) -> str:
        return "密码不能包含用户名。"


_ALPHABET_PARTS = ("abcdefghjkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "#%+=?@")


def generate_password(length: int = 12) -> str:
    """A random password with every character class, without look-alike characters (0/O, 1/l/I)."""
    alphabet = "".join(_ALPHABET_PARTS)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in part for c in candidate) for part in _ALPHABET_PARTS):
            return candidate


class MinimumLengthValidator:
    """At least ``min_length`` characters (Django's own message has no Chinese translation yet)."""

    def __init__(self, min_length: int = 8):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码太短，至少需要 {self.min_length} 个字符。", code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"
