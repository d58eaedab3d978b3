"""The exchange's own records: each run, the rows it could not apply (the inbox people resolve), and how far
it has read and written each staging table. Part of the ``projects`` app (imported by ``projects.models``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ExchangeRun(models.Model):
    """One exchange with the staging database: what it read, applied, refused, left for a person, wrote."""

    class Status(models.TextChoices):
        RUNNING = "进行中", "进行中"
        DONE = "完成", "完成"
        FAILED = "失败", "失败"

    started_at = models.DateTimeField("开始时间", default=timezone.now, db_index=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.RUNNING)
    requested_by = models.ForeignKey(
        "qinqing.User", verbose_name="发起人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rows_read = models.PositiveIntegerField("读取", default=0)
    rows_applied = models.PositiveIntegerField("已处理", default=0)
    rows_refused = models.PositiveIntegerField("拒收", default=0)
    conflicts = models.PositiveIntegerField("待人工处理", default=0)
    rows_written = models.PositiveIntegerField("上报", default=0)
    city_refusals = models.PositiveIntegerField("市系统退回", default=0)
    error = models.CharField("错误", max_length=500, blank=True)

    class Meta:
        app_label = "projects"
        verbose_name = "数据交换记录"
        verbose_name_plural = "数据交换记录"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"数据交换 {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class ExchangeIssue(models.Model):
    """A row the exchange did not apply by itself: refused (no parent), or a conflict a person settles. Nothing
    entered here by hand is overwritten by the city's rows; the office, or the unit it concerns, decides."""

    class Kind(models.TextChoices):
        ORPHAN = "拒收", "拒收（无对应上级数据）"
        NO_PROJECT = "项目未找到", "项目未找到"
        UNKNOWN_MATTER = "未知事项", "未知事项编码"
        LOCAL_NEWER = "本地较新", "本系统状态较新"
        NOT_APPLICABLE = "无法办理", "不能按该状态办理"
        CITY_REFUSED = "市系统退回", "市系统退回本系统上报的数据"

    class Status(models.TextChoices):
        OPEN = "待处理", "待处理"
        RESOLVED = "已处理", "已处理"
        DISMISSED = "无需处理", "无需处理"

    run = models.ForeignKey(ExchangeRun, verbose_name="交换记录", on_delete=models.PROTECT, related_name="issues")
    kind = models.CharField("类型", max_length=6, choices=Kind.choices)
    table = models.CharField("数据表", max_length=30)
    row_key = models.CharField("数据主键（DFSJZJ）", max_length=64)
    summary = models.CharField("说明", max_length=500)
    payload = models.JSONField("原始数据", default=dict, blank=True)
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    project_matter = models.ForeignKey(
        "projects.ProjectMatter",
        verbose_name="事项办理",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_issues",
    )
    unit = models.ForeignKey(
        "qinqing.Department", verbose_name="责任单位", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField("处理状态", max_length=4, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        "qinqing.User", verbose_name="处理人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.CharField("处理说明", max_length=300, blank=True)
    created_at = models.DateTimeField("发现时间", default=timezone.now)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        app_label = "projects"
        verbose_name = "数据交换待办"
        verbose_name_plural = "数据交换待办"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "unit"], name="exchange_issue_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.summary[:40]}"


class ExchangeCursor(models.Model):
    """How far a direction of a staging table has been read or written: the last change time and sequence."""

    name = models.CharField("名称", max_length=40, unique=True)
    changed_at = models.DateTimeField("最后变更时间", null=True, blank=True)
    sequence = models.BigIntegerField("最后序号", default=0)

    class Meta:
        app_label = "projects"
        verbose_name = "数据交换进度"
        verbose_name_plural = "数据交换进度"

    def __str__(self) -> str:
        return self.name
