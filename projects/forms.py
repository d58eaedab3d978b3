from __future__ import annotations

from datetime import date, datetime

from django import forms

from projects.models import Consultation, Feedback, Matter, Project, ProjectMatter, Stage
from projects.services import ACTION_LABELS
from qinqing.forms import StyledForm, StyledFormMixin
from qinqing.models import Department, User
from qinqing.roles import Role
from qinqing.validators import (
    credit_code_validator,
    no_markup,
    normalize_code,
    phone_validator,
    project_code_validator,
)


class MatterForm(StyledForm):
    name = forms.CharField(label="事项名称", max_length=100, validators=[no_markup])
    category = forms.ChoiceField(label="事项类别", choices=Matter.Category.choices)
    unit = forms.ModelChoiceField(label="责任单位", queryset=Department.objects.filter(is_active=True))
    time_limit_workdays = forms.IntegerField(
        label="承诺时限（工作日）", min_value=0, max_value=365, help_text="0 表示按合同约定（中介服务），不计算到期日。"
    )
    statutory_limit_workdays = forms.IntegerField(
        label="法定时限（工作日）", min_value=1, max_value=365, required=False, help_text="与承诺时限不同时填写。"
    )
    materials = forms.CharField(
        label="申请材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="每行一项材料。",
        validators=[no_markup],
    )
    note = forms.CharField(label="说明", max_length=200, required=False, validators=[no_markup])
    allows_commitment = forms.BooleanField(label="可告知承诺制", required=False)
    allows_deficiency = forms.BooleanField(label="可容缺受理", required=False)
    allows_parallel = forms.BooleanField(label="可并联审批", required=False)
    is_active = forms.BooleanField(label="在用", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_materials(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["materials"].splitlines() if line.strip()]
        too_long = [line for line in lines if len(line) > 100]
        if too_long:
            raise forms.ValidationError(f"每项材料最多 100 个字符：“{too_long[0][:20]}…”过长。")
        return lines

    def clean(self):
        cleaned = super().clean()
        limit = cleaned.get("time_limit_workdays")
        statutory = cleaned.get("statutory_limit_workdays")
        if limit is not None and statutory is not None and statutory < limit:
            self.add_error("statutory_limit_workdays", "法定时限不能短于承诺时限。")
        return cleaned


def _decimal(label: str, max_digits: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=max_digits,
        decimal_places=2,
        error_messages={
            "min_value": f"{label}不能为负数。",
            "invalid": f"{label}请填写数字，例如 12500.50。",
            "max_digits": f"{label}数值过大，请核对单位。",
            "max_decimal_places": f"{label}最多保留两位小数。",
            "max_whole_digits": f"{label}数值过大，请核对单位。",
        },
    )


EARLIEST = date(2000, 1, 1)


def not_before_2000(value) -> None:
    """Dates of this century only: a typo like 0001-01-01 gets a message, not an error page."""
    day = value.date() if isinstance(value, datetime) else value
    if day < EARLIEST:
        raise forms.ValidationError("日期不能早于 2000 年，请核对。")


class ProjectFieldsMixin(forms.Form):
    """The facts of a project, shared by the dossier form and the new-dossier part of the consultation form."""

    name = forms.CharField(label="项目名称", max_length=100, validators=[no_markup])
    code = forms.CharField(
        label="项目代码",
        max_length=30,
        required=False,
        help_text="投资项目统一代码，24 位，如 2110-500105-04-01-12345X；首次咨询可暂缺，受理事项前必须填写。",
    )
    builder = forms.CharField(label="建设单位", max_length=100, validators=[no_markup])
    builder_credit_code = forms.CharField(label="统一社会信用代码", max_length=30, required=False)
    contact_name = forms.CharField(label="联系人", max_length=30, validators=[no_markup])
    contact_phone = forms.CharField(label="联系电话", max_length=30, validators=[phone_validator])
    site = forms.CharField(label="建设地点", max_length=200, required=False, validators=[no_markup])
    investment_type = forms.ChoiceField(label="投资类型", choices=Project.InvestmentType.choices)
    nature = forms.ChoiceField(label="建设性质", choices=Project.Nature.choices, initial=Project.Nature.NEW)
    category = forms.ChoiceField(label="项目类别", choices=Project.Category.choices, initial=Project.Category.BUILDING)
    land_area = _decimal("用地面积（㎡）", 12)
    floor_area = _decimal("建筑面积（㎡）", 12)
    total_investment = _decimal("总投资（万元）", 14)
    is_key = forms.BooleanField(label="重点项目", required=False)
    current_stage = forms.ModelChoiceField(label="所处阶段", queryset=Stage.objects.all(), required=False)
    note = forms.CharField(label="备注", max_length=300, required=False, validators=[no_markup])

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        project_code_validator(code)
        return code

    def clean_builder_credit_code(self) -> str:
        code = normalize_code(self.cleaned_data["builder_credit_code"])
        credit_code_validator(code)
        return code


class DossierForm(StyledFormMixin, ProjectFieldsMixin):
    """Opening a dossier directly (not from a consultation)."""


class ProjectForm(StyledFormMixin, ProjectFieldsMixin):
    specialist = forms.ModelChoiceField(label="帮办专员", queryset=User.objects.none())
    status = forms.ChoiceField(label="项目状态", choices=Project.Status.choices)
    reason = forms.CharField(
        label="变更原因",
        max_length=200,
        required=False,
        validators=[no_markup],
        help_text="改为暂缓或终止时必填；其他修改可简要说明。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialist"].queryset = (
            User.objects.filter(is_active=True, groups__name=Role.SPECIALIST).order_by("display_name").distinct()
        )
        self.fields["specialist"].label_from_instance = lambda user: user.name


NEW_PROJECT_FIELDS = (
    "name",
    "code",
    "builder",
    "builder_credit_code",
    "contact_name",
    "contact_phone",
    "investment_type",
)


class NewProjectForm(StyledFormMixin, ProjectFieldsMixin):
    """The few facts needed to open a dossier from a consultation; the rest is filled in later."""

    prefix = "new"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in NEW_PROJECT_FIELDS:
                del self.fields[name]


class GroupedMatterField(forms.ModelMultipleChoiceField):
    """Catalogue matters in option groups by stage."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Matter.objects.filter(is_active=True).select_related("stage", "stage__lead_unit", "unit"), **kwargs
        )

    def label_from_instance(self, matter: Matter) -> str:
        return f"{matter.name}（{matter.unit.name}）"

    @property
    def grouped(self):
        groups: dict[str, list[Matter]] = {}
        for matter in self.queryset:
            groups.setdefault(str(matter.stage), []).append(matter)
        return groups


class ConsultationForm(StyledForm):
    visited_at = forms.DateTimeField(
        label="来访时间",
        validators=[not_before_2000],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    kind = forms.ChoiceField(
        label="类型",
        choices=Consultation.Kind.choices,
        initial=Consultation.Kind.CONSULTATION,
        widget=forms.RadioSelect,
    )
    project = forms.ModelChoiceField(
        label="所属项目",
        queryset=Project.objects.none(),
        required=False,
        help_text="老项目从列表中选择；新来访者在下方“新建项目档案”中填写。也可不关联项目（一般性咨询）。",
    )
    open_new = forms.BooleanField(label="新建项目档案", required=False)
    visitor_name = forms.CharField(label="来访人", max_length=30, validators=[no_markup])
    visitor_phone = forms.CharField(label="来访人电话", max_length=30, required=False, validators=[phone_validator])
    visitor_company = forms.CharField(label="来访单位", max_length=100, required=False, validators=[no_markup])
    matters = GroupedMatterField(label="涉及事项", required=False)
    question = forms.CharField(
        label="咨询内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), validators=[no_markup]
    )
    answer = forms.CharField(
        label="答复情况",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[no_markup],
    )
    policies = forms.CharField(label="讲解的惠企政策", max_length=300, required=False, validators=[no_markup])
    outcome = forms.ChoiceField(label="办理结果", choices=Consultation.Outcome.choices)

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects if projects is not None else Project.objects.none()
        self.fields["matters"].widget.attrs["size"] = 8


class LetterForm(StyledForm):
    matters = GroupedMatterField(label="告知事项")
    recipient = forms.CharField(label="告知对象", max_length=60, validators=[no_markup])
    policies = forms.CharField(
        label="相关政策",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[no_markup],
        help_text="向申请人说明的惠企政策、减免或绿色通道等，将印在告知单上。",
    )
    note = forms.CharField(label="其他说明", max_length=300, required=False, validators=[no_markup])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matters"].error_messages["required"] = "请至少选择一个事项。"


class AddMattersForm(StyledForm):
    matters = GroupedMatterField(label="事项", required=False)
    stage = forms.ModelChoiceField(label="或整个阶段", queryset=Stage.objects.all(), required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("matters") and not cleaned.get("stage"):
            raise forms.ValidationError("请选择事项，或选择一个阶段以添加该阶段的全部事项。")
        return cleaned

    def chosen(self) -> list[Matter]:
        chosen = list(self.cleaned_data.get("matters") or [])
        stage = self.cleaned_data.get("stage")
        if stage is not None:
            seen = {m.pk for m in chosen}
            chosen += [
                m for m in stage.matters.filter(is_active=True).select_related("stage", "unit") if m.pk not in seen
            ]
        return chosen


class MatterMoveForm(StyledForm):
    to_status = forms.ChoiceField(label="变更为", choices=())
    on = forms.DateField(
        label="日期", validators=[not_before_2000], widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    mode = forms.ChoiceField(
        label="办理方式", choices=ProjectMatter.Mode.choices, required=False, help_text="仅受理时选择。"
    )
    reason = forms.CharField(
        label="原因或说明",
        max_length=300,
        required=False,
        validators=[no_markup],
        help_text="补正材料、不予办理、撤回须填写原因。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(status, ACTION_LABELS[status]) for status in moves]


class FeedbackForm(StyledForm):
    told_at = forms.DateTimeField(
        label="反馈时间",
        validators=[not_before_2000],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    method = forms.ChoiceField(label="反馈方式", choices=Feedback.Method.choices, widget=forms.RadioSelect)
    project_matter = forms.ModelChoiceField(label="相关事项", queryset=ProjectMatter.objects.none(), required=False)
    content = forms.CharField(
        label="反馈内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), validators=[no_markup]
    )

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["project_matter"].queryset = project.matters.select_related("matter")
            self.fields["project_matter"].label_from_instance = lambda pm: f"{pm.matter.name}（{pm.status}）"


class ProgressLookupForm(StyledForm):
    code = forms.CharField(label="项目代码", max_length=30)
    phone_last4 = forms.CharField(
        label="联系电话后四位",
        min_length=4,
        max_length=4,
        error_messages={"min_length": "请填写 4 位数字。", "max_length": "请填写 4 位数字。"},
    )

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])

    def clean_phone_last4(self) -> str:
        value = normalize_code(self.cleaned_data["phone_last4"])  # full-width digits from a Chinese IME
        if not (len(value) == 4 and value.isascii() and value.isdigit()):
            raise forms.ValidationError("请填写 4 位数字。")
        return value
