from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

from qinqing import calendar_text
from qinqing.models import Department, User
from qinqing.roles import Role
from qinqing.validators import (
    no_control_characters,
    no_markup,
    phone_validator,
    single_line,
    username_validator,
)

# The longest text a field without its own limit takes: a one-line field, and a text area (meeting
# minutes, findings). Anything longer is a paste gone wrong or an attack, and is refused, not cut.
LINE_LIMIT = 500
TEXT_LIMIT = 20000


def _max_length(limit: int) -> MaxLengthValidator:
    return MaxLengthValidator(limit, "最多 %(limit_value)d 个字符，当前 %(show_value)d 个，请删减。")


def guard_text_field(field: forms.Field) -> None:
    """Hostile input refused on every text field of every form, with a message in Chinese: markup
    (script tags), control characters and NUL bytes, text garbled by a wrong encoding, line breaks in
    a one-line field, and overlong text. Passwords are left alone (any character may be in one)."""
    if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
        return
    multiline = isinstance(field.widget, forms.Textarea)
    if field.max_length is None:
        field.max_length = TEXT_LIMIT if multiline else LINE_LIMIT
        field.validators.append(_max_length(field.max_length))
        field.widget.attrs.update(field.widget_attrs(field.widget))
    validators = [
        _max_length(v.limit_value) if isinstance(v, MaxLengthValidator) else v
        for v in field.validators
        if not isinstance(v, ProhibitNullCharactersValidator)  # ours says it in proper Chinese
    ]
    # the control-character check first, so a NUL byte is named as such, not as markup
    validators.insert(0, no_control_characters)
    if not multiline and not isinstance(field.widget, forms.HiddenInput):
        validators.insert(1, single_line)
    if no_markup not in validators:
        validators.append(no_markup)
    field.validators = validators


class StyledBoundField(BoundField):
    """A field that marks its widget ``is-invalid`` (Bootstrap) whenever it has errors, however the
    errors came (a clean method, ``add_error`` from a view): read from the bound field's errors at
    render time, not stored on the widget. ``aria-invalid`` and ``aria-describedby`` (help text id
    ``<id>_helptext``, error id ``<id>_error``) come from Django's own ``build_widget_attrs``."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if self.errors and not widget.is_hidden:
            classes = (attrs.get("class") or widget.attrs.get("class") or "").split()
            if "is-invalid" not in classes:
                classes.append("is-invalid")
            attrs["class"] = " ".join(classes)
        return attrs


class FormRenderer(TemplatesSetting):
    """The one form renderer (``FORM_RENDERER``): ``{{ form }}`` and ``{{ form.field.as_field_group }}``
    render through ``templates/django/forms/div.html`` and ``field.html``: label, required mark,
    widget, help text and errors, with the ids the widget's ``aria-describedby`` names."""

    form_template_name = "django/forms/div.html"
    field_template_name = "django/forms/field.html"
    bound_field_class = StyledBoundField


class StyledFormMixin:
    """Give every widget Bootstrap's classes, so templates render fields without per-field markup, and
    guard every text field against hostile input (``guard_text_field``). A field with errors gets
    ``is-invalid`` from ``StyledBoundField``."""

    bound_field_class = StyledBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            guard_text_field(field)
            widget = field.widget
            if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput, forms.RadioSelect)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")


class StyledForm(StyledFormMixin, forms.Form):
    pass


def add_service_errors(form: forms.Form, error) -> None:
    """Show a service's refusal (a ValidationError) at the top of the form it came from."""
    for message in error.messages:
        form.add_error(None, message)


class OneTimeCodeForm(StyledForm):
    """A code typed from a phone or a sheet: the second factor at sign-in, binding, an auditor's approval."""

    code = forms.CharField(
        label="验证码",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, label: str = "验证码", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = label
        self.fields["code"].help_text = help_text


class StaffAuthenticationForm(AuthenticationForm):
    """The login form; tells a disabled account why it cannot get in."""

    error_messages = {
        "invalid_login": "用户名或密码错误。连续 %(limit)s 次错误将锁定账号。",
        "inactive": "该账号已被停用，请联系系统管理员。",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"

    def clean(self):
        from django.conf import settings

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                candidate = User.objects.filter(username=username).first()
                if candidate is not None and not candidate.is_active and candidate.check_password(password):
                    raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
                raise forms.ValidationError(
                    self.error_messages["invalid_login"],
                    code="invalid_login",
                    params={"limit": settings.AXES_FAILURE_LIMIT},
                )
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class StaffPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "当前密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        old = self.cleaned_data.get("old_password")
        if new and old and new == old:
            raise forms.ValidationError("新密码不能与当前密码相同。", code="password_unchanged")
        return new


def _department_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="所属单位",
        queryset=Department.objects.filter(is_active=True),
        required=required,
        empty_label="（无）",
    )


class _StaffFieldsMixin(StyledForm):
    display_name = forms.CharField(label="姓名", max_length=30, validators=[no_markup])
    department = _department_field()
    phone = forms.CharField(label="办公电话", max_length=30, required=False, validators=[phone_validator])
    roles = forms.MultipleChoiceField(
        label="角色",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个角色。"},
    )

    def clean(self):
        cleaned = super().clean()
        roles = cleaned.get("roles") or []
        if Role.DEPARTMENT in roles and not cleaned.get("department"):
            self.add_error("department", "责任单位人员须选择所属单位。")
        return cleaned


class StaffCreateForm(_StaffFieldsMixin):
    username = forms.CharField(label="用户名", max_length=30, validators=[username_validator])
    field_order = ["username", "display_name", "roles", "department", "phone"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("该用户名已被使用，请换一个。")
        return username


class StaffEditForm(_StaffFieldsMixin):
    version = forms.IntegerField(widget=forms.HiddenInput)
    field_order = ["display_name", "roles", "department", "phone", "version"]


class StaffDisableForm(StyledForm):
    reason = forms.CharField(
        label="停用原因",
        max_length=200,
        validators=[no_markup],
        widget=forms.TextInput(attrs={"placeholder": "例如：调离岗位"}),
    )
    # only when the account holds open work (qinqing.handover): who takes it over, or leave it 无人负责
    successor = forms.ModelChoiceField(
        label="接手人",
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label="（请选择）",
        help_text="在办工作在停用的同时移交给此人；须能接手全部工作（帮办专员接项目，同阶段窗口人员接首问）。",
    )
    leave_unassigned = forms.BooleanField(
        label="不移交，确认停用：上述工作列为“无人负责”，由区工改办在“人员交接”页重新分配",
        required=False,
    )
    open_work = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, account: User | None = None, roles: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        successors = User.objects.filter(is_active=True).select_related("department").order_by("display_name", "pk")
        if account is not None:
            successors = successors.exclude(pk=account.pk)
        if roles:
            successors = successors.filter(groups__name__in=roles).distinct()
        self.fields["successor"].queryset = successors
        self.fields["successor"].label_from_instance = lambda user: (
            f"{user.name}（{'、'.join(user.role_labels)}{'，' + user.department.name if user.department_id else ''}）"
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("successor") and cleaned.get("leave_unassigned"):
            self.add_error("leave_unassigned", "已选择接手人时不能同时勾选“不移交”。")
        return cleaned


class DepartmentForm(StyledForm):
    name = forms.CharField(label="单位名称", max_length=60, validators=[no_markup])
    kind = forms.ChoiceField(label="单位类型", choices=Department.Kind.choices, initial=Department.Kind.BUREAU)
    contact_phone = forms.CharField(label="联系电话", max_length=30, required=False, validators=[phone_validator])
    address = forms.CharField(
        label="办公地址",
        max_length=200,
        required=False,
        help_text="印在一次性告知单上，如：区政务服务中心 3 楼 C01 窗口。",
    )
    office_hours = forms.CharField(
        label="办公时间", max_length=100, required=False, help_text="如：工作日 9:00—17:30。"
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CalendarYearForm(StyledForm):
    source = forms.CharField(
        label="依据",
        max_length=200,
        validators=[no_markup],
        widget=forms.TextInput(attrs={"placeholder": "例如：国务院办公厅关于2027年部分节假日安排的通知"}),
    )
    days = forms.CharField(
        label="节假日与调休",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text="每行一条：日期或日期范围、“休”或“班”、名称。例如“2027-02-06~2027-02-13 休 春节”“2027-02-14 班 春节调休”。"
        "未列出的周一至周五为工作日，周六、周日为休息日。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_days(self):
        try:
            return calendar_text.parse(self.cleaned_data["days"], self.year)
        except calendar_text.CalendarTextError as error:
            raise forms.ValidationError(error.errors) from None
