"""Login, logout, password change and the lock-out page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone

from qinqing import services
from qinqing.forms import StaffAuthenticationForm, StaffPasswordChangeForm


class LoginView(auth_views.LoginView):
    form_class = StaffAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StaffPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("ledger:workbench")

    def form_valid(self, form):
        services.password_change(
            user=self.request.user, request=self.request, new_password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, "密码已修改。")
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["max_age_days"] = settings.PASSWORD_MAX_AGE_DAYS
        return context


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in sees: the login page, with the reason and when to try again."""
    from qinqing.login_throttle import reason

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    why = reason(request, credentials) or f"连续 {settings.AXES_FAILURE_LIMIT} 次登录失败"
    message = f"{why}，已被锁定 {minutes} 分钟，请于 {until:%H:%M} 后再试，或联系系统管理员解锁。"
    form = StaffAuthenticationForm(request)
    return render(
        request,
        "registration/login.html",
        {"form": form, "lockout_message": message},
        status=429,
    )
