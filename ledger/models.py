"""What the ledger keeps: the archive of every export, and uploads of existing Excel ledgers.

The archive is append-only: an issued document is downloaded again byte for byte, with its SHA-256
checked, so last month's weekly summary reads exactly as it did when it was sent upward."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from projects.models import Project
from qinqing.models import AppendOnlyModel


class Export(AppendOnlyModel):
    """One issued export (Excel or PDF): who, when, with what filter, how many rows, and the file."""

    append_only_label = "导出记录"

    class Kind(models.TextChoices):
        LEDGER_XLSX = "ledger_xlsx", "工作台账 Excel"
        LEDGER_PDF = "ledger_pdf", "工作台账 PDF"
        SUMMARY_XLSX = "summary_xlsx", "周报 Excel"
        SUMMARY_PDF = "summary_pdf", "周报 PDF"
        DOSSIER_PDF = "dossier_pdf", "项目档案 PDF"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    described = models.CharField("查询条件", max_length=500, blank=True)
    params = models.CharField("查询参数", max_length=1000, blank=True, help_text="重新生成时用的查询字符串。")
    row_count = models.PositiveIntegerField("行数")
    filename = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", upload_to="exports/%Y/%m/", max_length=300)
    size = models.PositiveIntegerField("字节数")
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField("内容类型", max_length=100)
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("qinqing.User", verbose_name="导出人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("导出时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            # the archive list: one person's exports, newest first
            models.Index(fields=["created_by", "-created_at"], name="export_by_user_idx"),
            # the archive list filtered by kind (weekly summaries of a past month)
            models.Index(fields=["kind", "-created_at"], name="export_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sha256=""), name="export_has_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.title}（{self.created_at:%Y-%m-%d %H:%M}）"


class LedgerImport(models.Model):
    """An uploaded Excel ledger: previewed row by row, then imported once as projects."""

    class Status(models.TextChoices):
        PREVIEW = "待确认", "待确认"
        IMPORTED = "已导入", "已导入"
        DISCARDED = "已放弃", "已放弃"

    original_name = models.CharField("原文件名", max_length=200)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", max_length=300)
    size = models.PositiveIntegerField("字节数")
    sha256 = models.CharField("SHA-256", max_length=64)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.PREVIEW)
    uploaded_by = models.ForeignKey("qinqing.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    imported_at = models.DateTimeField("导入时间", null=True, blank=True)
    created_count = models.PositiveIntegerField("新建项目数", default=0)
    skipped_count = models.PositiveIntegerField("跳过行数", default=0)
    result = models.JSONField("导入结果", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账导入"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.status}）"


class ExportJob(models.Model):
    """A long export made in the background (django-tasks, database backend): queued by the page,
    run by the worker (``manage.py db_worker``), its progress shown until the file is in the archive."""

    class Status(models.TextChoices):
        QUEUED = "排队中", "排队中"
        RUNNING = "生成中", "生成中"
        DONE = "已完成", "已完成"
        FAILED = "失败", "失败"

    kind = models.CharField("类型", max_length=20, choices=Export.Kind.choices)
    params = models.CharField("查询参数", max_length=2000, blank=True)
    described = models.CharField("查询条件", max_length=500, blank=True)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("项目数", default=0)
    done = models.PositiveIntegerField("已写入", default=0)
    export = models.OneToOneField(
        Export, verbose_name="导出记录", on_delete=models.PROTECT, null=True, blank=True, related_name="job"
    )
    error = models.CharField("失败原因", max_length=300, blank=True)
    requested_by = models.ForeignKey("qinqing.User", verbose_name="导出人", on_delete=models.PROTECT, related_name="+")
    # where the export was asked from: the worker has no request, so its audit rows take the address from here
    requested_from = models.GenericIPAddressField("提交地址", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台导出"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="exportjob_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.status}）"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class SummaryIssue(models.Model):
    """A summary (周报, 月报 or 专报) of one period as the office sends it up: the narrative sections it
    writes on the summary page (a draft, saved as often as needed), then issued once with its 期数
    (2026年第N期, per kind and year of issue), the issued PDF and Excel kept in the archive, and no
    more edits."""

    class Kind(models.TextChoices):
        WEEKLY = "周报", "周报"
        MONTHLY = "月报", "月报"
        SPECIAL = "专报", "专报"

    class Status(models.TextChoices):
        DRAFT = "草稿", "草稿"
        ISSUED = "已印发", "已印发"

    kind = models.CharField("类型", max_length=2, choices=Kind.choices)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    work = models.TextField("工作开展情况", blank=True)
    problems = models.TextField("存在问题", blank=True)
    plans = models.TextField("下步打算", blank=True)
    status = models.CharField("状态", max_length=3, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True, help_text="印发的年度（期数按年编）。")
    number = models.PositiveIntegerField("期数", null=True, blank=True)
    pdf = models.OneToOneField(
        Export, verbose_name="印发的 PDF", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    xlsx = models.OneToOneField(
        Export, verbose_name="印发的 Excel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("qinqing.User", verbose_name="起草人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("起草时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    issued_by = models.ForeignKey(
        "qinqing.User", verbose_name="印发人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField("印发时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "周报印发"
        ordering = ["-end", "-start", "-id"]
        constraints = [
            # one summary per period: its draft, then the issued one
            models.UniqueConstraint(fields=["start", "end"], name="summaryissue_one_per_period"),
            models.UniqueConstraint(fields=["kind", "year", "number"], name="summaryissue_unique_number"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="summaryissue_end_after_start"),
            models.CheckConstraint(
                condition=models.Q(status="草稿", number__isnull=True)
                | models.Q(
                    status="已印发",
                    number__isnull=False,
                    year__isnull=False,
                    pdf__isnull=False,
                    xlsx__isnull=False,
                    issued_at__isnull=False,
                ),
                name="summaryissue_issued_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.status}）"

    @property
    def issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def number_label(self) -> str:
        """2026年第3期; a draft has none yet."""
        return f"{self.year}年第{self.number}期" if self.number else ""

    @property
    def title(self) -> str:
        return f"亲清帮办服务{self.kind}" + (f" {self.number_label}" if self.number else "")
