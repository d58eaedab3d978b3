"""Stage windows at work: first-responsibility hand-offs, reports back to the specialist, problems
(难点/堵点), joint meetings (联席会议) and their decisions.

The windows themselves are the stages' comprehensive windows (``projects.Stage``: window name, lead
unit, staff), kept with the stages as reference data; everything here is case work."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from projects.models import Project, ProjectMatter, Stage
from qinqing.models import AppendOnlyModel, Department


class Handoff(models.Model):
    """The specialist hands a project's stage to that stage's window (首问责任制)."""

    class Status(models.TextChoices):
        WAITING = "待接收", "待接收"
        ACCEPTED = "已接收", "已接收"
        CANCELLED = "已撤回", "已撤回"
        RETURNED = "已退回", "已退回"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="handoffs")
    stage = models.ForeignKey(Stage, verbose_name="阶段", on_delete=models.PROTECT, related_name="handoffs")
    note = models.TextField("移交说明", max_length=1000)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.WAITING)
    handed_by = models.ForeignKey("qinqing.User", verbose_name="移交人", on_delete=models.PROTECT, related_name="+")
    handed_at = models.DateTimeField("移交时间")
    accept_by = models.DateField("应接收日期", help_text="移交后一个工作日内接收。")
    accepted_by = models.ForeignKey(
        "qinqing.User", verbose_name="首问负责人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    cancel_reason = models.CharField("撤回原因", max_length=300, blank=True)
    returned_by = models.ForeignKey(
        "qinqing.User", verbose_name="退回人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "首问移交"
        verbose_name_plural = "首问移交"
        ordering = ["-handed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "stage"],
                condition=models.Q(status__in=["待接收", "已接收"]),
                name="handoff_one_live_per_stage",
            ),
        ]
        indexes = [
            # a window's waiting list, oldest first
            models.Index(fields=["stage", "status", "accept_by"], name="handoff_stage_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} → {self.stage.window_label}"

    def late(self, today) -> bool:
        """Not accepted within one working day."""
        return self.status == self.Status.WAITING and today > self.accept_by

    @property
    def badge_class(self) -> str:
        """The status badge's colour class (static/qinqing/qinqing.css, contrast ≥ 4.5:1)."""
        return HANDOFF_BADGES.get(self.status, "text-bg-secondary")


HANDOFF_BADGES = {
    Handoff.Status.WAITING: "badge-handoff-waiting",
    Handoff.Status.ACCEPTED: "badge-handoff-accepted",
    Handoff.Status.RETURNED: "badge-handoff-returned",
    Handoff.Status.CANCELLED: "badge-handoff-cancelled",
}


class Report(models.Model):
    """Progress sent back to the specialist (by a window, or when a problem or decision closes),
    which the specialist passes on to the applicant."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="+")
    handoff = models.ForeignKey(
        Handoff, verbose_name="移交", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    content = models.TextField("反馈内容", max_length=1000)
    created_by = models.ForeignKey("qinqing.User", verbose_name="反馈人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("反馈时间", auto_now_add=True)
    handled_by = models.ForeignKey(
        "qinqing.User", verbose_name="处理人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    feedback = models.ForeignKey(
        "projects.Feedback",
        verbose_name="转告申请人记录",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "向专员反馈"
        verbose_name_plural = "向专员反馈"
        ordering = ["-created_at", "-id"]
        indexes = [
            # the specialist's to-do list: reports not yet handled, per project
            models.Index(fields=["project", "handled_at"], name="report_project_handled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project}：{self.content[:20]}"


class Problem(models.Model):
    """A difficulty or blockage (难点/堵点) on a project or one of its matters, coordinated to an end."""

    class Status(models.TextChoices):
        OPEN = "待协调", "待协调"
        COORDINATING = "协调中", "协调中"
        SOLVED = "已解决", "已解决"
        UNSOLVABLE = "无法解决", "无法解决"

    OPEN_STATUSES = (Status.OPEN, Status.COORDINATING)

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="problems")
    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="相关事项", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stage = models.ForeignKey(Stage, verbose_name="阶段", on_delete=models.PROTECT, related_name="+")
    description = models.TextField("问题描述", max_length=1000)
    owner_unit = models.ForeignKey(Department, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("协调期限")
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField("解决情况", max_length=1000, blank=True)
    raised_by = models.ForeignKey("qinqing.User", verbose_name="提出人", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField("提出时间", auto_now_add=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "难点堵点"
        verbose_name_plural = "难点堵点"
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["已解决", "无法解决"]) | ~models.Q(resolution=""),
                name="problem_closed_has_resolution",
            ),
        ]
        indexes = [
            # a unit's open problems by due date (to-do lists, the weekly summary)
            models.Index(fields=["owner_unit", "status", "due_on"], name="problem_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:30]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Meeting(models.Model):
    """A joint meeting (联席会议), convened by a stage's lead unit or the reform office.

    Two steps: convened ahead (待召开: date, place, chair, units, projects, agenda), then its minutes are
    recorded after it is held (待签发: attendance, chair, recorder, minutes, decisions) and issued (已签发).
    Issued minutes are frozen: numbered, kept as a PDF (``MinutesFile``), never edited."""

    class Status(models.TextChoices):
        CONVENED = "待召开", "待召开"
        DRAFT = "待签发", "纪要待签发"
        ISSUED = "已签发", "纪要已签发"

    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.CONVENED)
    convened_by = models.ForeignKey(Department, verbose_name="召集单位", on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(
        Stage, verbose_name="阶段", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_on = models.DateField("会议日期")
    starts_at = models.TimeField("开始时间", null=True, blank=True)
    place = models.CharField("会议地点", max_length=100, blank=True)
    topic = models.CharField("会议主题", max_length=200)
    agenda = models.TextField("议题", max_length=2000, blank=True)
    chair = models.CharField("主持人", max_length=60, blank=True)
    recorder = models.CharField("记录人", max_length=60, blank=True)
    units = models.ManyToManyField(Department, verbose_name="参会单位", related_name="+")
    projects = models.ManyToManyField(Project, verbose_name="研究项目", related_name="meetings")
    problems = models.ManyToManyField(Problem, verbose_name="研究问题", blank=True, related_name="meetings")
    minutes = models.TextField("会议纪要", max_length=5000, blank=True)
    # the minutes' number, given when they are issued
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    serial = models.PositiveIntegerField("序号", null=True, blank=True)
    created_by = models.ForeignKey("qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        "qinqing.User", verbose_name="签发人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField("签发时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords(m2m_fields=[units, projects, problems])

    class Meta:
        verbose_name = "联席会议"
        verbose_name_plural = "联席会议"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="meeting_unique_number"),
            models.CheckConstraint(
                condition=~models.Q(status="已签发") | models.Q(serial__isnull=False, issued_at__isnull=False),
                name="meeting_issued_is_numbered",
            ),
        ]
        indexes = [
            # the invited units' coming meetings, the conveners' minutes still to record
            models.Index(fields=["status", "held_on"], name="meeting_status_held_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.topic}"

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def number(self) -> str:
        if self.serial is None:
            return f"联席会议（{self.held_on:%Y-%m-%d}，{self.get_status_display()}）"
        return f"联席会议纪要〔{self.year}〕{self.serial}号"


class Attendance(models.Model):
    """Whether an invited unit attended a joint meeting, and who came."""

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey(Department, verbose_name="参会单位", on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField("出席")
    attendee = models.CharField("参会人员", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "会议出席情况"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "unit"], name="attendance_one_per_unit"),
            models.CheckConstraint(
                condition=models.Q(present=False) | ~models.Q(attendee=""), name="attendance_present_named"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit}：{'出席' if self.present else '缺席'}"


class MinutesFile(AppendOnlyModel):
    """The issued minutes as a PDF, kept as issued: every download serves these bytes, checked against
    the SHA-256 recorded when they were kept (``windows.documents``)."""

    append_only_label = "会议纪要签发文件"

    meeting = models.OneToOneField(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="document")
    file = models.FileField("文件", upload_to="minutes/%Y/", max_length=300)
    filename = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    kept_at = models.DateTimeField("存档时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "会议纪要签发文件"

    def __str__(self) -> str:
        return self.filename


class Decision(models.Model):
    """A decision of a joint meeting: who does what by when, followed up until done."""

    class Status(models.TextChoices):
        OPEN = "落实中", "落实中"
        DONE = "已落实", "已落实"
        FAILED = "未落实", "未落实"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="decisions")
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content = models.CharField("议定事项", max_length=500)
    unit = models.ForeignKey(Department, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("完成期限")
    status = models.CharField("落实情况", max_length=4, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField("落实说明", max_length=500, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "会议议定事项"
        verbose_name_plural = "会议议定事项"
        ordering = ["due_on", "id"]
        indexes = [
            # a unit's open decisions by due date
            models.Index(fields=["unit", "status", "due_on"], name="decision_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return self.content[:30]
