"""The browser's defences: a Content Security Policy with no inline script, no framing, no caching
of signed-in pages; and no template that would need an inline script, style or event handler."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from qinqing.roles import Role

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_signed_in_pages_send_a_strict_policy_and_no_store(client_for):
    response = client_for(Role.SPECIALIST).get(reverse("projects:index"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_public_pages_send_the_policy_too(client):
    for url in (reverse("login"), reverse("progress_lookup")):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]


def _templates() -> list[Path]:
    folders = [
        ROOT / "templates",
        *(ROOT / part / "templates" for part in ("qinqing", "projects", "windows", "followups", "ledger")),
    ]
    return sorted(path for folder in folders if folder.exists() for path in folder.rglob("*.html"))


# what WeasyPrint alone reads (never sent to a browser, so the policy does not apply): a template rendered
# only to PDF (…_print.html), or a part of a shared one that only its PDF rendering includes. Column
# widths computed from a table's contents can only be written as a style there.
PDF_ONLY = re.compile(r"{%\s*if for_pdf\s*%}.*?{%\s*endif\s*%}", re.DOTALL)


def test_no_template_needs_an_inline_script_style_or_handler():
    templates = _templates()
    assert len(templates) > 40
    offenders = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        patterns = [INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, JAVASCRIPT_URL]
        if path.name.endswith("_print.html"):
            patterns.remove(STYLE_ATTRIBUTE)
        else:
            text = PDF_ONLY.sub("", text)
        for pattern in patterns:
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert not offenders, "\n".join(offenders)


def test_djangos_admin_site_is_not_served(client_for):
    """Accounts and records change only through the application's audited pages."""
    superuser = client_for(Role.ADMIN, is_superuser=True, is_staff=True)
    assert superuser.get("/django-admin/").status_code == 404
    assert superuser.get("/admin/").status_code == 404


def test_the_health_check_answers_without_login_and_is_never_cached(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert client.post("/healthz/").status_code == 405


def test_the_health_check_says_503_when_the_database_is_gone(client, db, monkeypatch):
    from django.db import DatabaseError

    from qinqing.views import health

    class Unreachable:
        def cursor(self):
            raise DatabaseError("down")

    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert b"database unavailable" in response.content
