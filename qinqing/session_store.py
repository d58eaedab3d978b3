"""The database session engine, writing the signed-in account and its address on the session's own row
(``StaffSession``), so whatever rotates a session's key, the new row still names its account."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

# the client's address at sign-in (put there by qinqing.sessions)
IP_KEY = "qinqing_ip"


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls):
        from qinqing.models import StaffSession

        return StaffSession

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        try:
            row.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            row.user_id = None
        row.ip = data.get(IP_KEY)
        return row
