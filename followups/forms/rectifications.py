"""Forms of rectifications (整改) and escalations (督查督办).

The services decide; these forms only turn the posted text into typed values with plain Chinese
messages. The three forms of a rectification's page carry prefixes (``report``, ``return``,
``close``) so that they can stand on one page."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from followups.models import SUPERVISION_OFFICE, Notice, Rating, Visit
from followups.selectors import overdue_matters_of
from projects.forms import not_before_2000
from projects.models import ProjectMatter
from qinqing.forms import StyledForm
from qinqing.models import Department
from qinqing.validators import no_markup


def _date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _text_field(label: str, max_length: int, *, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        validators=[no_markup],
        **kwargs,
    )


# --- a rectification's three steps ---------------------------------------------------------------


class RectificationReportForm(StyledForm):
    """Step ②: the unit (or the office on its behalf) reports what it did."""

    measures = _text_field(
        "整改措施与结果",
        2000,
        rows=4,
        help_text="写明采取的措施、整改结果和与申请人沟通的情况。",
        error_messages={"required": "请填写整改措施与结果。"},
    )
    rectified_on = _date_field("整改完成日期", error_messages={"required": "请填写整改完成日期。"})
    version = forms.IntegerField(widget=forms.HiddenInput)


class RectificationReturnForm(StyledForm):
    """The office finds the measures insufficient: back to the unit, with the reason."""

    reason = _text_field(
        "退回原因", 500, rows=2, error_messages={"required": "请写明退回原因。"}, help_text="退回后由责任单位重新填报。"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RectificationCloseForm(StyledForm):
    """Step ③: the office calls the applicant back, checks, and closes."""

    callback_on = _date_field("回访日期", error_messages={"required": "办结整改前须回访申请人，请填写回访日期。"})
    callback = _text_field(
        "回访申请人情况",
        1000,
        help_text="回访对象、方式和申请人对整改结果的意见。",
        error_messages={"required": "办结整改前须回访申请人，请填写回访情况。"},
    )
    callback_rating = forms.ChoiceField(
        label="申请人回访评价",
        choices=[("", "（未评价）"), *Rating.choices],
        required=False,
        help_text="申请人仍不满意、非常不满意的，不能办结，应退回责任单位继续整改。",
        error_messages={"invalid_choice": "回访评价应为五级评价之一。"},
    )
    closing_check = _text_field("办结核查意见", 1000, rows=2, error_messages={"required": "请填写办结核查意见。"})
    version = forms.IntegerField(widget=forms.HiddenInput)


# --- escalations ---------------------------------------------------------------------------------

EVIDENCE_DAYS = 90
EVIDENCE_VISITS = 100


def active_units():
    return Department.objects.filter(is_active=True).order_by("name")


class EscalationUnitForm(StyledForm):
    """The first step of a referral: which unit (the evidence to offer depends on it)."""

    unit = forms.ModelChoiceField(
        label="被督办单位",
        queryset=Department.objects.none(),
        empty_label="（请选择）",
        error_messages={"required": "请选择被督办单位。", "invalid_choice": "请选择被督办单位。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = active_units()


def evidence_visits(unit: Department):
    """The latest visits made that concern the unit: rated against it, or to a project with a matter
    of it (the newest ``EVIDENCE_VISITS``)."""
    of_unit = Exists(ProjectMatter.objects.filter(project=OuterRef("project"), unit=unit))
    latest = (
        Visit.objects.filter(Q(unit=unit) | of_unit)
        .exclude(status=Visit.Status.PLANNED)
        .order_by("-visited_at", "-id")
        .values_list("pk", flat=True)[:EVIDENCE_VISITS]
    )
    return Visit.objects.filter(pk__in=list(latest)).select_related("project").order_by("-visited_at", "-id")


def evidence_matters(unit: Department, today: date):
    """The unit's matters overdue in the last ``EVIDENCE_DAYS`` days (open past due, or finished late)."""
    return overdue_matters_of(unit, today - timedelta(days=EVIDENCE_DAYS), today)


def evidence_notices(unit: Department):
    return Notice.objects.filter(unit=unit, status=Notice.Status.ISSUED).order_by("-issued_at", "-id")


class EscalationForm(StyledForm):
    """A referral of one unit: the reason, the rectification's owner and deadline, and the evidence."""

    unit = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, widget=forms.HiddenInput)
    reason = _text_field(
        "督办事由",
        2000,
        rows=4,
        help_text="写明该单位服务不到位的事实，将作为整改要求下发。",
        error_messages={"required": "请写明督办事由。"},
    )
    referred_on = _date_field("移送日期", error_messages={"required": "请填写移送日期。"})
    referred_to = forms.CharField(
        label="移送机关", max_length=50, validators=[no_markup], error_messages={"required": "请填写移送机关。"}
    )
    owner = forms.CharField(
        label="整改责任人",
        max_length=30,
        validators=[no_markup],
        help_text="被督办单位负责整改的人员姓名。",
        error_messages={"required": "请填写整改责任人。"},
    )
    workdays = forms.IntegerField(
        label="整改期限（工作日）",
        min_value=1,
        max_value=60,
        error_messages={
            "required": "请填写整改期限。",
            "invalid": "整改期限应为 1 到 60 个工作日。",
            "min_value": "整改期限应为 1 到 60 个工作日。",
            "max_value": "整改期限应为 1 到 60 个工作日。",
        },
    )
    visits = forms.ModelMultipleChoiceField(
        label="证据：回访",
        queryset=Visit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选回访不在可选范围内，请重新选择。"},
    )
    matters = forms.ModelMultipleChoiceField(
        label="证据：逾期事项",
        queryset=ProjectMatter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选事项不在可选范围内，请重新选择。"},
    )
    notices = forms.ModelMultipleChoiceField(
        label="证据：通报",
        queryset=Notice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选通报不在可选范围内，请重新选择。"},
    )

    def __init__(self, *args, unit: Department | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["unit"].queryset = active_units()
        self.fields["workdays"].initial = settings.RECTIFICATION_WORKDAYS
        self.fields["referred_to"].initial = SUPERVISION_OFFICE
        self.fields["referred_on"].initial = timezone.localdate()
        if unit is not None:
            today = timezone.localdate()
            self.fields["visits"].queryset = evidence_visits(unit)
            self.fields["matters"].queryset = evidence_matters(unit, today)
            self.fields["notices"].queryset = evidence_notices(unit)
        self.fields["visits"].label_from_instance = _visit_label
        self.fields["matters"].label_from_instance = _matter_label
        self.fields["notices"].label_from_instance = lambda n: f"{n.number} {n.title}"

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("unit")
        if "unit" in self.errors or unit is None or (self.unit is not None and unit != self.unit):
            # the unit travels in a hidden field: say it at the top of the form
            self.errors.pop("unit", None)
            self.add_error(None, "请选择被督办单位。")
        return cleaned


def _visit_label(visit: Visit) -> str:
    when = timezone.localtime(visit.visited_at).strftime("%Y-%m-%d") if visit.visited_at else ""
    rating = f"整体{visit.overall}" if visit.overall else visit.status
    found = f"；{visit.problems_found[:20]}" if visit.problems_found else ""
    return f"{when} {visit.project.name}（{rating}{found}）"


def _matter_label(pm: ProjectMatter) -> str:
    due = f"到期 {pm.due_on:%Y-%m-%d}" if pm.due_on else ""
    finished = f"，{pm.finished_on:%Y-%m-%d} 办结" if pm.finished_on else "，未办结"
    return f"{pm.project.name}：{pm.matter.name}（{due}{finished}）"


class EscalationCloseForm(StyledForm):
    outcome = _text_field(
        "办结情况",
        1000,
        help_text="督查结论、整改落实和处理情况。",
        error_messages={"required": "请填写办结情况。"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EscalationSignForm(StyledForm):
    """The supervised unit signs for the 督办单 (签收)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class EscalationReplyForm(StyledForm):
    """The supervised unit's reply to the 督办单 (办理情况回复)."""

    reply = _text_field(
        "办理情况回复",
        2000,
        rows=4,
        help_text="写明对督办事项的整改措施、办理结果和责任落实情况。",
        error_messages={"required": "请填写办理情况回复。"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EscalationOpinionForm(StyledForm):
    """The 区政府督查室's opinion, recorded by the office on its behalf."""

    opinion = _text_field(
        "督查室意见",
        1000,
        rows=3,
        help_text=f"{SUPERVISION_OFFICE}对被督办单位回复的意见（由区工改办代为录入）。",
        error_messages={"required": f"请填写{SUPERVISION_OFFICE}意见。"},
    )
    opinion_on = _date_field("意见日期", error_messages={"required": "请填写意见日期。"})
    version = forms.IntegerField(widget=forms.HiddenInput)
