from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from projects import conditions
from projects.models import Consultation, Feedback, Material, Matter, MatterBundle, Project, ProjectMatter, Stage
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

spgl_code_validator = RegexValidator(r"^[0-9A-Za-z._-]*$", "编码只能由英文字母、数字和 . _ - 组成。", code="spgl_code")


class MatterForm(StyledForm):
    """A catalogue matter: what the letter and the deadlines read. Moving it to another stage and retiring
    it are changes of this form too, each kept in the matter's history."""

    stage = forms.ModelChoiceField(label="阶段", queryset=Stage.objects.all())
    name = forms.CharField(label="事项名称", max_length=100, validators=[no_markup])
    category = forms.ChoiceField(label="事项类别", choices=Matter.Category.choices)
    unit = forms.ModelChoiceField(label="责任单位", queryset=Department.objects.filter(is_active=True))
    handling = forms.ChoiceField(label="办件类型", choices=Matter.Handling.choices, initial=Matter.Handling.PROMISED)
    time_limit_workdays = forms.IntegerField(
        label="承诺时限（工作日）", min_value=0, max_value=365, help_text="0 表示按合同约定（中介服务），不计算到期日。"
    )
    statutory_limit_workdays = forms.IntegerField(
        label="法定时限（工作日）",
        min_value=1,
        max_value=365,
        required=False,
        help_text="法律法规规定的时限，与承诺时限分开填写。",
    )
    channel = forms.CharField(label="办理渠道", max_length=60, required=False, help_text="如：窗口办理或网上办理。")
    fees = forms.CharField(label="收费标准", max_length=200, required=False)
    office_address = forms.CharField(
        label="办理地点", max_length=200, required=False, help_text="空白时告知单印责任单位的地址。"
    )
    office_hours = forms.CharField(label="办公时间", max_length=100, required=False)
    enquiry_phone = forms.CharField(
        label="咨询电话",
        max_length=30,
        required=False,
        validators=[phone_validator],
        help_text="空白时用责任单位电话。",
    )
    complaint_phone = forms.CharField(label="投诉电话", max_length=30, required=False, validators=[phone_validator])
    result_name = forms.CharField(label="审批结果名称", max_length=100, required=False)
    standard_code = forms.CharField(
        label="国家标准事项编码",
        max_length=40,
        required=False,
        validators=[spgl_code_validator],
        help_text="与市审批系统交换时的 DYBZSPSXBM；不知道时留空。",
    )
    spgl_code = forms.CharField(
        label="审批事项编码（SPSXBM）",
        max_length=50,
        required=False,
        validators=[spgl_code_validator],
        help_text="市审批系统中本事项的编码；留空时，市系统报来的该事项办件进入交换待办，由人工认定。",
    )
    spgl_version = forms.CharField(
        label="事项版本号（SPSXBBH）", max_length=10, required=False, validators=[spgl_code_validator]
    )
    note = forms.CharField(label="说明", max_length=200, required=False, validators=[no_markup])
    allows_commitment = forms.BooleanField(label="可告知承诺制", required=False)
    allows_deficiency = forms.BooleanField(label="可容缺受理", required=False)
    allows_parallel = forms.BooleanField(label="可并联审批", required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)
    retired_reason = forms.CharField(
        label="停用原因", max_length=200, required=False, help_text="取消“在用”时必填，如：已并入开工“一件事”。"
    )

    def clean(self):
        cleaned = super().clean()
        limit = cleaned.get("time_limit_workdays")
        statutory = cleaned.get("statutory_limit_workdays")
        if limit is not None and statutory is not None and statutory < limit:
            self.add_error("statutory_limit_workdays", "法定时限不能短于承诺时限。")
        if "is_active" in cleaned and not cleaned["is_active"] and not cleaned.get("retired_reason", "").strip():
            self.add_error("retired_reason", "停用事项须写明停用原因。")
        return cleaned


class MatterEditForm(MatterForm):
    reason = forms.CharField(
        label="修改说明", max_length=200, required=False, help_text="调整阶段、时限等重要修改请简要说明依据。"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


TEMPLATE_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".jpg", ".png")
TEMPLATE_MAX_BYTES = 10 * 1024 * 1024


class MaterialForm(StyledForm):
    position = forms.IntegerField(
        label="序号", min_value=1, max_value=999, required=False, help_text="空白时排在最后。"
    )
    name = forms.CharField(label="材料名称", max_length=300, validators=[no_markup])
    form = forms.ChoiceField(label="原件/复印件", choices=[("", "未注明")] + Material.Form.choices, required=False)
    copies = forms.CharField(label="份数", max_length=60, required=False, help_text="如：1份、4份白图、2套。")
    medium = forms.ChoiceField(label="载体", choices=Material.Medium.choices, initial=Material.Medium.PAPER)
    source = forms.ChoiceField(
        label="来源",
        choices=Material.Source.choices,
        initial=Material.Source.APPLICANT,
        help_text="数据共享可获取的材料在告知单上注明免于提交。",
    )
    issuer = forms.CharField(label="出具单位", max_length=60, required=False, help_text="部门核发或数据共享时必填。")
    required = forms.BooleanField(label="必要材料", required=False, initial=True, help_text="不勾选表示按情形提交。")
    condition = forms.CharField(label="提交情形", max_length=200, required=False, help_text="如：外商投资项目。")
    can_defer = forms.BooleanField(label="可容缺（先受理后补交）", required=False)
    commitment_ok = forms.BooleanField(label="可由告知承诺书替代", required=False)
    template_file = forms.FileField(
        label="样表/模板", required=False, help_text="PDF、Word、Excel 或图片，不超过 10 MB。"
    )
    remove_template = forms.BooleanField(label="删除现有样表", required=False)
    note = forms.CharField(label="备注", max_length=300, required=False, validators=[no_markup])
    reference = forms.CharField(label="资料来源", max_length=500, required=False)
    verified = forms.BooleanField(
        label="已对照本区办事指南核实", required=False, help_text="核实后的材料才能直接印在一次性告知单上。"
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def clean_template_file(self):
        upload = self.cleaned_data.get("template_file")
        if upload:
            if not upload.name.lower().endswith(TEMPLATE_SUFFIXES):
                raise forms.ValidationError("样表只能是 PDF、Word、Excel、WPS 或图片文件。")
            if upload.size > TEMPLATE_MAX_BYTES:
                raise forms.ValidationError("样表不能超过 10 MB。")
        return upload

    def clean(self):
        cleaned = super().clean()
        if "required" in cleaned and not cleaned["required"] and not cleaned.get("condition", "").strip():
            self.add_error("condition", "按情形提交的材料须写明提交情形。")
        if (
            cleaned.get("source") in (Material.Source.DEPARTMENT, Material.Source.SHARED)
            and not cleaned.get("issuer", "").strip()
        ):
            self.add_error("issuer", "部门核发或数据共享的材料须写明出具单位。")
        return cleaned


class MaterialEditForm(MaterialForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class BundleForm(StyledForm):
    name = forms.CharField(label="名称", max_length=60, validators=[no_markup])
    description = forms.CharField(label="说明", max_length=300, required=False, validators=[no_markup])
    matters = forms.ModelMultipleChoiceField(
        label="包含事项",
        queryset=Matter.objects.filter(is_active=True).select_related("stage"),
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matters"].label_from_instance = lambda m: f"{m.stage.number}. {m.name}"


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
    # no preselected answer: a default a clerk does not notice would be recorded as a fact
    investment_type = forms.ChoiceField(
        label="投资类型",
        choices=[("", "请选择")] + Project.InvestmentType.choices,
        error_messages={"required": "请选择投资类型（政府投资或社会投资）。"},
    )
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
    # 已合并 is set only by merging two dossiers (projects/merging.py)
    status = forms.ChoiceField(
        label="项目状态", choices=[c for c in Project.Status.choices if c[0] != Project.Status.MERGED]
    )
    completed_on = forms.DateField(
        label="办结日期",
        required=False,
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="最后一个事项办结时自动填写；更正须填写原因。仅项目状态为已办结时有效。",
    )
    reason = forms.CharField(
        label="变更原因",
        max_length=200,
        required=False,
        validators=[no_markup],
        help_text="改为暂缓或终止、更正办结日期时必填；其他修改可简要说明。",
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
    matters = GroupedMatterField(label="告知事项", required=False)
    bundles = forms.ModelMultipleChoiceField(
        label="集成办理",
        queryset=MatterBundle.objects.filter(is_active=True).prefetch_related("matters"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="勾选后告知其包含的全部事项。",
    )
    guide_told = forms.ModelMultipleChoiceField(
        label="材料以办事指南为准，已当面告知",
        queryset=Matter.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
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
    consultation = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("matters") and not cleaned.get("bundles"):
            self.add_error("matters", "请至少选择一个事项。")
        return cleaned

    def chosen(self) -> list[Matter]:
        """The ticked matters and those of the ticked bundles, once each."""
        chosen = {m.pk: m for m in self.cleaned_data.get("matters") or []}
        for bundle in self.cleaned_data.get("bundles") or []:
            for matter in bundle.matters.all():
                if matter.is_active:
                    chosen.setdefault(matter.pk, matter)
        return list(chosen.values())


class AddMattersForm(StyledForm):
    matters = GroupedMatterField(label="事项", required=False)
    stage = forms.ModelChoiceField(label="或整个阶段", queryset=Stage.objects.all(), required=False)
    bundle = forms.ModelChoiceField(
        label="或集成办理",
        queryset=MatterBundle.objects.filter(is_active=True),
        required=False,
        help_text="如开工“一件事”：添加其包含的全部事项。",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("matters") and not cleaned.get("stage") and not cleaned.get("bundle"):
            raise forms.ValidationError("请选择事项，或选择一个阶段或集成办理以添加其全部事项。")
        return cleaned

    def chosen(self) -> list[Matter]:
        chosen = list(self.cleaned_data.get("matters") or [])
        seen = {m.pk for m in chosen}
        for group in (self.cleaned_data.get("stage"), self.cleaned_data.get("bundle")):
            if group is not None:
                for matter in group.matters.filter(is_active=True).select_related("stage", "unit"):
                    if matter.pk not in seen:
                        seen.add(matter.pk)
                        chosen.append(matter)
        return chosen


class MaterialChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, flag: str, flag_label: str, **kwargs):
        self.flag, self.flag_label = flag, flag_label
        super().__init__(queryset=Material.objects.none(), required=False, **kwargs)

    def label_from_instance(self, material: Material) -> str:
        return material.name + (f"（{self.flag_label}）" if getattr(material, self.flag) else "")


class MatterMoveForm(StyledForm):
    """One status move of a project matter; the parts a move needs are shown with it (forms.js)."""

    to_status = forms.ChoiceField(label="变更为", choices=())
    on = forms.DateField(
        label="日期", validators=[not_before_2000], widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    confirm_non_workday = forms.BooleanField(
        label="确认在非工作日受理",
        required=False,
        help_text="受理日期是周末或节假日时须勾选（如节假日加班受理）；期限仍从下一个工作日起算。",
    )
    mode = forms.ChoiceField(
        label="办理方式", choices=ProjectMatter.Mode.choices, required=False, help_text="仅受理时选择。"
    )
    missing_materials = MaterialChoiceField(label="容缺的材料", flag="can_defer", flag_label="目录标明可容缺")
    missing_other = forms.CharField(
        label="其他容缺材料",
        required=False,
        max_length=1000,
        validators=[no_markup],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="目录中没有的，每行写一项。",
    )
    supply_workdays = forms.IntegerField(
        label="补齐时限（工作日）",
        required=False,
        min_value=1,
        max_value=conditions.MAX_SUPPLY_WORKDAYS,
        initial=conditions.DEFAULT_SUPPLY_WORKDAYS,
        help_text="自受理次日起算，期满未补齐的在待办中提示逾期并报区工改办。",
    )
    commitment_content = forms.CharField(
        label="承诺内容",
        required=False,
        max_length=1000,
        validators=[no_markup],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="申请人书面承诺的事项，如：已具备的条件、将于何时补交何种材料。",
    )
    commitment_materials = MaterialChoiceField(
        label="以承诺替代的材料", flag="commitment_ok", flag_label="目录标明可承诺替代"
    )
    verify_by = forms.DateField(
        label="核查日期",
        required=False,
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="责任单位在此日期前核查承诺是否属实。",
    )
    result = forms.ChoiceField(
        label="办结结果",
        required=False,
        choices=ProjectMatter.Result.choices,
        widget=forms.RadioSelect,
        help_text="容缺受理且材料未补齐的，选“容缺通过”；不通过须填写原因。",
    )
    reason = forms.CharField(
        label="原因或说明",
        max_length=300,
        required=False,
        validators=[no_markup],
        help_text="补正材料、不予办理、撤回、办结（不通过）须填写原因。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    # which move or mode shows which fields (data-qq-show-when, read by forms.js)
    SHOWN_WITH = {
        "confirm_non_workday": "to_status=已受理",
        "mode": "to_status=已受理",
        "missing_materials": "to_status=已受理;mode=容缺受理",
        "missing_other": "to_status=已受理;mode=容缺受理",
        "supply_workdays": "to_status=已受理;mode=容缺受理",
        "commitment_content": "to_status=已受理;mode=承诺办理",
        "commitment_materials": "to_status=已受理;mode=承诺办理",
        "verify_by": "to_status=已受理;mode=承诺办理",
        "result": "to_status=已办结",
    }

    def __init__(self, *args, moves=(), project_matter: ProjectMatter | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(status, ACTION_LABELS[status]) for status in moves]
        accepting = ProjectMatter.Status.ACCEPTED in moves
        if project_matter is not None and accepting:
            materials = project_matter.matter.materials.filter(is_active=True).order_by("position", "id")
            self.fields["missing_materials"].queryset = materials
            self.fields["commitment_materials"].queryset = materials
        if not accepting:
            for name in (
                "confirm_non_workday",
                "mode",
                "missing_materials",
                "missing_other",
                "supply_workdays",
                "commitment_content",
                "commitment_materials",
                "verify_by",
            ):
                del self.fields[name]
        if ProjectMatter.Status.DONE not in moves:
            del self.fields["result"]
        for name, rule in self.SHOWN_WITH.items():
            if name in self.fields:
                self.fields[name].widget.attrs["data-qq-show-when"] = rule

    def terms(self) -> dict:
        """The acceptance's 容缺 and 告知承诺 terms for ``services.matter_move``, from the chosen mode."""
        data = self.cleaned_data
        mode = data.get("mode")
        missing = None
        commitment = None
        if mode == ProjectMatter.Mode.DEFICIENCY:
            missing = [(m, m.name) for m in data.get("missing_materials") or []]
            missing += [(None, line.strip()) for line in (data.get("missing_other") or "").splitlines() if line.strip()]
        if mode == ProjectMatter.Mode.COMMITMENT and (data.get("commitment_content") or data.get("verify_by")):
            if not data.get("verify_by"):
                raise ValidationError("请填写核查日期。", code="verify_by_required")
            commitment = conditions.CommitmentTerms(
                content=data.get("commitment_content") or "",
                verify_by=data["verify_by"],
                materials=list(data.get("commitment_materials") or []),
            )
        return {
            "missing": missing,
            "supply_workdays": data.get("supply_workdays") if mode == ProjectMatter.Mode.DEFICIENCY else None,
            "commitment": commitment,
            "confirm_non_workday": bool(data.get("confirm_non_workday")),
            "result": data.get("result") or "",
        }


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
    code = forms.CharField(
        label="项目代码或查询号",
        max_length=30,
        help_text="填写投资项目统一代码；尚未取得项目代码的，填写一次性告知单上以 JB 开头的查询号。",
        error_messages={"required": "请填写项目代码或查询号。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    phone_last4 = forms.CharField(
        label="联系电话后四位",
        min_length=4,
        max_length=4,
        help_text="登记时留给帮办专员的联系电话的最后四位数字。",
        error_messages={
            "required": "请填写联系电话后四位。",
            "min_length": "请填写 4 位数字。",
            "max_length": "请填写 4 位数字。",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])

    def clean_phone_last4(self) -> str:
        value = normalize_code(self.cleaned_data["phone_last4"])  # full-width digits from a Chinese IME
        if not (len(value) == 4 and value.isascii() and value.isdigit()):
            raise forms.ValidationError("请填写 4 位数字。")
        return value


def _date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        validators=[not_before_2000],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


class _ConditionForm(StyledForm):
    """A small form on the matter's page; its errors go back as one message."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def error_text(self) -> str:
        return "；".join(
            (f"{self.fields[name].label}：" if name in self.fields and name != "version" else "") + message
            for name, messages in self.errors.items()
            for message in messages
        )


class MissingSupplyForm(_ConditionForm):
    on = _date_field("补齐日期")
    note = forms.CharField(label="说明", max_length=300, required=False, validators=[no_markup])


class SpecialProcedureForm(_ConditionForm):
    on = _date_field("日期")
    reason = forms.CharField(
        label="程序与原因",
        max_length=300,
        required=False,
        validators=[no_markup],
        help_text="如：专家评审、听证、现场踏勘。",
    )


class CommitmentCheckForm(_ConditionForm):
    on = _date_field("核查日期")
    passed = forms.TypedChoiceField(
        label="核查结果",
        choices=[("1", "符合"), ("0", "不符合")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="核查情况", max_length=500, required=False, validators=[no_markup], help_text="不符合的须写明情况。"
    )
    rectify_by = _date_field("整改期限", required=False, help_text="不符合的，责令申请人在此日期前整改。")


class CommitmentCloseForm(_ConditionForm):
    on = _date_field("日期")
    revoke = forms.TypedChoiceField(
        label="处理结果",
        choices=[("0", "整改到位"), ("1", "撤销审批")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="处理情况", max_length=500, validators=[no_markup], help_text="整改情况，或撤销决定的文号和理由。"
    )


class ExchangeSettleForm(StyledForm):
    status = forms.ChoiceField(
        label="处理结果",
        choices=[("已处理", "已处理（已在本系统办理或补录）"), ("无需处理", "无需处理")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="处理说明",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明如何处理，例如：已在事项办理中登记补正；已在事项目录中补填事项编码；经核对以本系统为准。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
