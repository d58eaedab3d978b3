"""Reading back the PDFs our views produce, with poppler-utils (pdftotext, pdffonts, pdfinfo).

A missing tool or CJK font skips the test on a developer's machine and fails it on CI (CI=true),
where everything a test needs must be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _need(available: bool, message: str) -> None:
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def poppler(name: str) -> str:
    """The path of poppler-utils' ``name`` (pdftotext, pdffonts, pdfinfo)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    _need(path is not None, f"未找到 {name}（poppler-utils），无法检查 PDF：sudo apt-get install -y poppler-utils")
    return path


def require_cjk_font() -> None:
    """PDFs are rendered only with a Simplified Chinese font installed (qinqing.pdf refuses otherwise)."""
    from qinqing.pdf import cjk_font_available

    _need(
        cjk_font_available(), "未找到中文字体（fonts-noto-cjk），无法生成 PDF：sudo apt-get install -y fonts-noto-cjk"
    )


def _run(name: str, *options: str, content: bytes) -> str:
    """``name [options] FILE [-]`` on ``content`` written to a temporary file; its standard output."""
    tool = poppler(name)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(content)
        # pdftotext writes to its second argument: "-" is standard output
        command = [tool, *options, str(path), *(["-"] if name == "pdftotext" else [])]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603  (a fixed tool on our own file)


def pdf_text(content: bytes, *, raw: bool = False) -> str:
    """The PDF's text (UTF-8); ``raw`` keeps the order it was written in (row by row, cell by cell)."""
    return _run("pdftotext", *(["-raw"] if raw else []), "-enc", "UTF-8", content=content)


def flat(text: str) -> str:
    """``text`` with all white space removed: table cells and lines wrap wherever their width ends."""
    return "".join(text.split())


def pdf_fonts(content: bytes) -> list[dict[str, str]]:
    """pdffonts' table as rows of {column: value}, cut at the dashed ruler's column boundaries
    (name, type, encoding, emb, sub, uni, object ID)."""
    lines = _run("pdffonts", content=content).splitlines()
    ruler_at = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans: list[tuple[int, int | None]] = [m.span() for m in re.finditer(r"-+", lines[ruler_at])]
    # the last column runs to the end of the line
    spans[-1] = (spans[-1][0], None)
    # "object ID" is one heading over one span, its value two numbers ("105  0")
    headers = [lines[ruler_at - 1][a:b].strip() for a, b in spans]
    return [
        dict(zip(headers, (line[a:b].strip() for a, b in spans), strict=True))
        for line in lines[ruler_at + 1 :]
        if line.strip()
    ]


def assert_cjk_fonts_embedded(content: bytes) -> list[dict[str, str]]:
    """The PDF uses a CJK font and embeds every CJK font it uses; the CJK fonts' rows."""
    fonts = pdf_fonts(content)
    cjk = [font for font in fonts if "CJK" in font["name"]]
    assert cjk, f"no CJK font in the PDF: {[font['name'] for font in fonts]}"
    assert all(font["emb"] == "yes" for font in cjk), f"a CJK font is not embedded: {cjk}"
    return cjk


def pdf_page_size(content: bytes) -> tuple[float, float]:
    """The first page's (width, height) in points, from pdfinfo's "Page size"."""
    info = _run("pdfinfo", content=content)
    match = re.search(r"^Page size:\s*([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    assert match, info
    return float(match.group(1)), float(match.group(2))


def pdf_qr_codes(content: bytes, *, page: int = 1) -> list[str]:
    """The QR codes printed on ``page``, decoded by zbarimg (zbar-tools) from a 200 dpi rendering."""
    renderer = poppler("pdftoppm")
    zbarimg = shutil.which("zbarimg")
    _need(zbarimg is not None, "未找到 zbarimg，无法读取二维码：sudo apt-get install -y zbar-tools")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(content)
        prefix = Path(directory) / "page"
        subprocess.run(  # noqa: S603  (fixed tools on our own file)
            [renderer, "-r", "200", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path), str(prefix)],
            check=True,
        )
        result = subprocess.run(  # noqa: S603
            [zbarimg, "--quiet", "--raw", "-Sbinary", f"{prefix}.png"], capture_output=True, check=False
        )
    return [line.decode() for line in result.stdout.splitlines() if line]


def pdf_pages_text(content: bytes) -> list[str]:
    """Each page's text, in order (pdftotext separates pages with a form feed)."""
    return pdf_text(content).split("\f")[:-1] or [pdf_text(content)]
