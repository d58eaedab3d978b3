"""The matter catalogue: approval stages and the matters of each stage."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from qinqing.models import Department


class Stage(models.Model):
    """One of the four approval stages, or one of the two tracks the plan names (公共设施接入, 不动产登记)."""

    number = models.PositiveSmallIntegerField("序号", unique=True)
    name = models.CharField("阶段名称", max_length=40, unique=True)
    lead_unit = models.ForeignKey(
        Department, verbose_name="牵头单位", on_delete=models.PROTECT, null=True, blank=True, related_name="led_stages"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "审批阶段"
        verbose_name_plural = "审批阶段"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Matter(models.Model):
    """One approval matter of the catalogue (审批事项). The database copy is the truth."""

    class Category(models.TextChoices):
        LICENSE = "行政许可", "行政许可"
        TECHNICAL = "技术审查", "技术审查"
        INTERMEDIARY = "中介服务", "中介服务"
        UTILITY = "市政公用服务", "市政公用服务"
        FILING = "备案", "备案"
        OTHER = "其他", "其他"

    stage = models.ForeignKey(Stage, verbose_name="阶段", on_delete=models.PROTECT, related_name="matters")
    name = models.CharField("事项名称", max_length=100)
    category = models.CharField("事项类别", max_length=10, choices=Category.choices)
    unit = models.ForeignKey(Department, verbose_name="责任单位", on_delete=models.PROTECT, related_name="matters")
    time_limit_workdays = models.PositiveSmallIntegerField(
        "承诺时限（工作日）", help_text="0 表示按合同约定（中介服务），不计算到期日。"
    )
    statutory_limit_workdays = models.PositiveSmallIntegerField(
        "法定时限（工作日）", null=True, blank=True, help_text="与承诺时限不同时填写。"
    )
    materials = models.JSONField("申请材料", default=list, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    allows_commitment = models.BooleanField("可告知承诺制", default=False)
    allows_deficiency = models.BooleanField("可容缺受理", default=False)
    allows_parallel = models.BooleanField("可并联审批", default=False)
    is_active = models.BooleanField("在用", default=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "审批事项"
        verbose_name_plural = "审批事项"
        ordering = ["stage__number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "name"], name="matter_unique_name_per_stage"),
            models.CheckConstraint(
                condition=models.Q(statutory_limit_workdays__isnull=True)
                | models.Q(statutory_limit_workdays__gte=models.F("time_limit_workdays")),
                name="matter_statutory_not_below_committed",
            ),
        ]
        indexes = [
            # the catalogue page filtered by stage and unit
            models.Index(fields=["stage", "unit"], name="matter_stage_unit_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def by_contract(self) -> bool:
        return self.time_limit_workdays == 0
