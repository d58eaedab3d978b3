"""SMS pages: the administrator's templates, and the record of queued, sent and failed messages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing import sms
from qinqing.forms import StyledForm, add_service_errors
from qinqing.models import SmsMessage, SmsTemplate

manage_templates = permission_required("qinqing.manage_sms_templates", raise_exception=True)
view_sms = permission_required("qinqing.view_sms", raise_exception=True)

PAGE_SIZE = 50
# what a template's preview fills in
SAMPLE_VALUES = {
    "项目名称": "江北嘴金融城3号地块商业综合体",
    "事项": "建设工程规划许可",
    "办理单位": "区规划自然资源局",
    "专员": "李明华",
    "专员电话": "023-67851100",
    "查询号": "2601-500105-04-01-38271X",
    "受理日期": "2026年12月3日",
    "到期日": "2026年12月17日",
    "材料": "总平面图（加盖设计单位出图章）1份",
    "办结日期": "2026年12月15日",
}


class SmsTemplateForm(StyledForm):
    name = forms.CharField(label="名称", max_length=30)
    text = forms.CharField(
        label="短信内容",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="发送时占位符换成实际内容；须带签名【江北区亲清帮办】。70 字以内为一条短信，更长按 67 字一条分条计费。",
    )
    is_active = forms.BooleanField(label="启用（停用后不再发送此类短信）", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, template: SmsTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.fields["text"].help_text = (
            f"可用占位符：{sms.placeholder_help(template.key)}。" + self.fields["text"].help_text
        )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        errors = sms.template_errors(self.template.key, text)
        if errors:
            raise forms.ValidationError(errors)
        return text


def _preview(template: SmsTemplate) -> str:
    return sms.render(template.text, SAMPLE_VALUES)


@require_GET
@manage_templates
def template_list(request):
    templates = sms.ensure_templates()
    rows = [
        {
            "template": t,
            "preview": _preview(t),
            "segments": sms.segments(_preview(t)),
            "placeholders": sms.placeholder_help(t.key),
        }
        for t in templates
    ]
    return render(request, "qinqing/sms_templates.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@manage_templates
def template_edit(request, pk: int):
    template = get_object_or_404(SmsTemplate, pk=pk)
    initial = {
        "name": template.name,
        "text": template.text,
        "is_active": template.is_active,
        "version": template.version,
    }
    form = SmsTemplateForm(request.POST if request.method == "POST" else None, initial=initial, template=template)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sms.template_update(
                actor=request.user,
                request=request,
                template_id=template.pk,
                version=data["version"],
                name=data["name"],
                text=data["text"],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"短信模板“{data['name']}”已保存，此后的短信按新内容发送。")
            return redirect("sms:templates")
    history = template.history.select_related("history_user").order_by("-history_date", "-history_id")[:20]
    return render(
        request,
        "qinqing/sms_template_form.html",
        {"form": form, "template": template, "preview": _preview(template), "history": history},
    )


@require_GET
@view_sms
def message_list(request):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    messages_ = SmsMessage.objects.all()
    if status in SmsMessage.Status.values:
        messages_ = messages_.filter(status=status)
    if kind in SmsTemplate.Key.values:
        messages_ = messages_.filter(kind=kind)
    counts = dict(SmsMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    page = Paginator(messages_.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "qinqing/sms_messages.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": [(value, counts.get(value, 0)) for value in SmsMessage.Status.values],
            "kinds": SmsTemplate.Key.choices,
        },
    )


@require_POST
@view_sms
def message_resend(request, pk: int):
    message = get_object_or_404(SmsMessage, pk=pk)
    try:
        sms.resend(actor=request.user, request=request, message_id=message.pk)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, "已重新排队，后台任务将尽快发送。")
    return redirect("sms:list")
