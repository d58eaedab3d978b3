"""Issuing a summary (周报 / 月报 / 专报): the office's narrative, kept as a draft, then issued once.

The office writes 工作开展情况、存在问题、下步打算 on the summary page; the draft is saved as often as
needed (a stale form is refused, saying who changed what). Issuing takes the next 期数 of the kind in
the year of issue (gap-free, ``qinqing.models.Counter``), renders the PDF and the Excel with the
narrative and the number, stores both in the export archive (append-only, SHA-256 checked) and
freezes the summary: no more edits; the issued files download again byte for byte. A failure at any
step leaves the draft as it was and takes no number."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ledger import archive, exports
from ledger.models import Export, SummaryIssue
from ledger.summary import Period, build_summary
from qinqing import audit
from qinqing.models import AuditEntry, Counter, User
from qinqing.services import lock_for_update

NARRATIVES = (("work", "工作开展情况"), ("problems", "存在问题"), ("plans", "下步打算"))
NARRATIVE_LIMIT = 5000


def issue_for(period: Period) -> SummaryIssue | None:
    """The draft or the issued summary of exactly this period, if the office started one."""
    return (
        SummaryIssue.objects.select_related("pdf", "xlsx", "issued_by", "created_by")
        .filter(start=period.start, end=period.end)
        .first()
    )


def _snapshot(issue: SummaryIssue) -> dict:
    return {label: getattr(issue, name) for name, label in NARRATIVES}


@transaction.atomic
def summary_draft_save(
    *,
    actor: User,
    request: HttpRequest | None,
    period: Period,
    version: int | None,
    work: str,
    problems: str,
    plans: str,
) -> SummaryIssue:
    """Save the narrative of ``period``'s summary as a draft (created on the first save).

    ``version`` is the draft's version the form was built from (None: the form had no draft yet);
    a form older than the draft, or a summary already issued, is refused and nothing is saved."""
    texts = {"work": work.strip(), "problems": problems.strip(), "plans": plans.strip()}
    existing = SummaryIssue.objects.filter(start=period.start, end=period.end).values_list("pk", flat=True).first()
    if existing is None:
        if version not in (None, 0):
            raise ValidationError("该期草稿已不存在，请刷新页面后重新填写。", code="stale")
        issue = SummaryIssue(kind=period.kind, start=period.start, end=period.end, created_by=actor, **texts, version=1)
        issue._history_user = actor
        issue._change_reason = "起草"
        issue.save()
        audit.record(
            action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=issue, after=_snapshot(issue),
            detail=f"起草{issue.kind}：{period.label}",
        )  # fmt: skip
        return issue
    if version is None:
        # the form was opened before someone else saved the first draft
        raise ValidationError("他人已先保存了该期草稿，请刷新页面，在其基础上修改。", code="stale")
    issue = lock_for_update(SummaryIssue, existing, version=version)
    if issue.issued:
        raise ValidationError(f"该期{issue.kind}已印发（{issue.number_label}），不能再修改。", code="issued")
    before = _snapshot(issue)
    for name, value in texts.items():
        setattr(issue, name, value)
    issue.version += 1
    issue._history_user = actor
    issue._change_reason = "修改草稿"
    issue.save()
    audit.record_changes(
        action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=issue, before=before, after=_snapshot(issue)
    )
    return issue


def document_title(period: Period, issue: SummaryIssue | None = None) -> str:
    """亲清帮办服务周报 2026年第3期 (issued), or the plain title of a draft or an ad hoc export."""
    kind = issue.kind if issue is not None else period.kind
    number = f" {issue.number_label}" if issue is not None and issue.number else ""
    return f"{kind} {period.short}{number}"


def file_stem(period: Period, issue: SummaryIssue | None = None) -> str:
    kind = issue.kind if issue is not None else period.kind
    number = f"-{issue.year}年第{issue.number}期" if issue is not None and issue.number else ""
    return f"亲清帮办{kind}-{period.short}{number}"


@transaction.atomic
def summary_issue(*, actor: User, request: HttpRequest | None, period: Period, version: int) -> SummaryIssue:
    """Issue ``period``'s summary from its draft (of ``version``): number it, store its PDF and Excel
    in the archive, freeze it. Every narrative section must be written."""
    existing = SummaryIssue.objects.filter(start=period.start, end=period.end).values_list("pk", flat=True).first()
    if existing is None:
        raise ValidationError("请先填写并保存工作开展情况、存在问题和下步打算，再印发。", code="no_draft")
    issue = lock_for_update(SummaryIssue, existing, version=version)
    if issue.issued:
        raise ValidationError(f"该期{issue.kind}已于 {timezone.localtime(issue.issued_at):%Y-%m-%d %H:%M} 印发（{issue.number_label}）。", code="issued")  # fmt: skip
    missing = [label for name, label in NARRATIVES if not getattr(issue, name).strip()]
    if missing:
        raise ValidationError(f"印发前请填写：{'、'.join(missing)}。", code="narrative_missing")
    if period.end >= timezone.localdate():
        raise ValidationError("统计期间尚未结束，结束后才能印发。", code="period_running")
    now = timezone.now()
    issue.year = timezone.localtime(now).year
    issue.number = Counter.next(f"summary-{issue.kind}", issue.year)
    issue.issued_by, issue.issued_at = actor, now
    issue.status = SummaryIssue.Status.ISSUED  # saved below, once the files are in the archive
    # the whole summary for the Excel; the PDF lists the first rows of a long table, as the page does
    whole = build_summary(period, full=True)
    listed = build_summary(period)
    pdf = exports.summary_pdf(listed, maker=actor.name, issue=issue)
    xlsx = exports.summary_workbook(whole, exporter=actor.name, issue=issue)
    title, stem = document_title(period, issue), file_stem(period, issue)
    common = {"request": request, "actor": actor, "params": period.querystring(), "described": period.label}
    try:
        issue.pdf = archive.archive_issue(
            kind=Export.Kind.SUMMARY_PDF, title=title, content=pdf, content_type=archive.PDF,
            filename=f"{stem}.pdf", row_count=listed.row_count, **common,
        )  # fmt: skip
        issue.xlsx = archive.archive_issue(
            kind=Export.Kind.SUMMARY_XLSX, title=title, content=xlsx, content_type=archive.XLSX,
            filename=f"{stem}.xlsx", row_count=whole.row_count, **common,
        )  # fmt: skip
        issue.version += 1
        issue._history_user = actor
        issue._change_reason = f"印发 {issue.number_label}"
        issue.save()
    except BaseException:
        # the rows go with the transaction; the files stored so far go here, so nothing is left behind
        for export in (issue.pdf, issue.xlsx):
            if export is not None and default_storage.exists(export.file.name):
                default_storage.delete(export.file.name)
        raise
    audit.record(
        action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=issue,
        before={"状态": SummaryIssue.Status.DRAFT}, after={"状态": issue.status, "期数": issue.number_label},
        detail=f"印发{issue.kind} {issue.number_label}：{period.label}",
    )  # fmt: skip
    return issue
