"""统一社会信用代码 (GB 32100) and 投资项目统一代码 checks, and masking of personal data."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from qinqing.masking import mask_id_number, mask_phone, phone_last4
from qinqing.validators import (
    credit_code_check_char,
    credit_code_validator,
    normalize_code,
    project_code_validator,
)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the standard's published example
        "91110000600037341L",
        "11500105009274061" + credit_code_check_char("11500105009274061"),
    ],
)
def test_valid_credit_codes_pass(code):
    credit_code_validator(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M000100Y4", "应为 18 位"),
        ("91350100M000100I43", "不能包含“I”"),
        ("9135010OM000100Y43", "不能包含“O”"),
    ],
)
def test_wrong_credit_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(ValidationError) as caught:
        credit_code_validator(code)
    assert fragment in caught.value.messages[0]


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValidationError) as caught:
        credit_code_validator("91350100M000100Y44")
    assert "第 18 位应为 3" in caught.value.messages[0]


@pytest.mark.parametrize(
    "code",
    [
        "2110-500105-04-01-12345X",  # YYMM-AAAAAA-BB-CC-RRRRRK
        "2601-500105-48-02-306180",
        "2019-500105-47-03-012345",  # older YYYY-…-NNNNNN
    ],
)
def test_valid_project_codes_pass(code):
    project_code_validator(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("2110-500105-04-01-12345", "应为 24 位"),
        ("2110500105040112345X", "应为 24 位"),
        ("2113-500105-04-01-12345X", "月份 01–12"),  # month 13, and not a plausible old-style year
        ("2110-000105-04-01-12345X", "行政区划代码"),
        ("2110-500105-04-01-1234XX", "应为 24 位"),
    ],
)
def test_malformed_project_codes_are_refused(code, fragment):
    with pytest.raises(ValidationError) as caught:
        project_code_validator(code)
    assert fragment in caught.value.messages[0]


def test_codes_are_normalized_before_checking():
    assert normalize_code(" 2110－500105－04－01－12345x ") == "2110-500105-04-01-12345X"
    assert normalize_code("９１３５０１００ｍ０００１００ｙ４３") == "91350100M000100Y43"


def test_masking():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("023-67890123") == "023****0123"
    assert mask_phone("12345") == "*****"
    assert mask_id_number("500105199001011234") == "5001**********1234"
    assert phone_last4("138-1234-5678") == "5678"
