"""Forms of the reform office's notices (通报) and periodic inspections (定期检查).

The pickers of a notice's visits, matters and inspection accept any record the office may cite; the
service refuses one that concerns another unit, with its own message. What the pickers *list* is
narrowed by the view to the unit's records (``offer``), so a long history never floods the page."""

from __future__ import annotations

from django import forms
from django.conf import settings

from followups.models import COPY_TO, Inspection, InspectionResult, Notice, Visit
from projects.forms import not_before_2000
from projects.models import ProjectMatter
from qinqing.forms import StyledForm, guard_text_field
from qinqing.models import Department
from qinqing.validators import no_markup

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def inspected_units():
    """The units the office checks and notifies: every active unit but the coordinating office itself."""
    return Department.objects.filter(is_active=True).exclude(kind=Department.Kind.OFFICE).order_by("name")


def visit_label(visit: Visit) -> str:
    when = f"{visit.visited_at:%Y-%m-%d}" if visit.visited_at else "未回访"
    found = "，发现问题" if visit.problems_found else ""
    return f"{when} {visit.project.name}：整体{visit.overall or '—'}{found}"


def matter_label(pm: ProjectMatter) -> str:
    due = f"应于 {pm.due_on:%Y-%m-%d} 办结" if pm.due_on else "无期限"
    return f"{pm.project.name} · {pm.matter.name}（{due}，{pm.status}）"


def inspection_label(inspection: Inspection) -> str:
    return f"{inspection.inspected_on:%Y-%m-%d} {inspection.subject[:40]}（{inspection.result}）"


class NoticeFilterForm(forms.Form):
    """The office's filters on the notice list; a bad value is ignored, never an error page."""

    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *Notice.Status.choices], required=False)
    unit = forms.ModelChoiceField(label="被通报单位", queryset=Department.objects.none(), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = "全部单位"
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["unit"].widget.attrs["class"] = "form-select form-select-sm"


class NoticeEditForm(StyledForm):
    """What a draft may change: the text, the period and the evidence; the unit and source stay."""

    title = forms.CharField(
        label="标题", max_length=100, validators=[no_markup], help_text="例如：关于某单位审批事项逾期办理情况的通报"
    )
    period_start = forms.DateField(label="所涉期间起", validators=[not_before_2000], **DATE_WIDGET)
    period_end = forms.DateField(label="所涉期间止", validators=[not_before_2000], **DATE_WIDGET)
    facts = forms.CharField(
        label="通报事实",
        max_length=5000,
        validators=[no_markup],
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="每段一行；印发件每段首行缩进。",
    )
    requirement = forms.CharField(
        label="整改要求",
        max_length=2000,
        required=False,
        validators=[no_markup],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    copy_to = forms.CharField(
        label="抄送",
        max_length=200,
        required=False,
        initial=COPY_TO,
        validators=[no_markup],
        help_text="印在版记中；多个机关用顿号分隔。主送为各成员单位（名单作为附件印发）。",
    )
    visits = forms.ModelMultipleChoiceField(
        label="相关回访", queryset=Visit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    matters = forms.ModelMultipleChoiceField(
        label="相关事项", queryset=ProjectMatter.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, source: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["title"].error_messages["required"] = "请填写通报标题。"
        self.fields["facts"].error_messages["required"] = "请写明通报事实。"
        # accept what the office may cite; the service checks that it concerns the notified unit
        self.fields["visits"].queryset = Visit.objects.filter(status=Visit.Status.DONE).select_related("project")
        self.fields["visits"].label_from_instance = visit_label
        self.fields["matters"].queryset = ProjectMatter.objects.select_related("project", "matter")
        self.fields["matters"].label_from_instance = matter_label

    def offer(self, *, visits, matters) -> None:
        """List in the pickers only ``visits`` and ``matters`` (the unit's), plus whatever is selected."""
        chosen_visits, chosen_matters = self._chosen("visits"), self._chosen("matters")
        base = Visit.objects.filter(status=Visit.Status.DONE).select_related("project")
        self.fields["visits"].queryset = base.filter(
            pk__in=[*visits.values_list("pk", flat=True), *chosen_visits]
        ).order_by("-visited_at", "-id")
        self.fields["matters"].queryset = (
            ProjectMatter.objects.select_related("project", "matter")
            .filter(pk__in=[*matters.values_list("pk", flat=True), *chosen_matters])
            .order_by("-due_on", "-id")
        )

    def _chosen(self, name: str) -> list[int]:
        if self.is_bound:
            values = self.data.getlist(self.add_prefix(name)) if hasattr(self.data, "getlist") else []
        else:
            values = self.initial.get(name) or []
        ids = []
        for value in values:
            value = str(getattr(value, "pk", value))
            if value.isascii() and value.isdigit() and len(value) < 10:
                ids.append(int(value))
        return ids

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "所涉期间的结束日期不能早于开始日期。")
        source = cleaned.get("source", self.source)
        if source == Notice.Source.VISIT and "visits" in cleaned and not cleaned["visits"]:
            self.add_error("visits", "来源为回访时，请勾选至少一次相关回访。")
        if source == Notice.Source.OVERDUE and "matters" in cleaned and not cleaned["matters"]:
            self.add_error("matters", "来源为逾期事项时，请勾选至少一个相关事项。")
        if source == Notice.Source.INSPECTION and "inspection" in self.fields and not cleaned.get("inspection"):
            self.add_error("inspection", "来源为定期检查时，请选择相关检查。")
        return cleaned


class NoticeForm(NoticeEditForm):
    """A new draft: the unit (required), the source, and the inspection it comes from, if any."""

    unit = forms.ModelChoiceField(
        label="被通报单位", queryset=Department.objects.none(), error_messages={"required": "请选择被通报单位。"}
    )
    source = forms.ChoiceField(label="来源", choices=Notice.Source.choices, widget=forms.RadioSelect)
    inspection = forms.ModelChoiceField(
        label="相关检查", queryset=Inspection.objects.none(), required=False, empty_label="（无）"
    )
    version = None
    field_order = [
        "unit", "source", "title", "period_start", "period_end", "facts", "requirement", "copy_to", "inspection"
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = inspected_units()
        self.fields["source"].error_messages["required"] = "请选择通报来源。"
        self.fields["inspection"].queryset = Inspection.objects.all()
        self.fields["inspection"].label_from_instance = inspection_label

    def offer(self, *, visits, matters, inspections=None) -> None:
        super().offer(visits=visits, matters=matters)
        if inspections is not None:
            chosen = self._chosen("inspection") if self.is_bound else []
            if not self.is_bound and self.initial.get("inspection"):
                chosen = [getattr(self.initial["inspection"], "pk", self.initial["inspection"])]
            self.fields["inspection"].queryset = Inspection.objects.filter(
                pk__in=[*inspections.values_list("pk", flat=True), *chosen]
            ).order_by("-inspected_on", "-id")


class NoticeIssueForm(StyledForm):
    """Issuing a draft; optionally opening the unit's rectification at the same time."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = forms.CharField(
        label="整改责任人",
        max_length=30,
        required=False,
        validators=[no_markup],
        help_text="填写后，印发的同时向被通报单位下发整改，跟踪至回访核实、办结；不填则只印发通报。",
    )
    workdays = forms.IntegerField(
        label="整改期限（工作日）",
        min_value=1,
        max_value=60,
        required=False,
        initial=settings.RECTIFICATION_WORKDAYS,
        error_messages={
            "min_value": "整改期限应为 1 到 60 个工作日。",
            "max_value": "整改期限应为 1 到 60 个工作日。",
            "invalid": "整改期限请填写整数（工作日）。",
        },
    )


OUTCOME_CHOICES = [("", "未检查"), *InspectionResult.Outcome.choices]


class InspectionForm(StyledForm):
    """An inspection and, for each unit, its own result: 未检查 (not inspected), 无问题, or 发现问题 with
    the problem. One row per unit (``unit_rows``), so a unit with no problem is recorded as such."""

    inspected_on = forms.DateField(label="检查日期", validators=[not_before_2000], **DATE_WIDGET)
    subject = forms.CharField(
        label="检查事项",
        max_length=200,
        validators=[no_markup],
        widget=forms.TextInput(attrs={"placeholder": "例如：2026年第二季度审批服务窗口运行情况"}),
    )
    findings = forms.CharField(
        label="检查发现",
        max_length=3000,
        validators=[no_markup],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="检查的总体情况；各单位的问题在右侧逐个填写，通报只引用被通报单位自己的问题。",
    )
    result = forms.ChoiceField(label="检查结果", choices=Inspection.Result.choices, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = list(inspected_units())
        for unit in self.units:
            self.fields[f"outcome_{unit.pk}"] = forms.ChoiceField(
                label=f"{unit.name}：检查结果",
                choices=OUTCOME_CHOICES,
                required=False,
                error_messages={"invalid_choice": "请选择无问题或发现问题。"},
            )
            self.fields[f"problem_{unit.pk}"] = forms.CharField(
                label=f"{unit.name}：发现的问题",
                max_length=1000,
                required=False,
                validators=[no_markup],
                widget=forms.TextInput(attrs={"placeholder": "发现问题时填写"}),
            )
            # added after the mixin styled and guarded the declared fields: guard these the same way
            guard_text_field(self.fields[f"problem_{unit.pk}"])
            self.fields[f"outcome_{unit.pk}"].widget.attrs["class"] = "form-select form-select-sm"
            self.fields[f"problem_{unit.pk}"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["inspected_on"].error_messages["required"] = "请填写检查日期。"
        self.fields["subject"].error_messages["required"] = "请填写检查事项。"
        self.fields["findings"].error_messages["required"] = "请写明检查发现。"
        self.fields["result"].error_messages["required"] = "请选择检查结果。"

    def unit_rows(self) -> list[tuple]:
        """(unit, its result field, its problem field) for the page's table."""
        return [(unit, self[f"outcome_{unit.pk}"], self[f"problem_{unit.pk}"]) for unit in self.units]

    def clean(self):
        cleaned = super().clean()
        inspected = 0
        for unit in self.units:
            outcome = cleaned.get(f"outcome_{unit.pk}")
            problem = (cleaned.get(f"problem_{unit.pk}") or "").strip()
            if outcome:
                inspected += 1
            if outcome == InspectionResult.Outcome.FOUND and not problem:
                self.add_error(f"problem_{unit.pk}", f"{unit.name}发现问题，请写明问题。")
            elif outcome != InspectionResult.Outcome.FOUND and problem:
                self.add_error(f"outcome_{unit.pk}", f"{unit.name}填写了问题，请选择“发现问题”。")
        if not inspected and not any(name.startswith(("outcome_", "problem_")) for name in self.errors):
            self.add_error(None, "请选择至少一个被检查单位，并逐个填写检查结果。")
        return cleaned

    def results(self) -> list[tuple[Department, str, str]]:
        data = self.cleaned_data
        return [
            (unit, data[f"outcome_{unit.pk}"], (data.get(f"problem_{unit.pk}") or "").strip())
            for unit in self.units
            if data.get(f"outcome_{unit.pk}")
        ]
