"""Forms of duplicate handling and of consultations answered later: merging two dossiers, answering a
待答复 consultation, turning a consultation into a dossier. (Kept apart from ``forms.py``, which several
people edit.)"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from projects.forms import not_before_2000
from projects.models import Consultation, Project
from qinqing.forms import StyledForm
from qinqing.validators import int_or_none, no_markup, normalize_code


class MergeForm(StyledForm):
    """Keep one of two dossiers; the other is frozen with a pointer to it."""

    KEEP_THIS = "this"
    KEEP_OTHER = "other"

    keep = forms.ChoiceField(label="保留哪个档案", widget=forms.RadioSelect, choices=())
    reason = forms.CharField(
        label="合并原因",
        max_length=200,
        validators=[no_markup],
        help_text="如：同一项目重复建档（建设单位两次来访，分别登记）。",
        error_messages={"required": "请填写合并原因。"},
    )
    this_version = forms.IntegerField(widget=forms.HiddenInput)
    other_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, this: Project, other: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (self.KEEP_THIS, f"保留本档案《{this.name}》，并入《{other.name}》"),
            (self.KEEP_OTHER, f"保留《{other.name}》，本档案并入它"),
        ]
        self.fields["keep"].error_messages["required"] = "请选择保留哪个档案。"


def find_project(text: str) -> Project | None:
    """The dossier a clerk names by its project code, look-up number or archive number (档案编号)."""
    text = normalize_code(text or "")
    if not text:
        return None
    project = Project.objects.filter(code=text).first() or Project.objects.filter(lookup_no=text).first()
    if project is None and int_or_none(text) is not None:
        project = Project.objects.filter(pk=int_or_none(text)).first()
    return project


class ConsultationAnswerForm(StyledForm):
    answer = forms.CharField(
        label="答复情况",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[no_markup],
        error_messages={"required": "请填写答复情况。"},
    )
    outcome = forms.ChoiceField(
        label="办理结果",
        choices=[("", "请选择")] + [c for c in Consultation.Outcome.choices if c[0] != Consultation.Outcome.PENDING],
        error_messages={"required": "请选择办理结果。"},
    )
    answered_at = forms.DateTimeField(
        label="答复时间",
        validators=[not_before_2000],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="电话或当面答复申请人的时间。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "answered_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)


class ConsultationProjectForm(StyledForm):
    """转为项目档案: attach the consultation to one of the specialist's dossiers, or open a new one."""

    project = forms.ModelChoiceField(
        label="归入已有项目",
        queryset=Project.objects.none(),
        required=False,
        help_text="该来访者的项目已有档案时选择；否则勾选下方“新建项目档案”。",
    )
    open_new = forms.BooleanField(label="新建项目档案", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects if projects is not None else Project.objects.none()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("open_new") and cleaned.get("project") is not None:
            raise forms.ValidationError("请选择已有项目或新建档案，二者只能选一。")
        if not cleaned.get("open_new") and cleaned.get("project") is None and not self.errors:
            raise forms.ValidationError("请选择已有项目，或勾选“新建项目档案”并填写项目信息。")
        return cleaned
