"""Linking sessions to accounts, so an account's sessions can be ended at once.

Every session row names its account (``qinqing.session_store``); these signal handlers only start the idle
clock and note the client's address at sign-in."""

from __future__ import annotations

import time

from django.contrib.auth import user_logged_in

from qinqing.models import StaffSession, User
from qinqing.session_store import IP_KEY

# when the session was last active (seconds since the epoch): the idle timeout's clock
LAST_ACTIVITY = "qinqing_last_activity"


def _on_login(sender, request, user, **kwargs):
    from qinqing.audit import client_ip

    # the clock starts at sign-in, so the first pages after it need not save the session again
    request.session[LAST_ACTIVITY] = time.time()
    request.session[IP_KEY] = client_ip(request)


def end_sessions(user: User) -> int:
    """Delete every session of ``user``, whatever its key has become; returns how many were ended."""
    count, _ = StaffSession.objects.filter(user=user).delete()
    return count


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="qinqing.sessions.login")
