"""Log lines carry time, level and logger, and the development server's request log masks a phone or ID
number typed into a search, percent-encoded or not."""

from __future__ import annotations

import logging
import logging.config
import re

from django.conf import settings


def _configured_handler():
    logging.config.dictConfig(settings.LOGGING)
    return logging.getLogger("django.server").handlers[0]


def _line(handler, name: str, message: str, *args) -> str:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    for item in handler.filters:
        item.filter(record)
    return handler.format(record)


def test_a_line_has_time_level_and_logger():
    line = _line(_configured_handler(), "qinqing.exports", "导出完成：%s 行", 12)
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} INFO qinqing\.exports 导出完成：12 行$", line), line


def test_the_request_log_masks_numbers_in_query_strings():
    handler = _configured_handler()
    for query in ("q=13812345678", "q=138%201234%205678", "q=500105199001011234"):
        line = _line(handler, "django.server", '"%s" %s %s', f"GET /projects/?{query} HTTP/1.1", "200", "512")
        assert "****" in line
        for whole in ("13812345678", "138 1234 5678", "199001011"):
            assert whole not in line, line
        assert "django.server" in line
