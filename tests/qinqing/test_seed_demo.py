from __future__ import annotations

import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from qinqing.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, catalogue_units
from qinqing.models import Department, User
from qinqing.second_factor import required_for
from tests.auth import totp_code


def test_seed_demo_is_idempotent_and_every_demo_account_logs_in(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = (Department.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Department.objects.count(), User.objects.count()) == first
    assert set(catalogue_units()) <= set(Department.objects.values_list("name", flat=True))
    assert "demo_admin" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    for username, _, _, roles, _ in DEMO_ACCOUNTS:
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        user = User.objects.get(username=username)
        if required_for(user):  # the office, the administrator and the auditor type the demo phone's code
            assert client.get(reverse("ledger:workbench"))["Location"].startswith(reverse("two_factor_verify"))
            assert client.post(reverse("two_factor_verify"), {"code": totp_code(user)}).status_code == 302
        assert client.get(reverse("ledger:workbench")).status_code == 200
        assert user.roles == {str(role) for role in roles}
