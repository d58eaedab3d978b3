"""The notice (通报) and the 督办单 (移送函) as formal documents: what their page previews and their PDFs
show, and the PDFs kept as issued.

A notice is circulated to every member unit (主送 "各成员单位", the list attached), with a 抄送 line (区政府
督查室 unless the office changes it) in the 版记; its long lists (matters, visits, member units) go into
attached tables (附件), never into the prose. A 督办单 goes to 区政府督查室, with the supervised unit in
抄送; the unit signs for it and replies in the system.

An issued notice never changes, and neither does its PDF. It is rendered when the notice is issued,
right after the issuing transaction commits (so the year's notice number is not held locked while
WeasyPrint works), stored with its SHA-256, and every download serves those very bytes. A notice
whose PDF could not be rendered at issue (no CJK font at that moment, say) is rendered and kept at its
first download. A kept file that is missing or no longer matches its SHA-256 is refused, never
silently rendered again: that would hide the loss or the tampering.

The ledger's export archive (``ledger.archive``) keeps exports the same way, but the ledger is the
top floor and nothing imports it; the issued document belongs with the notice, here."""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.utils import timezone

from followups.models import SUPERVISION_OFFICE, Escalation, EscalationFile, Notice, NoticeFile
from qinqing import files
from qinqing.models import Department
from qinqing.pdf import render_pdf

TEMPLATE = "followups/notice_print.html"
ESCALATION_TEMPLATE = "followups/escalation_print.html"
# the work plan that tells the office to refer units to 区政府督查室
WORK_PLAN = "《工程建设项目“亲清帮办服务”工作方案》（江工改办〔2021〕10号）"
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


# a word of two or more Chinese characters written twice in a row ("通报通报", "检查检查")
_DOUBLED = re.compile(r"([\u4e00-\u9fff]{2,}?)\1+")


def doubled_words(text: str) -> list[str]:
    """The doubled words of ``text`` ("检查检查情况" gives ["检查检查"])."""
    return [match.group(0) for match in _DOUBLED.finditer(text or "")]


def undouble(text: str) -> str:
    """``text`` with each doubled word written once ("专项检查检查情况" gives "专项检查情况")."""
    return _DOUBLED.sub(r"\1", text)


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def member_units() -> list[str]:
    """The member units a notice is circulated to (主送): every active unit but the office itself."""
    return list(
        Department.objects.filter(is_active=True)
        .exclude(kind=Department.Kind.OFFICE)
        .order_by("name")
        .values_list("name", flat=True)
    )


def recipients_of(notice: Notice) -> list[str]:
    """Who the notice goes to: as issued (kept on the notice), or, for a draft, the member units today."""
    return list(notice.recipients) if notice.status == Notice.Status.ISSUED and notice.recipients else member_units()


def _pairs(names: list[str]) -> list[list[tuple[int, str]]]:
    """The member units two to a row of the attached list: [(1, 甲), (2, 乙)], [(3, 丙)]."""
    numbered = list(enumerate(names, 1))
    return [numbered[i : i + 2] for i in range(0, len(numbered), 2)]


def _matter_rows(notice: Notice) -> list[dict]:
    rows = []
    for pm in notice.matters.select_related("project", "matter").order_by("due_on", "id"):
        outcome = f"{pm.finished_on:%Y-%m-%d} 办结" if pm.finished_on else f"未办结（{pm.status}）"
        rows.append(
            {
                "project": pm.project.name,
                "matter": pm.matter.name,
                "accepted_on": f"{pm.accepted_on:%Y-%m-%d}" if pm.accepted_on else "—",
                "due_on": f"{pm.due_on:%Y-%m-%d}" if pm.due_on else "—",
                "outcome": outcome,
            }
        )
    return rows


def _visit_rows(notice: Notice) -> list[dict]:
    rows = []
    for visit in notice.visits.select_related("project").order_by("visited_at", "id"):
        found = "；".join(part for part in (visit.problems_found, visit.comments) if part)
        rows.append(
            {
                "visited_on": f"{timezone.localtime(visit.visited_at):%Y-%m-%d}" if visit.visited_at else "—",
                "project": visit.project.name,
                "method": visit.method or "—",
                "ratings": [
                    visit.overall or "—",
                    visit.efficiency or "—",
                    visit.competence or "—",
                    visit.attitude or "—",
                ],  # fmt: skip
                "found": found or "—",
            }
        )
    return rows


def attachments_of(notice: Notice) -> list[dict]:
    """The notice's attached tables, numbered in order: the overdue matters, the visits, and always last
    the member units it is circulated to."""
    attachments = []
    matters = _matter_rows(notice)
    if matters:
        attachments.append({"kind": "matters", "title": "逾期事项清单", "rows": matters})
    visits = _visit_rows(notice)
    if visits:
        attachments.append({"kind": "visits", "title": "回访情况表", "rows": visits})
    recipients = recipients_of(notice)
    attachments.append({"kind": "units", "title": "主送成员单位名单", "rows": _pairs(recipients),
                        "count": len(recipients)})  # fmt: skip
    for number, attachment in enumerate(attachments, 1):
        attachment["number"] = number
    return attachments


def copy_to_of(text: str) -> str:
    """The 抄送 line's organs, 顿号-separated, with no stray separators."""
    parts = [part.strip() for part in text.replace("，", "、").replace(",", "、").split("、") if part.strip()]
    return "、".join(parts)


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
        "attachments": attachments_of(notice),
        "copy_to": copy_to_of(notice.copy_to),
    }


def filename_of(notice: Notice) -> str:
    return f"通报-江北工改通{notice.year}-{notice.serial}号.pdf"


def escalation_context(escalation: Escalation) -> dict:
    """The 督办单 (移送函) as a document: the page's preview and the PDF."""
    rectification = escalation.rectification
    evidence = []
    for visit in escalation.visits.select_related("project").order_by("visited_at", "id"):
        when = f"{timezone.localtime(visit.visited_at):%Y-%m-%d}" if visit.visited_at else "—"
        rating = f"整体满意度“{visit.overall}”" if visit.overall else visit.status
        found = f"；{visit.problems_found}" if visit.problems_found else ""
        evidence.append(("回访", when, f"“{visit.project.name}”回访：{rating}{found}"))
    for pm in escalation.matters.select_related("project", "matter").order_by("due_on", "id"):
        outcome = f"{pm.finished_on:%Y-%m-%d} 办结" if pm.finished_on else f"未办结（{pm.status}）"
        due = f"{pm.due_on:%Y-%m-%d}" if pm.due_on else "—"
        evidence.append(("逾期事项", due, f"“{pm.project.name}”{pm.matter.name}：应于 {due} 办结，{outcome}"))
    for notice in escalation.notices.order_by("issued_at", "id"):
        issued = f"{timezone.localtime(notice.issued_at):%Y-%m-%d}" if notice.issued_at else "—"
        evidence.append(("通报", issued, f"{notice.number}《{notice.title}》"))
    return {
        "e": escalation,
        "issuer": ISSUER,
        "issuer_lines": ISSUER_LINES,
        "work_plan": WORK_PLAN,
        "reason": paragraphs(escalation.reason),
        "evidence": evidence,
        "due_on": cn_date(rectification.due_on),
        "owner": rectification.owner,
        "issued_on": cn_date(escalation.referred_on),
        "supervision_office": escalation.referred_to or SUPERVISION_OFFICE,
    }


def escalation_filename(escalation: Escalation) -> str:
    return f"督办单-江北工改督{escalation.year}-{escalation.serial}号.pdf"


digest = files.digest
KeptFileError = files.StoredFileError


def keep(notice_id: int) -> NoticeFile:
    """The kept PDF of an issued notice (``files.keep_document``), under the notice's row lock."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("unit").get(pk=notice_id)
        if notice.status != Notice.Status.ISSUED:
            raise ValueError("只有已印发的通报才有正式文件。")
        return files.keep_document(
            NoticeFile,
            "notice",
            notice,
            name=f"notices/{notice.year}/{notice.year}-{notice.serial}",
            filename=filename_of(notice),
            render=lambda: render_pdf(TEMPLATE, context_of(notice)),
        )


def keep_escalation(escalation_id: int) -> EscalationFile:
    """The kept 督办单 PDF (``files.keep_document``), under the escalation's row lock."""
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update()
            .select_related("unit", "rectification")
            .get(pk=escalation_id)  # fmt: skip
        )
        if not escalation.serial:
            raise ValueError("该督查督办没有编号，没有督办单。")
        return files.keep_document(
            EscalationFile,
            "escalation",
            escalation,
            name=f"escalations/{escalation.year}/{escalation.year}-{escalation.serial}",
            filename=escalation_filename(escalation),
            render=lambda: render_pdf(ESCALATION_TEMPLATE, escalation_context(escalation)),
        )


def keep_escalation_after_issue(escalation_id: int) -> None:
    files.keep_after_commit(keep_escalation, escalation_id, "the 督办单 of escalation")


def keep_after_issue(notice_id: int) -> None:
    files.keep_after_commit(keep, notice_id, "the PDF of notice")


def read(document: NoticeFile | EscalationFile) -> bytes:
    """The kept bytes; ``KeptFileError`` if the file is gone or altered."""
    return files.read_checked(document.file.name, document.sha256)
