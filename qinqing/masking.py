"""Masking of applicants' personal data: lists, exports and PDFs show only these forms."""

from __future__ import annotations


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
