"""The ground's data: responsible units, staff accounts, their sessions and the audit log."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from qinqing.roles import Role, held_roles, user_roles


class Department(models.Model):
    """A responsible unit (责任单位): an approving bureau, a utility, an intermediary, a window."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", "审批部门"
        CENTRE = "centre", "服务机构"
        UTILITY = "utility", "公用企业"
        INTERMEDIARY = "intermediary", "中介机构"
        OFFICE = "office", "综合协调"

    name = models.CharField("单位名称", max_length=60, unique=True)
    kind = models.CharField("单位类型", max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("办公地址", max_length=200, blank=True)
    office_hours = models.CharField("办公时间", max_length=100, blank=True)
    is_active = models.BooleanField("在用", default=True)
    version = models.PositiveIntegerField("版本", default=0, help_text="每次保存加一，用于拒绝过期表单。")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "责任单位"
        verbose_name_plural = "责任单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffManager(UserManager):
    pass


class User(AbstractUser):
    """A staff account. The profile (display name, unit) lives on the account itself."""

    display_name = models.CharField("姓名", max_length=30)
    department = models.ForeignKey(
        Department,
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    phone = models.CharField("办公电话", max_length=30, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=True)
    version = models.PositiveIntegerField("版本", default=0, help_text="每次保存加一，用于拒绝过期表单。")
    # 三员分立: an auditor account is usable only once its holder has bound their own second factor and a
    # serving auditor has approved it (qinqing.second_factor); creating it, giving an account the role,
    # resetting its password or its second factor all make it pending again
    auditor_activated_at = models.DateTimeField("审计员启用时间", null=True, blank=True)
    auditor_activated_by = models.ForeignKey(
        "self",
        verbose_name="批准启用的审计员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = StaffManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = "人员账号"
        verbose_name_plural = "人员账号"
        ordering = ["username"]
        indexes = [
            # the staff list filtered by unit and state
            models.Index(fields=["department", "is_active"], name="user_dept_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.username}（{self.username}）"

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def roles(self) -> frozenset[str]:
        return user_roles(self)

    @property
    def role_labels(self) -> list[str]:
        held = user_roles(self)
        return [role.label for role in Role if role.value in held]

    def has_role(self, role: Role | str) -> bool:
        return str(role) in user_roles(self)

    @property
    def auditor_pending(self) -> bool:
        """An auditor account not yet approved by a serving auditor: it reaches only its own 第二因素 page."""
        return self.auditor_activated_at is None and Role.AUDITOR in held_roles(self)

    @property
    def password_expires_at(self):
        if self.password_changed_at is None:
            return None
        return self.password_changed_at + timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)

    @property
    def password_expired(self) -> bool:
        expires = self.password_expires_at
        return expires is None or expires <= timezone.now()


class StaffSession(AbstractBaseSession):
    """The session table itself, with the account each session belongs to: written on every save of the
    session (``qinqing.session_store``), so a key that rotates (sign-in, the forced password change, any
    password change) is still the account's, and disabling the account ends all its sessions at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "登录会话"
        verbose_name_plural = "登录会话"

    @classmethod
    def get_session_store_class(cls):
        from qinqing.session_store import SessionStore

        return SessionStore

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes refused, for records that are written once (see ``AppendOnlyModel``)."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model.append_only_label}不可修改。")

    def delete(self):
        raise PermissionError(f"{self.model.append_only_label}不可删除。")


class AppendOnlyModel(models.Model):
    """A record written once and never changed or deleted: the audit log, the dossier timeline, issued letters."""

    append_only_label = "该记录"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{self.append_only_label}不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self.append_only_label}不可删除。")


class AuditEntry(AppendOnlyModel):
    """One row of the audit log. Written once, never changed: the database refuses updates too."""

    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKED_OUT = "locked_out", "账号锁定"
        LOGOUT = "logout", "退出"
        SESSION_TIMEOUT = "session_timeout", "会话超时"
        PASSWORD_CHANGE = "password_change", "修改密码"
        ACCESS_DENIED = "access_denied", "拒绝访问"
        CREATE = "create", "新建"
        UPDATE = "update", "修改"
        ROLE_CHANGE = "role_change", "修改角色"
        DISABLE = "disable", "停用账号"
        ENABLE = "enable", "启用账号"
        PASSWORD_RESET = "password_reset", "重置密码"
        UNLOCK = "unlock", "解除锁定"
        EXPORT = "export", "导出"
        DOWNLOAD = "download", "下载存档"
        IMPORT = "import", "导入"
        REVEAL = "reveal", "查看个人信息"
        PROGRESS_LOOKUP = "progress_lookup", "进度查询"
        BACKUP = "backup", "备份"
        RESTORE = "restore", "恢复备份"
        TWO_FACTOR_ENROL = "2fa_enrol", "绑定第二因素"
        TWO_FACTOR_VERIFY = "2fa_verify", "第二因素验证"
        TWO_FACTOR_RESET = "2fa_reset", "重置第二因素"
        RECOVERY_CODES = "2fa_recovery_codes", "生成恢复码"
        AUDITOR_APPROVE = "auditor_approve", "批准启用审计员"

    class Result(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name="操作人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField("用户名", max_length=150, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("操作", max_length=30, choices=Action.choices)
    result = models.CharField("结果", max_length=10, choices=Result.choices, default=Result.SUCCESS)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    detail = models.CharField("说明", max_length=500, blank=True)
    path = models.CharField("请求路径", max_length=300, blank=True)

    append_only_label = "审计日志"

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-created_at", "-id"]
        indexes = [
            # an object's history page: all rows about one account, newest first
            models.Index(fields=["object_type", "object_id", "-created_at"], name="audit_object_idx"),
            # the audit list filtered by action
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S} {self.actor_username} {self.get_action_display()}"
        )


class CalendarYear(models.Model):
    """A year whose holidays and make-up workdays an administrator entered (or corrected).

    When a year is here, its ``CalendarDay`` rows plus weekends are the whole truth for that year;
    otherwise the chinesecalendar package decides, and beyond its data Monday–Friday, provisionally.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, help_text="例如：国务院办公厅关于2027年部分节假日安排的通知")
    entered_by = models.ForeignKey(
        User, verbose_name="录入人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "工作日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=models.Q(year__gte=2000, year__lte=2100), name="calendaryear_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年工作日历"


class CalendarDay(models.Model):
    """One exception to the Monday–Friday week: a statutory holiday or a make-up workday (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "休"
        WORKDAY = "workday", "班"

    calendar_year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=30, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"


class Counter(models.Model):
    """Gap-free numbering of issued documents (告知单, 通报…) per kind and year: lock the row, add one."""

    key = models.CharField("编号类别", max_length=30)
    year = models.PositiveSmallIntegerField("年度")
    value = models.PositiveIntegerField("已用编号", default=0)

    class Meta:
        verbose_name = "文书编号"
        verbose_name_plural = "文书编号"
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="counter_unique_key_year")]

    def __str__(self) -> str:
        return f"{self.key} {self.year}: {self.value}"

    @classmethod
    def next(cls, key: str, year: int) -> int:
        """The next number of ``key`` in ``year``; call inside the transaction that uses it."""
        cls.objects.get_or_create(key=key, year=year)
        counter = cls.objects.select_for_update().get(key=key, year=year)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value


class FormSubmission(models.Model):
    """One submitted create form, keyed by the one-time token the form carried: a double click or a
    resent request finds the token taken and is sent to what the first submission made."""

    token = models.CharField("表单令牌", max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    url = models.CharField("结果页面", max_length=300, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = "表单提交"
        verbose_name_plural = "表单提交"

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class SmsTemplate(models.Model):
    """The text of one kind of SMS to applicants, with placeholders such as {项目名称}; the administrator
    edits it (qinqing.sms checks the placeholders). An inactive template sends nothing of its kind."""

    class Key(models.TextChoices):
        ACCEPTED = "accepted", "受理"
        SUPPLEMENT = "supplement", "补正"
        REMINDER = "reminder", "到期前提醒"
        DONE = "done", "办结"

    key = models.CharField("类别", max_length=20, choices=Key.choices, unique=True)
    name = models.CharField("名称", max_length=30)
    text = models.CharField("短信内容", max_length=300)
    is_active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(
        User, verbose_name="修改人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "短信模板"
        verbose_name_plural = "短信模板"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SmsMessage(models.Model):
    """One SMS to an applicant: queued by the part that has something to tell, sent by the background
    worker through the gateway (qinqing.sms), retried with growing delays, then 已发送 or 失败.

    ``object_type``/``object_id`` name what it is about (a project matter) without the ground
    importing the part above; ``link`` is that part's page for it."""

    class Status(models.TextChoices):
        PENDING = "待发送", "待发送"
        SENT = "已发送", "已发送"
        FAILED = "失败", "失败"

    phone = models.CharField("手机号码", max_length=20)
    text = models.CharField("短信内容", max_length=500)
    kind = models.CharField("类别", max_length=20, choices=SmsTemplate.Key.choices)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    last_error = models.CharField("失败原因", max_length=300, blank=True)
    provider_id = models.CharField("网关回执编号", max_length=64, blank=True)
    backend = models.CharField("发送通道", max_length=20, blank=True)
    object_type = models.CharField("相关对象类型", max_length=60, blank=True)
    object_id = models.CharField("相关对象编号", max_length=64, blank=True)
    subject = models.CharField("相关事项", max_length=200, blank=True)
    link = models.CharField("相关页面", max_length=200, blank=True)
    # "reminder:<matter>:<due date>": the same reminder is never queued twice, even by two workers
    dedupe_key = models.CharField("去重键", max_length=100, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name="触发人", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("排队时间", auto_now_add=True)

    class Meta:
        verbose_name = "短信"
        verbose_name_plural = "短信"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~models.Q(dedupe_key=""), name="sms_unique_dedupe"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="已发送") | models.Q(sent_at__isnull=False), name="sms_sent_has_time"
            ),
        ]
        indexes = [
            # the worker's "due messages": 待发送 whose next attempt has come, oldest first
            models.Index(fields=["status", "next_attempt_at"], name="sms_due_idx"),
            # the messages of one matter (its dossier, the reminder check)
            models.Index(fields=["object_type", "object_id"], name="sms_object_idx"),
        ]

    def __str__(self) -> str:
        # masked: this is what the audit log and the admin show
        from qinqing.masking import mask_phone

        return f"短信 {mask_phone(self.phone)}（{self.get_kind_display()}）"
