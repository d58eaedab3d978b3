"""The second factor's pages: the code at sign-in, binding a phone, recovery codes, an administrator's
reset and an auditor's approval of a new auditor account (``qinqing.second_factor``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from qinqing import audit, second_factor
from qinqing.forms import OneTimeCodeForm
from qinqing.models import AuditEntry, User
from qinqing.qr import qr_svg
from qinqing.roles import held_roles

manage_accounts = permission_required("qinqing.manage_accounts", raise_exception=True)
view_audit = permission_required("qinqing.view_audit", raise_exception=True)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


VERIFY_LABEL = "验证码"
VERIFY_HELP = "手机不在身边时，可输入一个恢复码（形如 abcde-fghjk，每个只能用一次）。"
BIND_LABEL = "手机上显示的 6 位数字"
APPROVAL_LABEL = "确认码"


def _code_form(request, label: str, help_text: str = "") -> OneTimeCodeForm:
    data = request.POST if request.method == "POST" else None
    return OneTimeCodeForm(data, label=label, help_text=help_text)


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of signing in: the 6-digit code from the phone, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not second_factor.has_factor(user):
        return redirect("two_factor")
    form = _code_form(request, VERIFY_LABEL, VERIFY_HELP)
    if form.is_bound and form.is_valid():
        error = second_factor.verify(user=user, request=request, token=form.cleaned_data["code"])
        if not error:
            return redirect(_next_url(request))
        form.add_error("code", error)
        if second_factor.too_many_failures(request):
            audit.record(
                action=AuditEntry.Action.LOGOUT,
                actor=user,
                request=request,
                obj=user,
                result=AuditEntry.Result.FAILURE,
                detail=f"第二因素连续错误 {settings.TWO_FACTOR_SESSION_FAILURES} 次，会话结束",
            )
            logout(request)
            messages.error(
                request,
                f"验证码连续错误 {settings.TWO_FACTOR_SESSION_FAILURES} 次，已退出登录，请重新输入密码登录。",
            )
            return redirect("login")
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def manage(request):
    """Binding a phone (the first code it shows confirms it), and afterwards: its state, new recovery codes,
    unbinding where the role allows it, and a pending auditor's approval code."""
    user = request.user
    form = OneTimeCodeForm(label=BIND_LABEL)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        codes = None
        if action == "bind":
            form = _code_form(request, BIND_LABEL)
            if form.is_valid():
                try:
                    codes = second_factor.confirm_binding(user=user, request=request, token=form.cleaned_data["code"])
                except ValidationError as exc:
                    form.add_error("code", "；".join(exc.messages))
                else:
                    messages.success(request, "手机验证器已绑定。")
        elif action in ("renew", "remove"):
            try:
                if action == "renew":
                    codes = second_factor.renew_recovery_codes(user=user, request=request)
                    messages.success(request, "已生成新的恢复码，原有恢复码全部作废。")
                else:
                    second_factor.remove_own(user=user, request=request)
                    messages.success(request, "已解除第二因素。")
                    return redirect("two_factor")
            except ValidationError as exc:
                error = "；".join(exc.messages)
        else:
            error = "未知的操作，请从本页的按钮提交。"
        if codes:
            request.session[second_factor.FRESH_CODES_KEY] = codes
            return redirect("two_factor_codes")
    bound = second_factor.confirmed_totp(user)
    context = {
        "bound": bound,
        "required": second_factor.required_for(user),
        "error": error,
        "form": form,
        "codes_left": second_factor.recovery_codes_left(user) if bound else 0,
        "approval_code": second_factor.approval_code(user),
    }
    if bound is None:
        device = second_factor.pending_totp(user)
        context.update(
            qr=qr_svg(device.config_url, scale=4, title="扫码绑定手机验证器"), secret=second_factor.secret_text(device)
        )
    return render(request, "registration/two_factor.html", context, status=400 if error or form.errors else 200)


@require_http_methods(["GET"])
def recovery_codes(request):
    """The recovery codes just made, shown this once (they are stored only as digests)."""
    codes = request.session.pop(second_factor.FRESH_CODES_KEY, None)
    if not codes:
        messages.info(request, "恢复码只在生成时显示一次；如已遗失，可在本页重新生成。")
        return redirect("two_factor")
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": codes, "auditor_pending": request.user.auditor_pending},
    )


@require_POST
@manage_accounts
def staff_reset(request, pk: int):
    """The administrator's reset of a lost phone: devices and codes go, the person binds anew."""
    account = get_object_or_404(User, pk=pk)
    try:
        ended = second_factor.reset(actor=request.user, request=request, user_id=account.pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        note = "，审计员账号回到待启用" if "auditor" in held_roles(account) else ""
        messages.success(request, f"已重置{account.name}的第二因素，结束会话 {ended} 个{note}；下次登录须重新绑定。")
    return redirect("staff:detail", pk=account.pk)


@require_http_methods(["GET", "POST"])
@view_audit
def auditor_approval(request):
    """A serving auditor enables a new auditor account with the code its holder reads out in person."""
    form = _code_form(request, APPROVAL_LABEL)
    if form.is_bound and form.is_valid():
        try:
            approved = second_factor.approve_auditor(
                approver=request.user, request=request, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", "；".join(exc.messages))
        else:
            messages.success(request, f"已批准启用审计员账号：{approved}。")
            return redirect("audit:approval")
    return render(
        request,
        "qinqing/auditor_approval.html",
        {"pending": second_factor.pending_auditors(with_binding=True), "form": form},
        status=400 if form.errors else 200,
    )
