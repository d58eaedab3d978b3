"""Masking of applicants' personal data: lists, exports and PDFs show only these forms."""

from __future__ import annotations

import re


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


_NUMBER_RUN = re.compile(r"[0-9][0-9 \-]{5,}[0-9]")


def mask_numbers_in(text: str) -> str:
    """Free text (a search, a filter description) with every phone-like run of 7+ digits masked, so a
    number someone searched for is not repeated in titles, archives and audit rows."""

    def _mask(match: re.Match) -> str:
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return mask_phone(digits) if len(digits) >= 7 else match.group(0)

    return _NUMBER_RUN.sub(_mask, text or "")
