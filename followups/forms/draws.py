"""Forms of the random draw (回访抽样) and of recording a return visit (登记回访)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from followups.models import BAD_RATINGS, DIMENSIONS, Rating, Visit
from followups.services import MAX_SAMPLE
from projects.forms import not_before_2000
from projects.models import Stage
from qinqing.forms import StyledForm
from qinqing.models import Department
from qinqing.validators import no_markup, phone_validator

OWNER_REQUIRED = "评价为不满意、非常不满意或发现问题时，须选择问题涉及单位并填写整改责任人。"
RATING_INVALID = "“%(value)s”不是五级评价之一，请从非常满意、满意、基本满意、不满意、非常不满意中选择。"


def last_month(today: date | None = None) -> tuple[date, date]:
    """The first and last day of the month before ``today``'s: the usual period of a draw."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"请填写{label}。", "invalid": "请按 2026-03-01 的格式填写日期。"},
    )


class DrawForm(StyledForm):
    period_start = _date_field("服务期间起")
    period_end = _date_field("服务期间止")
    stage = forms.ModelChoiceField(
        label="限定阶段",
        queryset=Stage.objects.all(),
        required=False,
        empty_label="（不限）",
        help_text="只从在该阶段有事项的项目中抽取。",
    )
    unit = forms.ModelChoiceField(
        label="限定单位",
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="（不限）",
        help_text="只从有该单位办理事项的项目中抽取。",
    )
    share_percent = forms.IntegerField(
        label="抽样比例（%）",
        required=False,
        min_value=1,
        max_value=100,
        error_messages={
            "min_value": "抽样比例应在 1%% 到 100%% 之间。",
            "max_value": "抽样比例应在 1%% 到 100%% 之间。",
            "invalid": "抽样比例请填写 1 到 100 的整数。",
        },
        help_text="例如 20，表示抽取可抽项目的 20%（向上取整，至少 1 个）。",
    )
    requested = forms.IntegerField(
        label="抽样数量（个）",
        required=False,
        min_value=1,
        max_value=MAX_SAMPLE,
        error_messages={
            "min_value": f"抽样数量应在 1 到 {MAX_SAMPLE} 之间。",
            "max_value": f"抽样数量应在 1 到 {MAX_SAMPLE} 之间。",
            "invalid": "抽样数量请填写整数。",
        },
        help_text="比例与数量二者填一项。",
    )
    note = forms.CharField(label="说明", max_length=200, required=False, validators=[no_markup])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "服务期间的结束日期不能早于开始日期。")
        share_given = self.data.get(self.add_prefix("share_percent"), "").strip() != ""
        number_given = self.data.get(self.add_prefix("requested"), "").strip() != ""
        if share_given == number_given:
            raise forms.ValidationError("请填写抽样比例或抽样数量，二者选一（只填其中一项）。", code="size_kind")
        return cleaned


class RatingField(forms.ChoiceField):
    """One 好差评 dimension: the five levels as a row of radio buttons."""

    def __init__(self, label: str):
        super().__init__(
            label=label,
            choices=Rating.choices,
            required=False,
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": RATING_INVALID},
        )


class VisitRecordForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="回访结果",
        choices=[(Visit.Status.DONE, "已回访"), (Visit.Status.UNREACHABLE, "无法联系")],
        initial=Visit.Status.DONE,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "回访结果只能是“已回访”或“无法联系”。", "required": "请选择回访结果。"},
    )
    method = forms.ChoiceField(
        label="回访方式",
        choices=Visit.Method.choices,
        initial=Visit.Method.PHONE,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "请选择回访方式：电话、上门、短信或线上。", "required": "请选择回访方式。"},
    )
    visited_at = forms.DateTimeField(
        label="回访时间",
        validators=[not_before_2000],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "请填写回访时间。", "invalid": "请填写有效的回访时间。"},
    )
    respondent = forms.CharField(label="受访人", max_length=30, required=False, validators=[no_markup])
    respondent_phone = forms.CharField(
        label="受访人电话",
        max_length=30,
        required=False,
        validators=[phone_validator],
        help_text="选填；页面和导出中只显示脱敏号码。",
    )
    overall = RatingField("整体满意度")
    efficiency = RatingField("服务效率")
    competence = RatingField("服务水平")
    attitude = RatingField("服务态度")
    comments = forms.CharField(
        label="意见建议",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[no_markup],
    )
    problems_found = forms.CharField(
        label="发现的问题",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[no_markup],
        help_text="填写后将向问题涉及单位下发整改。",
    )
    unit = forms.ModelChoiceField(
        label="问题涉及单位",
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="（无）",
        error_messages={"invalid_choice": "所选单位不存在或已停用，请重新选择。"},
    )
    owner = forms.CharField(
        label="整改责任人",
        max_length=30,
        required=False,
        validators=[no_markup],
        help_text="责任单位中负责整改的人员姓名。",
    )
    workdays = forms.IntegerField(
        label="整改期限（工作日）",
        min_value=1,
        max_value=60,
        error_messages={
            "required": "请填写整改期限。",
            "min_value": "整改期限应为 1 到 60 个工作日。",
            "max_value": "整改期限应为 1 到 60 个工作日。",
            "invalid": "整改期限请填写 1 到 60 的整数。",
        },
    )

    RATING_FIELDS = tuple(field for field, _ in DIMENSIONS)

    def __init__(self, *args, project_units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workdays"].initial = settings.RECTIFICATION_WORKDAYS
        hint = "评价为不满意、非常不满意或发现问题时必填，整改由该单位负责。"
        if project_units:
            hint += "本项目事项的责任单位：" + "、".join(project_units) + "。"
        self.fields["unit"].help_text = hint

    @property
    def rating_fields(self):
        return [self[name] for name in self.RATING_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != Visit.Status.DONE:
            return cleaned
        for name in self.RATING_FIELDS:
            if name in cleaned and not cleaned[name]:
                self.add_error(name, f"请为“{self.fields[name].label}”选择五级评价之一。")
        if not (cleaned.get("respondent") or "").strip() and "respondent" not in self.errors:
            self.add_error("respondent", "已回访时请填写受访人。")
        bad = any(cleaned.get(name) in BAD_RATINGS for name in self.RATING_FIELDS)
        if bad or (cleaned.get("problems_found") or "").strip():
            if not cleaned.get("unit") and "unit" not in self.errors:
                self.add_error("unit", OWNER_REQUIRED)
            if not (cleaned.get("owner") or "").strip() and "owner" not in self.errors:
                self.add_error("owner", OWNER_REQUIRED)
        return cleaned
