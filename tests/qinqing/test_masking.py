"""Personal data masked in free text and in the server's logs."""

from __future__ import annotations

import logging

import pytest

from qinqing.masking import MaskingLogFilter, mask_numbers_in


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请回电13800001234谢谢", "请回电138****1234谢谢"),
        ("座机 023-6789 0123", "座机 023****0123"),
        ("身份证500105199001011234", "身份证5001**********1234"),
        ("身份证 50010519900101123x 末尾", "身份证 5001**********123X 末尾"),
        ("旧身份证 500105900101123", "旧身份证 5001*******1123"),
        # a project code (22 digits) and a credit code are not personal data and stay readable
        ("代码 2605-500105-04-01-123456", "代码 2605-500105-04-01-123456"),
        ("信用代码 91500105MA5U0000X1", "信用代码 91500105MA5U0000X1"),
        ("面积 12345 平方米", "面积 12345 平方米"),
        # dates and amounts are not phones
        ("于2026-11-25协调", "于2026-11-25协调"),
        ("2026-11-01 至 2026-11-30", "2026-11-01 至 2026-11-30"),
        ("总投资 1234567.89 万元", "总投资 1234567.89 万元"),
        ("于2026-11-25电话13800001234告知", "于2026-11-25电话138****1234告知"),
        ("于2026-11-25 13800001234告知", "于2026-11-25 138****1234告知"),
        # a time after a date, and a project code whose last part has a letter, are not phones either
        ("2026-03-02 10:00:00", "2026-03-02 10:00:00"),
        ("代码 2607-500105-48-02-60187D 已赋码", "代码 2607-500105-48-02-60187D 已赋码"),
        ("电话 138-1234-5678。", "电话 138****5678。"),
    ],
)
def test_numbers_in_free_text(text, masked):
    assert mask_numbers_in(text) == masked


def test_log_lines_are_masked_before_any_handler_writes_them(caplog):
    logger = logging.getLogger("qinqing.test_masking")
    logger.addFilter(MaskingLogFilter())
    try:
        with caplog.at_level(logging.INFO, logger="qinqing.test_masking"):
            logger.info("申请人 %s 的电话 %s", "张三", "13800001234")
            logger.warning("身份证号 500105199001011234 校验失败")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert "13800001234" not in text
    assert "138****1234" in text
    assert "500105199001011234" not in text
    assert "5001**********1234" in text


def test_the_console_handler_carries_the_filter(settings):
    assert "mask_personal_data" in settings.LOGGING["handlers"]["console"]["filters"]
