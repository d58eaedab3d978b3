"""Linking sessions to accounts, so an account's sessions can be ended at once."""

from __future__ import annotations

import time

from django.contrib.auth import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session

from qinqing.models import User, UserSession

# when the session was last active (seconds since the epoch): the idle timeout's clock
LAST_ACTIVITY = "qinqing_last_activity"


def _on_login(sender, request, user, **kwargs):
    # the clock starts at sign-in, so the first pages after it need not save the session again
    request.session[LAST_ACTIVITY] = time.time()
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(
            session_key=key, defaults={"user": user, "ip": request.META.get("REMOTE_ADDR") or None}
        )


def _on_logout(sender, request, user, **kwargs):
    key = getattr(request.session, "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def end_sessions(user: User) -> int:
    """Delete every session of ``user``; returns how many were ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="qinqing.sessions.login")
    user_logged_out.connect(_on_logout, dispatch_uid="qinqing.sessions.logout")
