"""Look-up numbers (查询号) for projects without an investment-project code: what the applicant types
into the progress look-up with the last four digits of the contact phone, printed on the letter."""

from __future__ import annotations

import secrets

from projects.models import Project

# no 0/O, 1/I/L: a number read over the phone or copied from paper is typed right
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "JB"
LENGTH = 8


def new_lookup_no() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def ensure_lookup_no(project: Project) -> str:
    """The project's look-up number, given once (random, not sequential, so it cannot be guessed from
    another one). Call inside the transaction that locked the project."""
    if project.lookup_no:
        return project.lookup_no
    while True:
        candidate = new_lookup_no()
        if not Project.objects.filter(lookup_no=candidate).exists():
            break
    Project.objects.filter(pk=project.pk).update(lookup_no=candidate)
    project.lookup_no = candidate
    return candidate
