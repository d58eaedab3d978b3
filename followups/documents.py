"""The notice (通报) as a formal document: what its page preview and its PDF show, and the PDF kept as
issued.

An issued notice never changes, and neither does its PDF. It is rendered when the notice is issued,
right after the issuing transaction commits (so the year's notice number is not held locked while
WeasyPrint works), stored with its SHA-256, and every download serves those very bytes. A notice
whose PDF could not be rendered at issue (no CJK font at that moment, say) is rendered and kept at its
first download. A kept file that is missing or no longer matches its SHA-256 is refused, never
silently rendered again: that would hide the loss or the tampering.

The ledger's export archive (``ledger.archive``) keeps exports the same way, but the ledger is the
top floor and nothing imports it; the issued document belongs with the notice, here."""

from __future__ import annotations

import logging
import secrets
from datetime import date

from django.db import transaction
from django.utils import timezone

from followups.models import Notice, NoticeFile
from qinqing import files
from qinqing.pdf import render_pdf

logger = logging.getLogger(__name__)

TEMPLATE = "followups/notice_print.html"
ISSUER = "江北区工程建设项目审批制度改革工作领导小组办公室"
# the issuer as the document's heading: two balanced lines on A4
ISSUER_LINES = ("江北区工程建设项目审批制度改革", "工作领导小组办公室")
BASIS = {
    Notice.Source.VISIT: "工程建设项目审批服务回访情况",
    Notice.Source.INSPECTION: "区工改办定期检查情况",
    Notice.Source.OVERDUE: "审批事项办理时限监测情况",
    Notice.Source.OTHER: "区工改办督查工作情况",
}


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cn_period(start: date, end: date) -> str:
    return cn_date(start) if start == end else f"{cn_date(start)}至{cn_date(end)}"


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def context_of(notice: Notice) -> dict:
    """The context of the notice as a document (the page's preview and the PDF)."""
    return {
        "notice": notice,
        "issuer": ISSUER,
        "issuer_lines": ISSUER_LINES,
        "basis": BASIS.get(notice.source, BASIS[Notice.Source.OTHER]),
        "period": cn_period(notice.period_start, notice.period_end),
        "facts": paragraphs(notice.facts),
        "requirement": paragraphs(notice.requirement),
        "issued_on": cn_date(timezone.localtime(notice.issued_at).date()) if notice.issued_at else "",
    }


def filename_of(notice: Notice) -> str:
    return f"通报-江北工改通{notice.year}-{notice.serial}号.pdf"


digest = files.digest
KeptFileError = files.StoredFileError


def keep(notice_id: int) -> NoticeFile:
    """The kept PDF of an issued notice: rendered and stored the first time, returned as kept after.

    The notice row is locked while it is rendered, so two first downloads keep one file. If storing
    the row fails, the stored file is removed again: nothing half-kept, nothing orphaned."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("unit").get(pk=notice_id)
        if notice.status != Notice.Status.ISSUED:
            raise ValueError("只有已印发的通报才有正式文件。")
        document = NoticeFile.objects.filter(notice=notice).first()
        if document is not None:
            return document
        content = render_pdf(TEMPLATE, context_of(notice))
        name = f"notices/{notice.year}/{notice.year}-{notice.serial}-{secrets.token_hex(6)}.pdf"
        with files.kept("notices", "", ".pdf", content, name=name) as stored:
            return NoticeFile.objects.create(
                notice=notice,
                file=stored,
                filename=filename_of(notice),
                size=len(content),
                sha256=digest(content),
            )


def keep_after_issue(notice_id: int) -> None:
    """Keep the PDF once the issuing transaction has committed (the issue stands even if this fails:
    the first download renders and keeps it then)."""

    def _keep() -> None:
        try:
            keep(notice_id)
        except Exception:
            logger.exception("notice %s: the PDF could not be kept at issue; it is kept at first download", notice_id)

    transaction.on_commit(_keep)


def read(document: NoticeFile) -> bytes:
    """The kept bytes; ``KeptFileError`` if the file is gone or altered."""
    return files.read_checked(document.file.name, document.sha256)
