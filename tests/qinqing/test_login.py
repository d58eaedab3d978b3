"""Login, lock-out, password rules, forced and expired password change, idle timeout, logout."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout_are_audited(db):
    user = UserFactory(roles=[Role.SPECIALIST])
    client = Client()
    response = _login(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:workbench")
    page = client.get(reverse("ledger:workbench")).content.decode()
    assert user.display_name in page
    assert "帮办专员" in page
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("ledger:workbench")).status_code == 302
    actions = list(AuditEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert AuditEntry.Action.LOGIN in actions
    assert AuditEntry.Action.LOGOUT in actions


def test_login_rotates_session_key(db):
    user = UserFactory()
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    _login(client, user.username, TEST_PASSWORD)
    assert client.session.session_key != before


def test_wrong_password_is_told_and_logged(db):
    user = UserFactory()
    response = _login(Client(), user.username, "wrong-Password1")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.actor_username == user.username
    assert entry.result == AuditEntry.Result.FAILURE
    assert entry.ip == "127.0.0.1"


def test_five_failures_lock_the_account_for_thirty_minutes(db):
    """GIVEN five wrong passwords WHEN the right one comes THEN the account is locked, the person is
    told why and until when; another account is not affected; thirty minutes later it works."""
    user = UserFactory()
    bystander = UserFactory()
    client = Client()
    for _ in range(4):
        assert _login(client, user.username, "Wrong-pass1").status_code == 200
    response = _login(client, user.username, "Wrong-pass1")
    assert response.status_code == 429
    assert "已被锁定 30 分钟" in response.content.decode()
    response = _login(client, user.username, TEST_PASSWORD)
    assert response.status_code == 429
    assert "连续 5 次登录失败" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT, actor_username=user.username).exists()
    assert _login(Client(), bystander.username, TEST_PASSWORD).status_code == 302

    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username=user.username).update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert _login(Client(), user.username, TEST_PASSWORD).status_code == 302


def test_admin_unlocks_a_locked_account(client_for):
    user = UserFactory()
    for _ in range(5):
        _login(Client(), user.username, "Wrong-pass1")
    admin = client_for(Role.ADMIN)
    page = admin.get(reverse("staff:detail", args=[user.pk])).content.decode()
    assert "已锁定" in page
    admin.post(reverse("staff:unlock", args=[user.pk]))
    assert _login(Client(), user.username, TEST_PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UNLOCK, object_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "太短"),
        ("abcdefgh", "至少包含"),
        ("abcdefg1", "至少包含"),
        ("Password1", "太常见"),
        ("12345678", "至少包含"),
        ("Xuser0001!", "不能包含用户名"),
    ],
)
def test_password_rules(db, password, message):
    user = UserFactory.build(username="user0001", display_name="测试")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validate_password(password, user)
    assert message in " ".join(error.value.messages)


def test_good_password_passes_rules(db):
    validate_password("Jiangbei#2026", UserFactory.build(username="user0001"))


def test_forced_change_at_first_login(db):
    user = UserFactory(must_change_password=True, roles=[Role.WINDOW])
    client = Client()
    _login(client, user.username, TEST_PASSWORD)
    for url in [reverse("ledger:workbench"), reverse("projects:index")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change")).content.decode()
    assert "须先修改密码才能继续使用" in page

    # a weak new password is refused with the reason, nothing changes
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert "至少包含" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    # the same password again is refused
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": TEST_PASSWORD, "new_password2": TEST_PASSWORD},
    )
    assert "不能与当前密码相同" in response.content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "Jiangbei#2026", "new_password2": "Jiangbei#2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password("Jiangbei#2026")
    # still signed in, and now free to work
    assert client.get(reverse("ledger:workbench")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGE, actor=user).exists()


def test_expired_password_must_be_changed(db, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory()
    user.password_changed_at = timezone.now() - timedelta(days=91)
    user.save()
    client = Client()
    _login(client, user.username, TEST_PASSWORD)
    response = client.get(reverse("ledger:workbench"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "90 天有效期" in response.content.decode()


def test_idle_timeout_ends_the_session(db, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    user = UserFactory(roles=[Role.SPECIALIST])
    client = Client()
    _login(client, user.username, TEST_PASSWORD)
    assert client.get(reverse("ledger:workbench")).status_code == 200

    session = client.session
    session["qinqing_last_activity"] = time.time() - 29 * 60
    session.save()
    assert client.get(reverse("ledger:workbench")).status_code == 200  # activity within the limit

    session = client.session
    session["qinqing_last_activity"] = time.time() - 31 * 60
    session.save()
    response = client.get(reverse("projects:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    follow = client.get(response["Location"])
    assert "30 分钟未操作" in follow.content.decode()
    assert client.get(reverse("ledger:workbench")).status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SESSION_TIMEOUT, actor=user).exists()


def test_idle_timeout_on_htmx_request_redirects_the_page(db):
    user = UserFactory(roles=[Role.ADMIN])
    client = Client()
    _login(client, user.username, TEST_PASSWORD)
    session = client.session
    session["qinqing_last_activity"] = time.time() - 3600
    session.save()
    response = client.get(reverse("staff:list"), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith(reverse("login"))


def test_session_cookie_age_is_the_idle_limit_and_the_stamps_lag(settings):
    from qinqing.middleware import ACTIVITY_STAMP_SECONDS

    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60 + 60 == 31 * 60
    assert ACTIVITY_STAMP_SECONDS < 60


def test_pages_within_half_a_minute_do_not_save_the_session(client_for):
    """The activity stamp is renewed at most every 30 seconds: no database write on every page."""
    from qinqing.models import StaffSession as Session

    client = client_for(Role.SPECIALIST)
    client.get(reverse("ledger:workbench"))
    key = client.session.session_key
    saved = Session.objects.get(session_key=key).expire_date
    client.get(reverse("ledger:workbench"))
    client.get(reverse("projects:index"))
    assert Session.objects.get(session_key=key).expire_date == saved


def test_disabled_account_with_wrong_password_gets_the_generic_message(db):
    user = UserFactory(is_active=False)
    response = _login(Client(), user.username, "Wrong-pass1")
    body = response.content.decode()
    assert "用户名或密码错误" in body
    assert "停用" not in body
