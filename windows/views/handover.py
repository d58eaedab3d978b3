"""人员交接: the reform office (or an administrator) moves a person's open projects to someone else."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from qinqing.forms import StyledForm, add_service_errors
from qinqing.models import User
from qinqing.validators import no_markup
from windows import handover


class _Stamps(forms.MultipleChoiceField):
    """The ticked projects, each as the stamp the page drew (project and versions); the service
    compares them with the database, so a project changed meanwhile is named, not silently moved."""

    def valid_value(self, value) -> bool:
        return bool(handover.STAMP.fullmatch(str(value)))


class ReassignForm(StyledForm):
    to_user = forms.ModelChoiceField(
        label="接手人",
        queryset=User.objects.none(),
        empty_label="（请选择）",
        help_text="帮办专员接手项目的帮办工作；首问负责须由同阶段综合窗口的人员接手。",
        error_messages={"required": "请选择接手人。", "invalid_choice": "接手人须是在用的帮办专员或窗口人员。"},
    )
    projects = _Stamps(
        label="项目",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请至少勾选一个项目。",
            "invalid_choice": "所选项目无法识别，请刷新页面后重新勾选。",
        },
    )
    reason = forms.CharField(
        label="交接原因",
        max_length=200,
        validators=[no_markup],
        widget=forms.TextInput(attrs={"placeholder": "例如：刘清调离，项目交由李晓帮负责"}),
        error_messages={"required": "请填写交接原因。"},
    )

    def __init__(self, *args, from_user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        successors = handover.successors()
        if from_user is not None:
            successors = successors.exclude(pk=from_user.pk)
        self.fields["to_user"].queryset = successors
        self.fields["to_user"].label_from_instance = _successor_label


def _successor_label(user: User) -> str:
    roles = {group.name for group in user.groups.all()}
    parts = []
    if "specialist" in roles:
        parts.append("帮办专员")
    if "window" in roles:
        stages = "、".join(stage.name for stage in user.window_stages.all()) or "未分配窗口"
        parts.append(f"窗口人员：{stages}")
    return f"{user.name}（{'；'.join(parts)}）"


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.reassign_work", raise_exception=True)
def reassign(request, from_pk: int | None = None):
    """Without a person: who holds open projects (无人负责 first) and a picker; with one: their open
    projects to tick, the successor and the reason."""
    picked = request.GET.get("from", "")
    if from_pk is None and picked.isdigit():
        return redirect("windows:handover_from", from_pk=int(picked))
    holders = handover.holders()
    from_user = get_object_or_404(User, pk=from_pk) if from_pk is not None else None
    form = None
    if from_user is not None:
        if request.method == "POST":
            form = ReassignForm(request.POST, from_user=from_user)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    moved = handover.reassign(
                        actor=request.user,
                        request=request,
                        from_user_id=from_user.pk,
                        to_user_id=data["to_user"].pk,
                        stamps=data["projects"],
                        reason=data["reason"],
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(
                        request,
                        f"已将{from_user.name}的 {moved} 个项目交由{data['to_user'].name}负责，已记入各项目档案和审计日志。",
                    )
                    return redirect("windows:handover_from", from_pk=from_user.pk)
        else:
            initial = {}
            if request.GET.get("all") == "1":
                initial["projects"] = [row.stamp for row in handover.rows_for(from_user)]
            form = ReassignForm(initial=initial, from_user=from_user)
    elif request.method == "POST":
        messages.error(request, "请先选择原负责人。")
        return redirect("windows:handover")
    rows = handover.rows_for(from_user) if from_user is not None else []
    ticked = set(form["projects"].value() or []) if form is not None else set()
    return render(
        request,
        "windows/handover.html",
        {
            "holders": holders,
            "unassigned": [h for h in holders if h.unassigned],
            "from_user": from_user,
            "rows": rows,
            "ticked": ticked,
            "form": form,
        },
    )
