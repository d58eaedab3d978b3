from __future__ import annotations

from django import forms

from projects.models import Matter
from qinqing.forms import StyledForm
from qinqing.models import Department
from qinqing.validators import no_markup


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
