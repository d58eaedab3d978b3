from __future__ import annotations

from django import forms

from projects.forms import not_before_2000
from projects.models import Project, Stage
from qinqing.forms import StyledForm
from qinqing.models import Department, User
from qinqing.roles import Role
from qinqing.validators import no_markup, phone_validator
from windows.models import Decision, Problem


class WindowForm(StyledForm):
    window_name = forms.CharField(label="综合窗口名称", max_length=60, validators=[no_markup])
    window_phone = forms.CharField(label="窗口电话", max_length=30, required=False, validators=[phone_validator])
    lead_unit = forms.ModelChoiceField(
        label="牵头单位", queryset=Department.objects.filter(is_active=True), required=False
    )
    staff = forms.ModelMultipleChoiceField(
        label="窗口人员",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="只列出具有“阶段窗口人员”角色的在用账号。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            User.objects.filter(is_active=True, groups__name=Role.WINDOW).order_by("display_name").distinct()
        )
        self.fields["staff"].label_from_instance = lambda user: user.name


class HandoffForm(StyledForm):
    stage = forms.ModelChoiceField(label="移交阶段", queryset=Stage.objects.all())
    note = forms.CharField(
        label="移交说明",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[no_markup],
        help_text="项目情况、已告知的事项、需要窗口重点跟进的问题。",
    )


class ReportForm(StyledForm):
    content = forms.CharField(
        label="向帮办专员反馈", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), validators=[no_markup]
    )


class ReportHandleForm(StyledForm):
    pass_on = forms.TypedChoiceField(
        label="处理方式",
        choices=[("1", "转告申请人"), ("0", "已知悉，无需转告")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    method = forms.ChoiceField(
        label="转告方式", choices=[("电话", "电话"), ("短信", "短信"), ("当面", "当面"), ("线上", "线上")]
    )
    content = forms.CharField(
        label="转告内容",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[no_markup],
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pass_on") and not (cleaned.get("content") or "").strip():
            self.add_error("content", "转告申请人时请填写转告内容。")
        return cleaned


class MatterSelect(forms.Select):
    """The matter choice, each option carrying its unit and stage so that the page fills them in
    (windows/static/windows/windows.js); the server fills them in too (``ProblemForm.clean``)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-unit"] = str(instance.unit_id)
            option["attrs"]["data-stage"] = str(instance.matter.stage_id)
        return option


class ProblemForm(StyledForm):
    project_matter = forms.ModelChoiceField(
        label="相关事项",
        queryset=Stage.objects.none(),
        required=False,
        widget=MatterSelect(attrs={"data-qq-fills": "1"}),
        help_text="选择事项后，责任单位和所属阶段按该事项填写。",
    )
    stage = forms.ModelChoiceField(
        label="所属阶段", queryset=Stage.objects.all(), required=False, help_text="未选事项时必选。"
    )
    description = forms.CharField(
        label="问题描述", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), validators=[no_markup]
    )
    owner_unit = forms.ModelChoiceField(
        label="责任单位",
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text="未选时按所选事项的办理单位。",
    )
    due_on = forms.DateField(
        label="协调期限",
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, project: Project, matters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project_matter"].queryset = matters
        self.fields["project_matter"].label_from_instance = lambda pm: f"{pm.matter.name}（{pm.unit.name}）"

    def clean(self):
        cleaned = super().clean()
        matter = cleaned.get("project_matter")
        if not matter and not cleaned.get("stage"):
            self.add_error("stage", "请选择相关事项或所属阶段。")
        if matter is not None:
            # the matter decides the stage; its unit is the owner unless another is chosen
            cleaned["stage"] = matter.matter.stage
            if cleaned.get("owner_unit") is None:
                cleaned["owner_unit"] = matter.unit
        if cleaned.get("owner_unit") is None and "owner_unit" not in self.errors:
            self.add_error("owner_unit", "请选择责任单位，或选择相关事项（按事项的办理单位）。")
        return cleaned


class ProblemUpdateForm(StyledForm):
    status = forms.ChoiceField(label="状态", choices=Problem.Status.choices)
    resolution = forms.CharField(
        label="解决情况或无法解决的原因",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[no_markup],
        help_text="已解决、无法解决时必填；无法解决的原因将反馈给帮办专员并记入项目档案。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class FilteredCheckboxes(forms.CheckboxSelectMultiple):
    """A checkbox list with a filter box above it (windows/static/windows/windows.js); without the script it is
    a plain checkbox list, still usable."""

    def __init__(self, attrs=None, *, placeholder: str = "输入名称筛选"):
        super().__init__(attrs)
        self.attrs.setdefault("data-qq-filter", placeholder)

    def get_context(self, name, value, attrs):
        """The boxes keep Bootstrap's ``form-check-input``; the list around them must not take it (it would
        draw the whole list as one 1em checkbox)."""
        context = super().get_context(name, value, attrs)
        wrapper = dict(context["widget"]["attrs"])
        wrapper.pop("class", None)
        context["widget"]["attrs"] = wrapper
        return context


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(StyledForm):
    """Convening a joint meeting ahead: when, where, who chairs, which units, which projects, the agenda."""

    convened_by = forms.ModelChoiceField(label="召集单位", queryset=Department.objects.none())
    stage = forms.ModelChoiceField(label="阶段", queryset=Stage.objects.all(), required=False)
    held_on = forms.DateField(
        label="会议日期", validators=[not_before_2000], widget=_date_widget(), help_text="可以是今后的日期。"
    )
    starts_at = forms.TimeField(
        label="开始时间", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(label="会议地点", max_length=100, validators=[no_markup])
    chair = forms.CharField(label="主持人", max_length=60, validators=[no_markup])
    topic = forms.CharField(label="会议主题", max_length=200, validators=[no_markup])
    agenda = forms.CharField(
        label="议题",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[no_markup],
        help_text="逐条写明需研究的问题，参会单位会前可见。",
    )
    units = forms.ModelMultipleChoiceField(
        label="参会单位",
        queryset=Department.objects.filter(is_active=True),
        widget=FilteredCheckboxes(placeholder="输入单位名称筛选"),
    )
    projects = forms.ModelMultipleChoiceField(
        label="研究项目",
        queryset=Project.objects.none(),
        widget=FilteredCheckboxes(placeholder="输入项目名称或代码筛选"),
    )
    problems = forms.ModelMultipleChoiceField(
        label="研究的难点堵点", queryset=Problem.objects.none(), required=False, widget=FilteredCheckboxes()
    )

    def __init__(self, *args, conveners, projects, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["convened_by"].queryset = conveners
        self.fields["projects"].queryset = projects
        self.fields["projects"].label_from_instance = lambda p: f"{p.name}（{p.code}）" if p.code else p.name
        self.fields["problems"].queryset = problems
        self.fields["problems"].label_from_instance = lambda p: f"{p.project.name}：{p.description[:30]}"


class MinutesForm(StyledForm):
    chair = forms.CharField(label="主持人", max_length=60, validators=[no_markup])
    recorder = forms.CharField(label="记录人", max_length=60, validators=[no_markup])
    minutes = forms.CharField(
        label="会议纪要", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}), validators=[no_markup]
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AttendanceForm(StyledForm):
    """One invited unit's attendance."""

    unit = forms.ModelChoiceField(queryset=Department.objects.all(), widget=forms.HiddenInput)
    present = forms.TypedChoiceField(
        label="出席情况",
        choices=[("1", "出席"), ("0", "缺席")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    attendee = forms.CharField(
        label="参会人员", max_length=100, required=False, validators=[no_markup], help_text="出席时填写姓名、职务。"
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("present") and not (cleaned.get("attendee") or "").strip():
            self.add_error("attendee", "出席的单位请填写参会人员。")
        return cleaned


AttendanceFormSet = forms.formset_factory(AttendanceForm, extra=0)


class DecisionForm(StyledForm):
    """One line of a meeting's decisions; a blank line is ignored, a half-filled one refused."""

    content = forms.CharField(label="议定事项", max_length=500, required=False, validators=[no_markup])
    unit = forms.ModelChoiceField(label="责任单位", queryset=Department.objects.filter(is_active=True), required=False)
    due_on = forms.DateField(
        label="完成期限",
        required=False,
        validators=[not_before_2000],
        widget=_date_widget(),
        help_text="须晚于会议日期。",
    )
    project = forms.ModelChoiceField(label="相关项目", queryset=Project.objects.none(), required=False)

    def __init__(self, *args, projects=None, held_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.held_on = held_on
        if projects is not None:
            self.fields["project"].queryset = projects

    def clean(self):
        cleaned = super().clean()
        filled = [cleaned.get("content"), cleaned.get("unit"), cleaned.get("due_on")]
        if any(filled) and not all(filled):
            raise forms.ValidationError("每条议定事项须同时写明内容、责任单位和完成期限。")
        if self.held_on is not None and cleaned.get("due_on") is not None and cleaned["due_on"] <= self.held_on:
            self.add_error("due_on", f"完成期限须晚于会议日期（{self.held_on:%Y-%m-%d}）。")
        return cleaned

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(k) for k in ("content", "unit", "due_on"))


DecisionFormSet = forms.formset_factory(DecisionForm, extra=2, max_num=30)


class DecisionUpdateForm(StyledForm):
    status = forms.ChoiceField(label="落实情况", choices=[c for c in Decision.Status.choices if c[0] != "落实中"])
    outcome = forms.CharField(label="落实说明", max_length=500, validators=[no_markup])
    version = forms.IntegerField(widget=forms.HiddenInput)
