"""Supervision by the reform office (区工改办): random return visits (回访) with 好差评 ratings,
rectifications (整改), notices (通报), escalations to the district supervision office (督查督办) and
periodic inspections (定期检查).

A draw (抽样) keeps everything needed to re-run it: the seed, the population and the sample, so anyone
can check that the same seed over the same population gives the same sample."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from projects.models import Project, ProjectMatter, Stage
from qinqing.models import AppendOnlyModel, Department

# the district supervision office, named as in the work plan (江工改办〔2021〕10号)
SUPERVISION_OFFICE = "区政府督查室"
# a notice's 抄送 unless the office changes it
COPY_TO = SUPERVISION_OFFICE


class Rating(models.TextChoices):
    """The national 好差评 five levels, best first."""

    VERY_SATISFIED = "非常满意", "非常满意"
    SATISFIED = "满意", "满意"
    FAIR = "基本满意", "基本满意"
    DISSATISFIED = "不满意", "不满意"
    VERY_DISSATISFIED = "非常不满意", "非常不满意"


SATISFIED_RATINGS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.FAIR)
BAD_RATINGS = (Rating.DISSATISFIED, Rating.VERY_DISSATISFIED)
# the four offline dimensions of 好差评, as (field, label)
DIMENSIONS = (
    ("overall", "整体满意度"),
    ("efficiency", "服务效率"),
    ("competence", "服务水平"),
    ("attitude", "服务态度"),
)


class Draw(AppendOnlyModel):
    """One random draw of projects to visit: the criteria, the seed, the population and the sample."""

    append_only_label = "抽样记录"

    period_start = models.DateField("服务期间起")
    period_end = models.DateField("服务期间止")
    stage = models.ForeignKey(
        Stage, verbose_name="限定阶段", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Department, verbose_name="限定单位", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    share_percent = models.PositiveSmallIntegerField("抽样比例（%）", null=True, blank=True)
    requested = models.PositiveIntegerField("抽样数量", null=True, blank=True)
    seed = models.CharField("随机种子", max_length=64)
    population = models.JSONField("总体（项目编号，升序）", default=list)
    excluded = models.JSONField("本期已回访、不再抽取的项目编号", default=list)
    sample = models.JSONField("样本（项目编号，升序）", default=list)
    drawn_by = models.ForeignKey("qinqing.User", verbose_name="抽样人", on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField("抽样时间", auto_now_add=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访抽样"
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="draw_period"),
            models.CheckConstraint(
                condition=models.Q(share_percent__isnull=True) | models.Q(share_percent__range=(1, 100)),
                name="draw_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d} 抽取 {len(self.sample)} 个项目"

    @property
    def criteria(self) -> str:
        parts = [f"服务期间 {self.period_start:%Y-%m-%d} 至 {self.period_end:%Y-%m-%d}"]
        if self.stage_id:
            parts.append(f"阶段：{self.stage.name}")
        if self.unit_id:
            parts.append(f"单位：{self.unit.name}")
        parts.append(f"比例 {self.share_percent}%" if self.share_percent else f"数量 {self.requested}")
        return "；".join(parts)


class Visit(models.Model):
    """A return visit to a project's applicant: planned by a draw, then recorded with its ratings."""

    class Status(models.TextChoices):
        PLANNED = "待回访", "待回访"
        DONE = "已回访", "已回访"
        UNREACHABLE = "无法联系", "无法联系"

    class Method(models.TextChoices):
        PHONE = "电话", "电话"
        ON_SITE = "上门", "上门"
        SMS = "短信", "短信"
        ONLINE = "线上", "线上"

    draw = models.ForeignKey(
        Draw, verbose_name="抽样", on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="visits")
    period_start = models.DateField("服务期间起")
    period_end = models.DateField("服务期间止")
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.PLANNED)
    method = models.CharField("回访方式", max_length=2, choices=Method.choices, blank=True)
    respondent = models.CharField("受访人", max_length=30, blank=True)
    respondent_phone = models.CharField("受访人电话", max_length=30, blank=True)
    visited_at = models.DateTimeField("回访时间", null=True, blank=True)
    overall = models.CharField("整体满意度", max_length=5, choices=Rating.choices, blank=True)
    efficiency = models.CharField("服务效率", max_length=5, choices=Rating.choices, blank=True)
    competence = models.CharField("服务水平", max_length=5, choices=Rating.choices, blank=True)
    attitude = models.CharField("服务态度", max_length=5, choices=Rating.choices, blank=True)
    comments = models.TextField("意见建议", max_length=1000, blank=True)
    problems_found = models.TextField("发现的问题", max_length=1000, blank=True)
    unit = models.ForeignKey(
        Department,
        verbose_name="问题涉及单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="差评或发现问题时须填写，整改由该单位负责。",
    )
    recorded_by = models.ForeignKey(
        "qinqing.User", verbose_name="回访人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("安排时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "回访"
        ordering = ["-visited_at", "-created_at", "-id"]
        indexes = [
            # the office's to-do list and the visit list: planned visits first
            models.Index(fields=["status", "created_at"], name="visit_status_idx"),
            # the weekly summary: visits done in a period
            models.Index(fields=["visited_at"], name="visit_visited_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="已回访")
                | (models.Q(visited_at__isnull=False) & ~models.Q(overall="") & ~models.Q(method="")),
                name="visit_done_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"回访 {self.project}（{self.status}）"

    @property
    def ratings(self) -> list[tuple[str, str]]:
        return [(label, getattr(self, field)) for field, label in DIMENSIONS]

    @property
    def is_bad(self) -> bool:
        return any(getattr(self, field) in BAD_RATINGS for field, _ in DIMENSIONS)


class Inspection(models.Model):
    """A periodic check of units by the reform office (定期检查)."""

    class Result(models.TextChoices):
        PASSED = "合格", "合格"
        RECTIFY = "限期整改", "限期整改"
        CRITICISED = "通报批评", "通报批评"

    inspected_on = models.DateField("检查日期")
    subject = models.CharField("检查事项", max_length=200)
    units = models.ManyToManyField(Department, verbose_name="被检查单位", related_name="+")
    findings = models.TextField("检查发现", max_length=3000)
    result = models.CharField("检查结果", max_length=4, choices=Result.choices)
    recorded_by = models.ForeignKey("qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = verbose_name_plural = "定期检查"
        ordering = ["-inspected_on", "-id"]

    def __str__(self) -> str:
        return f"{self.inspected_on:%Y-%m-%d} {self.subject}"


class InspectionResult(models.Model):
    """What an inspection found at one inspected unit: 无问题, or 发现问题 with the problem. A notice
    drafted from the inspection cites only the unit's own problem; a unit with none is never criticised."""

    class Outcome(models.TextChoices):
        CLEAR = "无问题", "无问题"
        FOUND = "发现问题", "发现问题"

    inspection = models.ForeignKey(Inspection, verbose_name="检查", on_delete=models.PROTECT, related_name="results")
    unit = models.ForeignKey(Department, verbose_name="被检查单位", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("检查结果", max_length=4, choices=Outcome.choices)
    problem = models.TextField("发现的问题", max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "定期检查单位结果"
        ordering = ["inspection", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "unit"], name="inspection_result_once"),
            models.CheckConstraint(
                condition=(models.Q(outcome="无问题") & models.Q(problem=""))
                | (models.Q(outcome="发现问题") & ~models.Q(problem="")),
                name="inspection_result_problem",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit}：{self.outcome}"


class Notice(models.Model):
    """A notice (通报) about one unit: drafted, then issued with a number; issued notices never change."""

    class Status(models.TextChoices):
        DRAFT = "草稿", "草稿"
        ISSUED = "已印发", "已印发"

    class Source(models.TextChoices):
        VISIT = "回访", "回访"
        INSPECTION = "定期检查", "定期检查"
        OVERDUE = "逾期事项", "逾期事项"
        OTHER = "其他", "其他"

    unit = models.ForeignKey(Department, verbose_name="被通报单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=100)
    facts = models.TextField("通报事实", max_length=5000)
    requirement = models.TextField("整改要求", max_length=2000, blank=True)
    period_start = models.DateField("所涉期间起")
    period_end = models.DateField("所涉期间止")
    source = models.CharField("来源", max_length=4, choices=Source.choices)
    visits = models.ManyToManyField(Visit, verbose_name="相关回访", blank=True, related_name="notices")
    inspection = models.ForeignKey(
        Inspection, verbose_name="相关检查", on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    matters = models.ManyToManyField(ProjectMatter, verbose_name="相关事项", blank=True, related_name="+")
    copy_to = models.CharField(
        "抄送", max_length=200, blank=True, default=COPY_TO, help_text="多个机关用顿号分隔，例如：区政府督查室。"
    )
    recipients = models.JSONField(
        "主送单位", default=list, blank=True, help_text="印发时的全部成员单位（名称），草稿时为空。"
    )
    status = models.CharField("状态", max_length=3, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    serial = models.PositiveIntegerField("序号", null=True, blank=True)
    drafted_by = models.ForeignKey("qinqing.User", verbose_name="起草人", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField("起草时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        "qinqing.User", verbose_name="印发人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField("印发时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords(m2m_fields=[visits, matters])

    class Meta:
        verbose_name = verbose_name_plural = "通报"
        ordering = ["-issued_at", "-drafted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="notice_unique_number"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="notice_period"),
            models.CheckConstraint(
                condition=models.Q(status="草稿")
                | (models.Q(serial__isnull=False) & models.Q(issued_at__isnull=False)),
                name="notice_issued_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number or '（草稿）'} {self.title}"

    @property
    def number(self) -> str:
        return f"江北工改通〔{self.year}〕{self.serial}号" if self.serial else ""


class NoticeFile(AppendOnlyModel):
    """The formal PDF of an issued notice, kept as it was issued: every download serves these bytes,
    checked against the SHA-256 recorded when they were kept (``followups.documents``)."""

    append_only_label = "通报印发文件"

    notice = models.OneToOneField(Notice, verbose_name="通报", on_delete=models.PROTECT, related_name="document")
    file = models.FileField("文件", upload_to="notices/%Y/", max_length=300)
    filename = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    kept_at = models.DateTimeField("存档时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "通报印发文件"

    def __str__(self) -> str:
        return self.filename


class RectificationQuerySet(models.QuerySet):
    """The one definition of "rectified" and "overdue" that lists, to-do lists and figures share.

    Rectified: the unit's report stands (待回访核实 or 已办结); a report the office sent back no longer
    counts, the rectification is 整改中 again. Overdue on a day: still 整改中 after its deadline."""

    def rectified(self) -> RectificationQuerySet:
        return self.filter(Rectification.rectified_condition())

    def overdue(self, day) -> RectificationQuerySet:
        return self.filter(Rectification.overdue_condition(day))


class Rectification(models.Model):
    """A rectification (整改) by a responsible unit: opened by a bad rating, a problem found, a notice
    or an escalation; the unit records its measures, the office calls the applicant back and closes it.

    ``rectified_on`` and ``rectified_by`` belong to the report that stands: a report sent back is
    cleared from them (its text stays in ``measures``, its values in the history and the dossier)."""

    class Status(models.TextChoices):
        OPEN = "整改中", "整改中"
        RECTIFIED = "待回访核实", "待回访核实"
        CLOSED = "已办结", "已办结"

    class Source(models.TextChoices):
        VISIT = "回访", "回访"
        NOTICE = "通报", "通报"
        ESCALATION = "督查督办", "督查督办"

    # a report stands (the unit has rectified): waiting for the office's check, or closed
    RECTIFIED_STATUSES = (Status.RECTIFIED, Status.CLOSED)

    source = models.CharField("来源", max_length=4, choices=Source.choices)
    visit = models.ForeignKey(
        Visit, verbose_name="回访", on_delete=models.PROTECT, null=True, blank=True, related_name="rectifications"
    )
    notice = models.ForeignKey(
        Notice, verbose_name="通报", on_delete=models.PROTECT, null=True, blank=True, related_name="rectifications"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, null=True, blank=True, related_name="rectifications"
    )
    unit = models.ForeignKey(Department, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    owner = models.CharField("整改责任人", max_length=30)
    problem = models.TextField("问题", max_length=1000)
    opened_on = models.DateField("下发日期")
    due_on = models.DateField("整改期限")
    status = models.CharField("状态", max_length=5, choices=Status.choices, default=Status.OPEN)
    measures = models.TextField("整改措施与结果", max_length=2000, blank=True)
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    rectified_by = models.ForeignKey(
        "qinqing.User", verbose_name="整改填报人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    callback = models.TextField("回访申请人情况", max_length=1000, blank=True)
    callback_on = models.DateField("回访日期", null=True, blank=True)
    callback_rating = models.CharField("回访评价", max_length=5, choices=Rating.choices, blank=True)
    closing_check = models.TextField("办结核查意见", max_length=1000, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        "qinqing.User", verbose_name="核查人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("qinqing.User", verbose_name="下发人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("下发时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()
    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "整改"
        ordering = ["due_on", "id"]
        indexes = [
            # the to-do lists and the overdue flag: open rectifications by deadline
            models.Index(fields=["status", "due_on"], name="rectification_open_idx"),
            # a unit's staff: the rectifications of their unit
            models.Index(fields=["unit", "status"], name="rectification_unit_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_on__gte=models.F("opened_on")), name="rectification_due"),
            models.CheckConstraint(
                condition=~models.Q(status="已办结")
                | (~models.Q(callback="") & models.Q(callback_on__isnull=False) & ~models.Q(closing_check="")),
                name="rectification_closed_has_callback",
            ),
        ]

    def __str__(self) -> str:
        return f"整改：{self.unit}（{self.status}）"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @staticmethod
    def rectified_condition() -> models.Q:
        return models.Q(status__in=Rectification.RECTIFIED_STATUSES)

    @staticmethod
    def overdue_condition(day) -> models.Q:
        return models.Q(status=Rectification.Status.OPEN, due_on__lt=day)

    @staticmethod
    def is_overdue(status: str, due_on, day) -> bool:
        """Overdue on ``day``, for a status and deadline read in Python: as ``overdue_condition``."""
        return status == Rectification.Status.OPEN and due_on < day

    def overdue_on(self, today) -> bool:
        """Overdue: the unit has not finished its measures by the deadline."""
        return self.is_overdue(self.status, self.due_on, today)


class Escalation(models.Model):
    """A unit referred to the district supervision office (督查督办) by a numbered 督办单 (移送函): the
    unit signs for it (签收) and replies; the office records the 督查室's opinion on its behalf; followed
    until its rectification closes."""

    class Status(models.TextChoices):
        OPEN = "督办中", "督办中"
        CLOSED = "已办结", "已办结"

    unit = models.ForeignKey(Department, verbose_name="被督办单位", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("督办事由", max_length=2000)
    visits = models.ManyToManyField(Visit, verbose_name="证据：回访", blank=True, related_name="escalations")
    matters = models.ManyToManyField(ProjectMatter, verbose_name="证据：事项", blank=True, related_name="+")
    notices = models.ManyToManyField(Notice, verbose_name="证据：通报", blank=True, related_name="escalations")
    referred_on = models.DateField("移送日期")
    referred_to = models.CharField("移送机关", max_length=50, default=SUPERVISION_OFFICE)
    rectification = models.OneToOneField(
        Rectification, verbose_name="整改", on_delete=models.PROTECT, related_name="escalation"
    )
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    serial = models.PositiveIntegerField("序号", null=True, blank=True)
    signed_by = models.ForeignKey(
        "qinqing.User", verbose_name="签收人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    reply = models.TextField("办理情况回复", max_length=2000, blank=True)
    replied_by = models.ForeignKey(
        "qinqing.User", verbose_name="回复人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    opinion = models.TextField("督查室意见", max_length=1000, blank=True)
    opinion_on = models.DateField("意见日期", null=True, blank=True)
    opinion_by = models.ForeignKey(
        "qinqing.User", verbose_name="意见录入人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField("状态", max_length=3, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField("办结情况", max_length=1000, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    created_by = models.ForeignKey("qinqing.User", verbose_name="移送人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords(m2m_fields=[visits, matters, notices])

    class Meta:
        verbose_name = verbose_name_plural = "督查督办"
        ordering = ["-referred_on", "-id"]
        indexes = [
            # a unit's to-do list: its open 督办单 not yet signed for or replied to
            models.Index(fields=["unit", "status"], name="escalation_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="escalation_unique_number"),
            models.CheckConstraint(
                condition=models.Q(replied_at__isnull=True) | models.Q(signed_at__isnull=False),
                name="escalation_reply_after_signing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number or '督查督办'}：{self.unit}（{self.status}）"

    @property
    def number(self) -> str:
        return f"江北工改督〔{self.year}〕{self.serial}号" if self.serial else ""

    @property
    def waiting_for(self) -> str:
        """What the supervised unit still owes: 待签收, 待回复, or nothing."""
        if self.status != self.Status.OPEN:
            return ""
        if self.signed_at is None:
            return "待签收"
        return "" if self.replied_at else "待回复"


class EscalationFile(AppendOnlyModel):
    """The 督办单 (移送函) PDF of an escalation, kept as issued (``followups.documents``)."""

    append_only_label = "督办单印发文件"

    escalation = models.OneToOneField(
        Escalation, verbose_name="督查督办", on_delete=models.PROTECT, related_name="document"
    )
    file = models.FileField("文件", upload_to="escalations/%Y/", max_length=300)
    filename = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    kept_at = models.DateTimeField("存档时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "督办单印发文件"

    def __str__(self) -> str:
        return self.filename
