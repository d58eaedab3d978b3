"""The matter catalogue: approval stages and the matters of each stage."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from projects.exchange.codes import Blzt
from qinqing.models import AppendOnlyModel, Department


class Stage(models.Model):
    """One of the four approval stages, or one of the two tracks the plan names (公共设施接入, 不动产登记)."""

    number = models.PositiveSmallIntegerField("序号", unique=True)
    name = models.CharField("阶段名称", max_length=40, unique=True)
    lead_unit = models.ForeignKey(
        Department, verbose_name="牵头单位", on_delete=models.PROTECT, null=True, blank=True, related_name="led_stages"
    )
    # the stage's comprehensive window (阶段综合窗口), first-responsible for the stage's matters
    window_name = models.CharField("综合窗口名称", max_length=60, blank=True)
    window_phone = models.CharField("窗口电话", max_length=30, blank=True)
    window_staff = models.ManyToManyField(
        "qinqing.User", verbose_name="窗口人员", blank=True, related_name="window_stages"
    )
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords(m2m_fields=[window_staff])

    class Meta:
        verbose_name = "审批阶段"
        verbose_name_plural = "审批阶段"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    @property
    def window_label(self) -> str:
        return self.window_name or f"{self.name}综合窗口"


class Matter(models.Model):
    """One approval matter of the catalogue (审批事项). The database copy is the truth."""

    class Category(models.TextChoices):
        LICENSE = "行政许可", "行政许可"
        TECHNICAL = "技术审查", "技术审查"
        INTERMEDIARY = "中介服务", "中介服务"
        UTILITY = "市政公用服务", "市政公用服务"
        FILING = "备案", "备案"
        OTHER = "其他", "其他"

    class Handling(models.TextChoices):
        IMMEDIATE = "即办件", "即办件"
        PROMISED = "承诺件", "承诺件"

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
    note = models.CharField("说明", max_length=200, blank=True)
    handling = models.CharField("办件类型", max_length=4, choices=Handling.choices, default=Handling.PROMISED)
    channel = models.CharField("办理渠道", max_length=60, blank=True, default="窗口办理或网上办理")
    fees = models.CharField("收费标准", max_length=200, blank=True, default="不收费")
    office_address = models.CharField("办理地点", max_length=200, blank=True, help_text="空白时用责任单位的地址。")
    office_hours = models.CharField("办公时间", max_length=100, blank=True, help_text="空白时用责任单位的办公时间。")
    enquiry_phone = models.CharField("咨询电话", max_length=30, blank=True, help_text="空白时用责任单位的电话。")
    complaint_phone = models.CharField("投诉电话", max_length=30, blank=True)
    result_name = models.CharField("审批结果名称", max_length=100, blank=True, help_text="如：建设工程规划许可证。")
    standard_code = models.CharField(
        "国家标准事项编码", max_length=40, blank=True, help_text="SPGL 的 DYBZSPSXBM（对应标准审批事项编码）。"
    )
    # the city's approval system (SPGL exchange, projects.exchange): the matter's code and version there;
    # blank until the city publishes them, and a row naming an unknown code goes to the exchange inbox
    spgl_code = models.CharField("审批事项编码（SPSXBM）", max_length=50, blank=True)
    spgl_version = models.CharField("事项版本号（SPSXBBH）", max_length=10, blank=True)
    allows_commitment = models.BooleanField("可告知承诺制", default=False)
    allows_deficiency = models.BooleanField("可容缺受理", default=False)
    allows_parallel = models.BooleanField("可并联审批", default=False)
    is_active = models.BooleanField("在用", default=True)
    retired_reason = models.CharField("停用原因", max_length=200, blank=True)
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
            # the exchange matches the city's rows by code
            models.Index(fields=["spgl_code"], name="matter_spgl_code_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def by_contract(self) -> bool:
        return self.time_limit_workdays == 0

    @property
    def address(self) -> str:
        return self.office_address or self.unit.address

    @property
    def hours(self) -> str:
        return self.office_hours or self.unit.office_hours

    @property
    def phone(self) -> str:
        return self.enquiry_phone or self.unit.contact_phone


class Material(models.Model):
    """One application material of a catalogue matter (申请材料), as a service guide lists it."""

    class Form(models.TextChoices):
        ORIGINAL = "原件", "原件"
        COPY = "复印件", "复印件"
        BOTH = "原件及复印件", "原件及复印件"
        ELECTRONIC = "电子", "电子文件"

    class Medium(models.TextChoices):
        PAPER = "纸质", "纸质"
        ELECTRONIC = "电子", "电子"
        BOTH = "纸质和电子", "纸质和电子"

    class Source(models.TextChoices):
        APPLICANT = "申请人自备", "申请人自备"
        DEPARTMENT = "部门核发", "部门核发"
        SHARED = "数据共享", "数据共享（免于提交）"

    matter = models.ForeignKey(Matter, verbose_name="事项", on_delete=models.PROTECT, related_name="materials")
    position = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("材料名称", max_length=300)
    form = models.CharField("原件/复印件", max_length=6, choices=Form.choices, blank=True, help_text="空白表示未注明。")
    copies = models.CharField("份数", max_length=60, blank=True, help_text="如：1份、4份白图。")
    medium = models.CharField("载体", max_length=6, choices=Medium.choices, default=Medium.PAPER)
    source = models.CharField("来源", max_length=6, choices=Source.choices, default=Source.APPLICANT)
    issuer = models.CharField("出具单位", max_length=60, blank=True, help_text="部门核发或数据共享时填写出具的部门。")
    required = models.BooleanField("必要材料", default=True, help_text="不勾选表示按情形提交，须写明情形。")
    condition = models.CharField("提交情形", max_length=200, blank=True)
    can_defer = models.BooleanField("可容缺", default=False)
    commitment_ok = models.BooleanField("可告知承诺替代", default=False)
    template_file = models.FileField("样表/模板", upload_to="catalogue/templates/%Y/", blank=True, max_length=200)
    note = models.CharField("备注", max_length=300, blank=True)
    reference = models.CharField("资料来源", max_length=500, blank=True, help_text="参考资料的出处（外地办事指南等）。")
    verified = models.BooleanField("已核实", default=False, help_text="管理员对照本区办事指南核实后勾选。")
    verified_by = models.ForeignKey(
        "qinqing.User", verbose_name="核实人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["matter_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required=True) | ~models.Q(condition=""), name="material_conditional_has_condition"
            ),
        ]
        indexes = [
            # a matter's materials in order (catalogue page, letter)
            models.Index(fields=["matter", "position"], name="material_matter_position_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def to_submit(self) -> bool:
        """Shared by data exchange: the applicant brings nothing."""
        return self.source != self.Source.SHARED


class MatterBundle(models.Model):
    """Matters applied for together (开工“一件事”, 联合验收): one application, one letter section."""

    name = models.CharField("名称", max_length=60, unique=True)
    description = models.CharField("说明", max_length=300, blank=True)
    matters = models.ManyToManyField(Matter, verbose_name="包含事项", related_name="bundles")
    is_active = models.BooleanField("在用", default=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords(m2m_fields=[matters])

    class Meta:
        verbose_name = "集成办理事项"
        verbose_name_plural = "集成办理事项"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet):
    def search(self, text: str, *, phone_scope: models.Q | None = None) -> ProjectQuerySet:
        """Name, project code, builder or contact person: partial and case-insensitive; and the phone,
        among the projects of ``phone_scope`` only (those whose number the searcher may reveal; None:
        none). A phone matches only as the whole number: partial matches would let anyone rebuild a
        masked number digit by digit (138****1234 → try 1380…1389), and a whole-number search open to
        everyone would let them confirm a guess for a number they may not see."""
        text = (text or "").strip()
        if not text:
            return self
        query = models.Q()
        for field in ("name", "code", "builder", "builder_credit_code", "contact_name", "site"):
            query |= models.Q(**{f"{field}__icontains": text})
        if phone_scope is not None and text.isascii() and text.replace("-", "").isdigit() and len(text) >= 7:
            query |= models.Q(contact_phone=text) & phone_scope
        return self.filter(query)


class Project(models.Model):
    """A construction project and its full-lifecycle dossier (全过程档案)."""

    class InvestmentType(models.TextChoices):
        GOVERNMENT = "政府投资", "政府投资"
        SOCIAL = "社会投资", "社会投资"

    class Nature(models.TextChoices):
        NEW = "新建", "新建"
        REBUILD = "改建", "改建"
        EXTEND = "扩建", "扩建"

    class Category(models.TextChoices):
        BUILDING = "房屋建筑", "房屋建筑"
        MUNICIPAL = "市政", "市政"
        TRANSPORT = "交通", "交通"
        WATER = "水利", "水利"
        INDUSTRIAL = "工业", "工业"
        OTHER = "其他", "其他"

    class Status(models.TextChoices):
        CONSULTING = "咨询中", "咨询中"
        ACTIVE = "在办", "在办"
        ON_HOLD = "暂缓", "暂缓"
        COMPLETED = "已办结", "已办结"
        TERMINATED = "已终止", "已终止"
        MERGED = "已合并", "已合并"

    name = models.CharField("项目名称", max_length=100)
    code = models.CharField(
        "项目代码", max_length=24, blank=True, help_text="投资项目统一代码；首次咨询时可暂缺，受理事项前必须填写。"
    )
    works_code = models.CharField(
        "工程代码",
        max_length=30,
        blank=True,
        help_text="项目代码加“-”和 4 位序号（SPGL 的 GCDM），与市审批系统交换时用。",
    )
    builder = models.CharField("建设单位", max_length=100)
    builder_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact_name = models.CharField("联系人", max_length=30)
    contact_phone = models.CharField("联系电话", max_length=30)
    site = models.CharField("建设地点", max_length=200, blank=True)
    investment_type = models.CharField("投资类型", max_length=10, choices=InvestmentType.choices)
    nature = models.CharField("建设性质", max_length=4, choices=Nature.choices, default=Nature.NEW)
    category = models.CharField("项目类别", max_length=10, choices=Category.choices, default=Category.BUILDING)
    land_area = models.DecimalField("用地面积（㎡）", max_digits=12, decimal_places=2, null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（㎡）", max_digits=12, decimal_places=2, null=True, blank=True)
    total_investment = models.DecimalField("总投资（万元）", max_digits=14, decimal_places=2, null=True, blank=True)
    is_key = models.BooleanField("重点项目", default=False)
    specialist = models.ForeignKey(
        "qinqing.User", verbose_name="帮办专员", on_delete=models.PROTECT, related_name="projects"
    )
    status = models.CharField("项目状态", max_length=6, choices=Status.choices, default=Status.CONSULTING)
    current_stage = models.ForeignKey(
        Stage, verbose_name="所处阶段", on_delete=models.PROTECT, related_name="projects", null=True, blank=True
    )
    registered_on = models.DateField("登记日期")
    completed_on = models.DateField("办结日期", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    lookup_no = models.CharField(
        "查询号", max_length=12, blank=True, help_text="没有项目代码时，申请人凭查询号和电话后四位查询进度。"
    )
    merged_into = models.ForeignKey(
        "self", verbose_name="并入档案", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    created_by = models.ForeignKey(
        "qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=0)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目档案"
        verbose_name_plural = "项目档案"
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="project_unique_code_when_given"
            ),
            models.UniqueConstraint(
                fields=["lookup_no"], condition=~models.Q(lookup_no=""), name="project_unique_lookup_no"
            ),
            models.UniqueConstraint(
                fields=["works_code"], condition=~models.Q(works_code=""), name="project_unique_works_code"
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(status="已合并"),
                name="project_merged_has_status",
            ),
            models.CheckConstraint(
                condition=models.Q(land_area__isnull=True) | models.Q(land_area__gte=0), name="project_land_area_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(floor_area__isnull=True) | models.Q(floor_area__gte=0),
                name="project_floor_area_gte_0",
            ),
            models.CheckConstraint(
                condition=models.Q(total_investment__isnull=True) | models.Q(total_investment__gte=0),
                name="project_investment_gte_0",
            ),
        ]
        indexes = [
            # a specialist's own project list, by status
            models.Index(fields=["specialist", "status"], name="project_specialist_status_idx"),
            # the ledger filtered by stage and status
            models.Index(fields=["current_stage", "status"], name="project_stage_status_idx"),
            # the ledger's default order and its date-range filter
            models.Index(fields=["-registered_on", "-id"], name="project_registered_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.TERMINATED, self.Status.MERGED)

    @property
    def lookup_code(self) -> str:
        """What the applicant types into the progress look-up: the project code, else the look-up number."""
        return self.code or self.lookup_no


class Consultation(models.Model):
    """One walk-in visit to the 亲清帮办 window: a consultation or a submission (咨询 / 报件登记)."""

    class Kind(models.TextChoices):
        CONSULTATION = "咨询", "咨询"
        SUBMISSION = "报件", "报件"

    class Outcome(models.TextChoices):
        ANSWERED = "当场解答", "当场解答"
        NOTIFIED = "一次性告知", "一次性告知"
        RECEIVED = "已收件", "已收件"
        REFERRED = "转窗口或单位办理", "转窗口或单位办理"
        PENDING = "待答复", "待答复"

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="consultations", null=True, blank=True
    )
    visited_at = models.DateTimeField("来访时间")
    kind = models.CharField("类型", max_length=4, choices=Kind.choices, default=Kind.CONSULTATION)
    visitor_name = models.CharField("来访人", max_length=30)
    visitor_phone = models.CharField("来访人电话", max_length=30, blank=True)
    visitor_company = models.CharField("来访单位", max_length=100, blank=True)
    question = models.TextField("咨询内容", max_length=1000)
    answer = models.TextField("答复情况", max_length=1000, blank=True)
    policies = models.CharField("讲解的惠企政策", max_length=300, blank=True)
    outcome = models.CharField("办理结果", max_length=10, choices=Outcome.choices, default=Outcome.ANSWERED)
    matters = models.ManyToManyField(Matter, verbose_name="涉及事项", blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        "qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="consultations"
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True, help_text="待答复的咨询事后答复的时间。")
    answered_by = models.ForeignKey(
        "qinqing.User", verbose_name="答复人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[matters])

    class Meta:
        verbose_name = "咨询报件登记"
        verbose_name_plural = "咨询报件登记"
        ordering = ["-visited_at", "-id"]
        indexes = [
            # the weekly summary counts consultations in a date range; the list shows newest first
            models.Index(fields=["-visited_at"], name="consultation_visited_idx"),
            # a specialist's to-do: consultations still waiting for an answer
            models.Index(fields=["outcome", "recorded_by"], name="consultation_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_at:%Y-%m-%d} {self.visitor_name} {self.kind}"


class NotificationLetter(AppendOnlyModel):
    """一次性告知单: what was told, kept exactly as issued (a snapshot, not a link to the catalogue)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="letters")
    project_name = models.CharField("项目名称（签发时）", max_length=100, default="")
    project_code = models.CharField("项目代码（签发时）", max_length=24, blank=True, default="")
    year = models.PositiveSmallIntegerField("年度")
    serial = models.PositiveIntegerField("序号")
    recipient = models.CharField("告知对象", max_length=60)
    items = models.JSONField("告知事项", default=list, help_text="签发时各事项的材料、单位、窗口、时限与政策。")
    policies = models.TextField("相关政策", max_length=1000, blank=True)
    note = models.CharField("其他说明", max_length=300, blank=True)
    lookup_code = models.CharField("查询码（签发时）", max_length=24, blank=True, default="")
    contact = models.JSONField("联系方式（签发时）", default=dict, blank=True, help_text="帮办专员及其电话、窗口电话。")
    consultation = models.ForeignKey(
        Consultation, verbose_name="来源咨询", on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(
        "qinqing.User", verbose_name="告知人", on_delete=models.PROTECT, related_name="letters"
    )

    append_only_label = "已签发的告知单"

    class Meta:
        verbose_name = "一次性告知单"
        verbose_name_plural = "一次性告知单"
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "serial"], name="letter_unique_number")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return self.number_of(self.year, self.serial)

    @staticmethod
    def number_of(year: int, serial: int) -> str:
        # GB/T 9704-2012: the serial carries no leading zeros
        return f"江北帮办告〔{year}〕{serial}号"


class ProjectMatterQuerySet(models.QuerySet):
    def open(self) -> ProjectMatterQuerySet:
        return self.filter(status__in=ProjectMatter.OPEN_STATUSES)

    def overdue(self, today) -> ProjectMatterQuerySet:
        return self.open().filter(due_on__lt=today)

    def warning(self, today) -> ProjectMatterQuerySet:
        return self.open().filter(warn_on__lte=today, due_on__gte=today)

    def with_warning(self, today) -> ProjectMatterQuerySet:
        """Annotate ``warning_state`` (the same three values everywhere) for filters and exports."""
        return self.annotate(
            warning_state=models.Case(
                models.When(~models.Q(status__in=ProjectMatter.OPEN_STATUSES), then=models.Value("")),
                models.When(due_on__lt=today, then=models.Value(ProjectMatter.Warning.OVERDUE)),
                models.When(warn_on__lte=today, then=models.Value(ProjectMatter.Warning.WARNING)),
                models.When(due_on__isnull=False, then=models.Value(ProjectMatter.Warning.NORMAL)),
                default=models.Value(""),
                output_field=models.CharField(),
            )
        )


class ProjectMatter(models.Model):
    """One catalogue matter on one project (事项办理), followed from 待申报 to its end."""

    class Status(models.TextChoices):
        PENDING = "待申报", "待申报"
        ACCEPTED = "已受理", "已受理"
        REVIEWING = "审查中", "审查中"
        SUPPLEMENT = "补正材料", "补正材料"
        DONE = "已办结", "已办结"
        REFUSED = "不予办理", "不予办理"
        WITHDRAWN = "撤回", "撤回"
        REVOKED = "已撤销", "已撤销"  # 告知承诺 found false and not put right: the approval is revoked

    class Result(models.TextChoices):
        """How a 办结 ended (the SPGL statuses 11, 12 and 13)."""

        PASSED = "通过", "办结（通过）"
        PASSED_DEFICIENT = "容缺通过", "办结（容缺通过）"
        FAILED = "不通过", "办结（不通过）"

    class Mode(models.TextChoices):
        REGULAR = "常规", "常规"
        PARALLEL = "并联审批", "并联审批"
        COMMITMENT = "承诺办理", "承诺办理"
        DEFICIENCY = "容缺受理", "容缺受理"

    class Warning(models.TextChoices):
        NORMAL = "正常", "正常"
        WARNING = "预警", "预警"
        OVERDUE = "逾期", "逾期"

    OPEN_STATUSES = (Status.ACCEPTED, Status.REVIEWING, Status.SUPPLEMENT)
    FINAL_STATUSES = (Status.DONE, Status.REFUSED, Status.WITHDRAWN, Status.REVOKED)

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="matters")
    matter = models.ForeignKey(Matter, verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Department, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=6, choices=Status.choices, default=Status.PENDING)
    mode = models.CharField("办理方式", max_length=6, choices=Mode.choices, default=Mode.REGULAR)
    time_limit_workdays = models.PositiveSmallIntegerField("承诺时限（工作日）", null=True, blank=True)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    due_on = models.DateField("到期日", null=True, blank=True)
    warn_on = models.DateField("预警日", null=True, blank=True)
    due_provisional = models.BooleanField("到期日为暂估", default=False)
    finished_on = models.DateField("办结日期", null=True, blank=True, help_text="办结、不予办理或撤回的日期。")
    result = models.CharField("办结结果", max_length=4, choices=Result.choices, blank=True)
    last_changed_on = models.DateField(
        "最近变更日期", null=True, blank=True, help_text="最近一次状态变更的日期；之后的变更不能早于它。"
    )
    last_reason = models.CharField("最近原因", max_length=300, blank=True)
    case_no = models.CharField(
        "办件编号", max_length=60, blank=True, help_text="受理时编定（SPGL 的 SPSXSLBM），或取自市审批系统。"
    )
    city_key = models.CharField(
        "市系统数据主键", max_length=64, blank=True, help_text="办件来自市审批系统时，其 DFSJZJ；本系统受理的为空。"
    )
    handler = models.ForeignKey(
        "qinqing.User", verbose_name="经办人", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("添加时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=0)

    objects = ProjectMatterQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "事项办理"
        verbose_name_plural = "事项办理"
        ordering = ["matter__stage__number", "matter_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "matter"],
                condition=models.Q(status__in=["待申报", "已受理", "审查中", "补正材料"]),
                name="project_matter_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(status="待申报") | models.Q(accepted_on__isnull=False) | models.Q(status="撤回"),
                name="project_matter_accepted_has_date",
            ),
            models.UniqueConstraint(fields=["case_no"], condition=~models.Q(case_no=""), name="pm_unique_case_no"),
        ]
        indexes = [
            # a unit's matters list and the warning filters: open matters by unit and due date
            models.Index(fields=["unit", "status", "due_on"], name="pm_unit_status_due_idx"),
            # the overdue and warning counts across all open matters, and the ledger's 逾期 filter: with
            # the project in the index, "projects with an overdue matter" is read from the index alone
            models.Index(fields=["status", "due_on", "project"], name="pm_status_due_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.matter}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def status_label(self) -> str:
        """The status as people read it: 办结 with its result (办结（通过）…), else the status."""
        return self.label_of(self.status, self.result)

    @property
    def clock_stopped(self) -> bool:
        """补正材料 notified in time: no due date while the applicant supplies. A 补正 notified after the
        due date leaves the clock running (the matter stays 逾期), see ``deadlines.compute``."""
        return self.status == self.Status.SUPPLEMENT and self.due_on is None

    @property
    def finished_late(self) -> bool:
        """逾期办结: concluded (any result) after its due date."""
        return self.status in (self.Status.DONE, self.Status.REVOKED) and self.late(
            self.status, self.due_on, self.finished_on, self.finished_on
        )

    @classmethod
    def label_of(cls, status: str, result: str = "") -> str:
        if status == cls.Status.DONE and result:
            return cls.Result(result).label
        return status

    def late_on(self, today) -> bool:
        """是否逾期 in the ledger: open and past its due date, or finished after it."""
        return self.late(self.status, self.due_on, self.finished_on, today)

    def warning_on(self, today) -> str:
        """正常 / 预警 / 逾期 for an open matter with a deadline; "" otherwise."""
        return self.warning(self.status, self.due_on, self.warn_on, today)

    # The same two judgements on plain values, for exports that read matters as rows (values_list)
    # rather than as model instances: one definition for both.
    @classmethod
    def late(cls, status: str, due_on, finished_on, today) -> bool:
        if due_on is None:
            return False
        if status in cls.OPEN_STATUSES:
            return due_on < today
        return status in (cls.Status.DONE, cls.Status.REVOKED) and finished_on is not None and finished_on > due_on

    @classmethod
    def warning(cls, status: str, due_on, warn_on, today) -> str:
        if status not in cls.OPEN_STATUSES or due_on is None:
            return ""
        if due_on < today:
            return cls.Warning.OVERDUE
        if warn_on is not None and warn_on <= today:
            return cls.Warning.WARNING
        return cls.Warning.NORMAL


class MatterPause(models.Model):
    """A stretch in which the clock stops, from the day after ``paused_on`` to ``resumed_on``: 补正材料, or a
    特别程序 (hearing, expert review, on-site survey…; SPGL statuses 9–10) while the matter stays in review."""

    class Kind(models.TextChoices):
        SUPPLEMENT = "补正", "补正材料"
        SPECIAL = "特别程序", "特别程序"

    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="事项办理", on_delete=models.PROTECT, related_name="pauses"
    )
    paused_on = models.DateField("通知补正日期")
    resumed_on = models.DateField("补齐材料日期", null=True, blank=True)
    reason = models.CharField("补正原因", max_length=300)
    kind = models.CharField("暂停类型", max_length=4, choices=Kind.choices, default=Kind.SUPPLEMENT)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "补正材料"
        verbose_name_plural = "补正材料"
        ordering = ["paused_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resumed_on__isnull=True) | models.Q(resumed_on__gte=models.F("paused_on")),
                name="pause_resumed_after_paused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_matter} 补正 {self.paused_on}"


class MissingMaterial(models.Model):
    """容缺受理: a material accepted as missing, to be supplied by a deadline in working days."""

    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="事项办理", on_delete=models.PROTECT, related_name="missing_materials"
    )
    material = models.ForeignKey(
        Material, verbose_name="目录材料", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField("容缺材料", max_length=300)
    supply_by = models.DateField("补齐期限")
    supplied_on = models.DateField("补齐日期", null=True, blank=True)
    supplied_note = models.CharField("补齐说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey("qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "容缺材料"
        verbose_name_plural = "容缺材料"
        ordering = ["supply_by", "id"]
        indexes = [
            # the to-do lists and the office's overdue count: materials not yet supplied, by deadline
            models.Index(fields=["supplied_on", "supply_by"], name="missing_open_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def state(self, today) -> str:
        """已补齐 / 逾期未补 / 待补齐."""
        if self.supplied_on:
            return "已补齐"
        return "逾期未补" if self.supply_by < today else "待补齐"


class Commitment(models.Model):
    """告知承诺: what the applicant committed to instead of materials, and the unit's later check."""

    class Status(models.TextChoices):
        PENDING = "待核查", "待核查"
        PASSED = "符合", "核查符合"
        FAILED = "不符合", "核查不符合（限期整改）"
        RECTIFIED = "整改到位", "整改到位"
        REVOKED = "已撤销", "已撤销审批"

    OPEN_STATUSES = (Status.PENDING, Status.FAILED)

    project_matter = models.OneToOneField(
        ProjectMatter, verbose_name="事项办理", on_delete=models.PROTECT, related_name="commitment"
    )
    content = models.TextField("承诺内容", max_length=1000)
    materials = models.ManyToManyField(Material, verbose_name="以承诺替代的材料", blank=True, related_name="+")
    verify_by = models.DateField("核查日期", help_text="责任单位在此日期前核查承诺是否属实。")
    status = models.CharField("核查状态", max_length=4, choices=Status.choices, default=Status.PENDING)
    checked_on = models.DateField("核查日期（实际）", null=True, blank=True)
    check_note = models.CharField("核查情况", max_length=500, blank=True)
    checked_by = models.ForeignKey(
        "qinqing.User", verbose_name="核查人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rectify_by = models.DateField("整改期限", null=True, blank=True)
    closed_on = models.DateField("处理完成日期", null=True, blank=True)
    close_note = models.CharField("处理情况", max_length=500, blank=True)
    recorded_by = models.ForeignKey("qinqing.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "告知承诺"
        verbose_name_plural = "告知承诺"
        ordering = ["verify_by", "id"]
        indexes = [models.Index(fields=["status", "verify_by"], name="commitment_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="不符合") | models.Q(rectify_by__isnull=False),
                name="commitment_failed_has_rectify_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_matter} 告知承诺"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def overdue(self, today) -> bool:
        if self.status == self.Status.PENDING:
            return self.verify_by < today
        return self.status == self.Status.FAILED and self.rectify_by is not None and self.rectify_by < today


class Feedback(models.Model):
    """Each time progress, a refusal reason or a completion was told to the applicant (反馈)."""

    class Method(models.TextChoices):
        PHONE = "电话", "电话"
        SMS = "短信", "短信"
        IN_PERSON = "当面", "当面"
        ONLINE = "线上", "线上"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="feedback")
    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="相关事项", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    told_at = models.DateTimeField("反馈时间")
    method = models.CharField("反馈方式", max_length=4, choices=Method.choices, default=Method.PHONE)
    content = models.TextField("反馈内容", max_length=1000)
    recorded_by = models.ForeignKey("qinqing.User", verbose_name="反馈人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "反馈记录"
        verbose_name_plural = "反馈记录"
        ordering = ["-told_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project} {self.told_at:%Y-%m-%d} {self.method}"


class TimelineEntry(AppendOnlyModel):
    """One event of a dossier, in order: what happened, who did it, when. Written once."""

    class Kind(models.TextChoices):
        PROJECT = "project", "项目档案"
        CONSULTATION = "consultation", "咨询报件"
        LETTER = "letter", "一次性告知"
        MATTER = "matter", "事项办理"
        FEEDBACK = "feedback", "反馈申请人"
        HANDOFF = "handoff", "首问移交"
        PROBLEM = "problem", "难点堵点"
        MEETING = "meeting", "联席会议"
        VISIT = "visit", "回访"
        RECTIFICATION = "rectification", "整改"
        NOTICE = "notice", "通报"
        ESCALATION = "escalation", "督查督办"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="timeline")
    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="相关事项", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # whom an entry without a matter concerns, so window and unit staff see the entries of their part
    stage = models.ForeignKey(
        Stage, verbose_name="相关阶段", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Department, verbose_name="相关单位", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        "qinqing.User", verbose_name="操作人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField("摘要", max_length=300)
    detail = models.JSONField("详情", default=dict, blank=True)
    object_type = models.CharField("来源对象类型", max_length=60, blank=True)
    object_id = models.CharField("来源对象编号", max_length=64, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    append_only_label = "档案记录"

    class Meta:
        verbose_name = "档案记录"
        verbose_name_plural = "档案记录"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # the dossier page: one project's events, newest first
            models.Index(fields=["project", "-occurred_at", "-id"], name="timeline_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}：{self.summary}"


class MatterEvent(AppendOnlyModel):
    """A project matter's status history in the national SPGL vocabulary (BLZT), one row per status: written by
    every move here (``projects.services.matter_move``) and by the exchange for the city's rows. Written once."""

    class Source(models.TextChoices):
        LOCAL = "本系统", "本系统"
        CITY = "市审批系统", "市审批系统"

    project_matter = models.ForeignKey(
        ProjectMatter, verbose_name="事项办理", on_delete=models.PROTECT, related_name="events"
    )
    status = models.PositiveSmallIntegerField("办理状态（BLZT）", choices=Blzt.choices)
    on = models.DateField("办理日期")
    occurred_at = models.DateTimeField("办理时间")
    actor = models.ForeignKey(
        "qinqing.User", verbose_name="操作人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handler_name = models.CharField("办理人", max_length=50, blank=True)
    opinion = models.CharField("办理意见", max_length=300, blank=True)
    source = models.CharField("来源", max_length=6, choices=Source.choices, default=Source.LOCAL)
    city_key = models.CharField("市系统数据主键（DFSJZJ）", max_length=64, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    append_only_label = "事项办理状态记录"

    class Meta:
        verbose_name = "事项办理状态记录"
        verbose_name_plural = "事项办理状态记录"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["city_key"], condition=~models.Q(city_key=""), name="event_unique_city_key"
            ),
        ]
        indexes = [models.Index(fields=["project_matter", "occurred_at"], name="event_matter_idx")]

    def __str__(self) -> str:
        return f"{self.project_matter} {self.get_status_display()} {self.on}"


from projects.exchange.models import ExchangeCursor, ExchangeIssue, ExchangeRun  # noqa: E402,F401 (the exchange's models)
