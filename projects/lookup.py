"""Look-up numbers (查询号) for projects without an investment-project code: what the applicant types
into the progress look-up with the last four digits of the contact phone, printed on the letter."""

from __future__ import annotations

import secrets

from projects.models import Project
from qinqing.masking import phone_last4

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


def seed_demo(stdout) -> None:
    """Demo data (called from ``projects.demo.seed`` after the demo projects exist): every project without a
    code gets its look-up number, and the console names one pair of each kind to try on /progress/."""
    codeless = Project.objects.filter(code="", lookup_no="").exclude(status=Project.Status.MERGED)
    for project in codeless:
        ensure_lookup_no(project)
    by_code = Project.objects.exclude(code="").exclude(contact_phone="").order_by("id").first()
    by_number = Project.objects.filter(code="").exclude(lookup_no="").exclude(contact_phone="").order_by("id").first()
    tries = [
        f"{p.lookup_code} + {phone_last4(p.contact_phone)}（{p.name}）" for p in (by_code, by_number) if p is not None
    ]
    if tries:
        stdout.write("进度查询：可在 /progress/ 试查 " + "；".join(tries))
