"""Session policy: idle timeout, forced password change, and no caching of signed-in pages."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from qinqing import audit, second_factor
from qinqing.models import AuditEntry
from qinqing.sessions import LAST_ACTIVITY

ACTIVITY_STAMP_SECONDS = 30
# characters no query parameter may hold: the C0 controls but tab, line feed and carriage return (NUL
# is refused by PostgreSQL in any string, the others are never typed), DEL, and the direction overrides
_CONTROLS = frozenset(chr(c) for c in (*range(9), 11, 12, *range(14, 32), 127, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E))


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class SessionPolicyMiddleware:
    """Runs after authentication and messages, before the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            early = (
                self._idle_timeout(request)
                or self._second_factor(request)
                or self._password_policy(request)
                or self._binding(request)
            )
            if early is not None:
                return early
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages for signed-in staff hold case data: never keep them in a shared or back cache.
            patch_cache_control(response, no_store=True, private=True)
        return response

    def _idle_timeout(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        if last is not None and now - float(last) > limit:
            user = request.user
            audit.record(
                action=AuditEntry.Action.SESSION_TIMEOUT,
                actor=user,
                request=request,
                obj=user,
                detail=f"{settings.SESSION_IDLE_TIMEOUT_MINUTES} 分钟未操作，会话结束",
            )
            request._qinqing_logout_reason = "timeout"
            logout(request)
            messages.warning(
                request,
                f"您已超过 {settings.SESSION_IDLE_TIMEOUT_MINUTES} 分钟未操作，为保护数据安全已自动退出，请重新登录。",
            )
            login_url = reverse("login")
            if request.method == "GET":
                login_url += "?" + urlencode({"next": request.get_full_path()})
            return _redirect(request, login_url)
        # the stamp is renewed at most every ACTIVITY_STAMP_SECONDS: saving the session on every page
        # would be one database write per request (and a row lock that a person's parallel requests wait on)
        if last is None or now - float(last) >= ACTIVITY_STAMP_SECONDS:
            request.session[LAST_ACTIVITY] = now
        return None

    def _second_factor(self, request: HttpRequest) -> HttpResponse | None:
        """A session signed in with the password alone, of an account with a bound factor, reaches only the
        page that asks for the code (and 退出)."""
        if request.user.is_verified() or not second_factor.has_factor(request.user):
            return None
        if request.path in {reverse("two_factor_verify"), reverse("logout")}:
            request.qinqing_held = True
            return None
        url = reverse("two_factor_verify")
        if request.method == "GET" and not getattr(request, "htmx", False):
            url += "?" + urlencode({"next": request.get_full_path()})
        return _redirect(request, url)

    def _binding(self, request: HttpRequest) -> HttpResponse | None:
        """A person whose role requires a second factor and has none, and an auditor account a serving
        auditor has not yet approved, reach only their own 第二因素 page (and 退出)."""
        user = request.user
        if user.is_verified() and not user.auditor_pending:
            return None
        if not (second_factor.required_for(user) or user.auditor_pending):
            return None
        # (the forced password change comes first: its page stays open)
        allowed = {"two_factor", "two_factor_codes", "two_factor_verify", "password_change", "logout"}
        allowed = {reverse(name) for name in allowed}
        if request.path in allowed:
            request.qinqing_held = True
            return None
        if not user.is_verified():
            messages.info(request, "您的角色须使用第二因素：请先用手机验证器绑定，然后才能继续使用。")
        else:
            messages.info(request, "您的审计员账号尚未启用：请把本页的确认码当面告知一名现任审计员，由其批准。")
        return _redirect(request, reverse("two_factor"))

    def _password_policy(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not (user.must_change_password or user.password_expired):
            return None
        allowed = {reverse("password_change"), reverse("logout")}
        if request.path in allowed or request.path.startswith(settings.STATIC_URL):
            request.qinqing_held = True
            return None
        if user.must_change_password:
            messages.info(request, "首次登录或密码被重置后，须先修改密码才能继续使用。")
        else:
            messages.warning(
                request, f"您的密码已超过 {settings.PASSWORD_MAX_AGE_DAYS} 天有效期，请修改密码后继续使用。"
            )
        return _redirect(request, reverse("password_change"))


class QueryGuardMiddleware:
    """The one guard every query parameter of every page passes: a name or value holding a control
    character is answered with the Chinese 400 page before any view, filter or query sees it (a NUL in
    a search box would otherwise reach PostgreSQL, which refuses it with a server error). Form fields
    sent by POST are checked by the forms themselves, with a message beside the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            for text in (name, *values):
                if not _CONTROLS.isdisjoint(text):
                    return bad_request_page(request, f"查询条件“{name[:20]}”中含有不可见的控制字符，请删除后重新查询。")
        return self.get_response(request)


def bad_request_page(request: HttpRequest, reason: str) -> HttpResponse:
    from django.template import loader

    return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": reason}, request))
