"""Masking of applicants' personal data: lists, exports and PDFs show only these forms."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus


def mask_phone(value: str) -> str:
    """138****1234 — the first three and the last four characters; short values wholly hidden."""
    value = value or ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_number(value: str) -> str:
    """5001**********1234 — the first four and the last four characters."""
    value = value or ""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def phone_last4(value: str) -> str:
    """The last four digits of a phone number: what the applicant types into the progress look-up."""
    return "".join(c for c in value or "" if c.isdigit())[-4:]


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
# a run of digits with spaces or hyphens, not part of a longer word, nor of a decimal amount (1234567.89),
# nor one part of a code whose parts are joined by hyphens (项目代码 2607-500105-48-02-60187D)
_NUMBER_RUN = re.compile(
    r"(?<![0-9A-Za-z.])(?<![0-9A-Za-z]-)[0-9][0-9 \-]{5,}[0-9](?![0-9A-Za-z]|\.[0-9]|-[0-9A-Za-z])"
)
# dates are not phones: 2026-11-25, 2026-1-5
_DATE = re.compile(r"(?:19|20)[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}")


def mask_numbers_in(text: str) -> str:
    """Free text (a search, a filter description, a remark, a log line) with every ID-number-like run of
    15 or 18 characters masked (5001**********1234) and every phone-like run of 7 to 14 digits masked
    (138****1234), so a number typed into it is not repeated in titles, exports, archives, audit rows
    and logs. Longer runs (a 投资项目统一代码 has 22 digits) are left as they are."""

    def _mask_phone(match: re.Match) -> str:
        run = match.group(0)
        date = _DATE.match(run)
        if date:  # a date, a date and a time (2026-03-02 10:00), or a date and then a number
            return run[: date.end()] + _NUMBER_RUN.sub(_mask_phone, run[date.end() :])
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return mask_phone(digits) if 7 <= len(digits) <= 14 else run

    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group(0).upper()), text or "")
    return _NUMBER_RUN.sub(_mask_phone, text)


class MaskingLogFilter:
    """A logging filter that masks phone and ID numbers in every message before any handler writes it:
    an error report or a debug line must not carry an applicant's number into the server's logs."""

    def filter(self, record) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        if record.name == "django.server":  # a request line: a number in a search arrives percent-encoded
            message = unquote_plus(message)
        masked = mask_numbers_in(message)
        if masked != message or masked != record.getMessage():
            record.msg, record.args = masked, None
        return True
