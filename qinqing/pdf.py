"""PDF documents (letters, minutes, summaries) from the same templates as their printable pages.

WeasyPrint renders an HTML template with the print stylesheet ``static/qinqing/print.css``; fonts
come from the system (``fonts-noto-cjk``), never from the network. Without a CJK font WeasyPrint
silently draws empty boxes, so ``cjk_font_available()`` is checked and a missing font is an error.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.encoding import escape_uri_path

PRINT_CSS = Path(settings.BASE_DIR) / "static" / "qinqing" / "print.css"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC")


@cache
def cjk_font_available() -> bool:
    """Whether fontconfig knows a Simplified Chinese font (fc-list is what WeasyPrint's Pango uses)."""
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        output = subprocess.run(  # noqa: S603  (a fixed command, no user input)
            [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(family in output for family in CJK_FAMILIES)


def _no_network(url: str, *args, **kwargs):
    """WeasyPrint may fetch only local files: the hall's intranet cannot reach the internet."""
    if not url.startswith("file://"):
        raise ValueError(f"PDF 渲染不允许访问外部资源：{url[:80]}")
    from weasyprint.urls import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


def render_pdf(template: str, context: dict) -> bytes:
    """Render ``template`` (a print page) to PDF bytes."""
    if not cjk_font_available():
        raise ImproperlyConfigured("未找到中文字体，无法生成 PDF。请安装 fonts-noto-cjk（make run 会提示安装命令）。")
    from weasyprint import CSS, HTML

    html = render_to_string(template, {"HALL_NAME": settings.HALL_NAME, **context, "for_pdf": True})
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_network)
    return document.write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))])


def pdf_response(template: str, context: dict, filename: str, *, request, obj) -> HttpResponse:
    """A document about ``obj`` as a PDF; the download is an export, and so a row of the audit log."""
    from qinqing import audit
    from qinqing.models import AuditEntry

    content = render_pdf(template, context)
    audit.record(action=AuditEntry.Action.EXPORT, request=request, obj=obj, detail=f"下载 PDF：{filename}")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(filename)}"
    return response
