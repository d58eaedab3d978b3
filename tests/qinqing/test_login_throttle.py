"""Failed sign-ins slowed per account and address, per account, and per address (qinqing.login_throttle):
one attacker cannot lock a named account for everyone with five requests, a password sprayed over many
accounts from one address is stopped and audited, and behind the hall's proxy the workstation's address
is the one counted."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from qinqing.models import AuditEntry
from tests.factories import TEST_PASSWORD, UserFactory

WRONG = "Wrong-pass1"


def _login(address: str, username: str, password: str, **headers):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}, headers=headers
    )


def test_five_failures_from_one_address_do_not_lock_the_account_elsewhere(db):
    victim = UserFactory()
    for _ in range(5):
        _login("10.0.0.66", victim.username, WRONG)
    refused = _login("10.0.0.66", victim.username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert "该账号在本机连续 5 次登录失败" in refused.content.decode()
    # the victim at her own workstation signs in
    assert _login("10.0.0.12", victim.username, TEST_PASSWORD).status_code == 302


def test_twenty_failures_from_many_addresses_lock_the_account_everywhere(db):
    victim = UserFactory()
    for n in range(4):
        for _ in range(5):
            _login(f"10.0.1.{n}", victim.username, WRONG)
    refused = _login("10.0.0.12", victim.username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert "该账号在各处共 20 次登录失败" in refused.content.decode()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.LOCKED_OUT, actor_username=victim.username, detail__contains="各处共 20 次"
    ).exists()


def test_a_password_sprayed_over_many_accounts_stops_that_address(db):
    accounts = [UserFactory() for _ in range(21)]
    for account in accounts[:19]:
        assert _login("10.0.0.99", account.username, "Spring#2026").status_code == 200
    assert _login("10.0.0.99", accounts[19].username, "Spring#2026").status_code == 429  # the twentieth
    refused = _login("10.0.0.99", accounts[20].username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert "本机（10.0.0.99）登录各账号共 20 次失败" in refused.content.decode()
    # every failure is in the audit log with its address, and the stop too
    failures = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, ip="10.0.0.99")
    assert failures.count() == 21  # the twenty sprayed, and the refused one
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT, ip="10.0.0.99").exists()
    # the accounts themselves are not locked: from another address they work
    assert _login("10.0.0.12", accounts[20].username, TEST_PASSWORD).status_code == 302
    assert _login("10.0.0.13", accounts[0].username, TEST_PASSWORD).status_code == 302


def test_behind_the_proxy_the_workstations_address_is_counted(db, settings):
    settings.BEHIND_PROXY = True
    victim = UserFactory()
    for _ in range(5):
        _login("127.0.0.1", victim.username, WRONG, x_forwarded_for="10.0.0.66")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.66"}
    assert set(AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).values_list("ip", flat=True)) == {
        "10.0.0.66"
    }
    # another workstation behind the same proxy is not shut out of the account
    assert _login("127.0.0.1", victim.username, TEST_PASSWORD, x_forwarded_for="10.0.0.12").status_code == 302


def test_the_administrator_sees_and_lifts_a_lock_from_one_address(client_for):
    from qinqing.roles import Role

    victim = UserFactory()
    for _ in range(5):
        _login("10.0.0.66", victim.username, WRONG)
    admin = client_for(Role.ADMIN)
    assert "已锁定" in admin.get(reverse("staff:detail", args=[victim.pk])).content.decode()
    admin.post(reverse("staff:unlock", args=[victim.pk]))
    assert _login("10.0.0.66", victim.username, TEST_PASSWORD).status_code == 302
