"""The second factor (等保三级 8.1.4.1) and the activation of auditor accounts (三员分立).

Required of the administrator, the auditor and the office, optional for the others; TOTP on the person's
phone, ten one-time recovery codes; binding, every wrong code, using a recovery code, a reset and an
auditor's approval are in the audit log."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing import second_factor, services
from qinqing.models import AuditEntry, StaffSession, User
from qinqing.roles import Role, held_roles
from tests.auth import sign_in, totp_code
from tests.factories import TEST_PASSWORD, UserFactory

WORKBENCH = "/"


def _password_login(username: str, password: str = TEST_PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _secret_key(response) -> bytes:
    """The key the binding page shows (what a person types into the phone), as bytes."""
    from base64 import b32decode

    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', response.content.decode())
    assert match, "the binding page shows the secret"
    text = match.group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


def _phone_code(key: bytes) -> str:
    import time

    clock = TOTP(key)
    clock.time = time.time()
    return f"{clock.token():06d}"


def _codes(response) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())


def test_the_office_must_bind_a_phone_before_any_page_and_gets_recovery_codes_once(db):
    """GIVEN an office account with no phone bound WHEN it signs in with its password THEN every page leads
    to binding; a wrong code binds nothing; the phone's code binds it, shows ten recovery codes once, and
    the session may work."""
    office = UserFactory(roles=[Role.OFFICE], second_factor=False)
    client = _password_login(office.username)
    response = client.get(reverse("ledger:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor")
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    assert "扫码绑定手机验证器" in body
    assert "必须" in body
    key = _secret_key(page)
    # the page reloaded keeps the same secret (the phone already scanned stays valid)
    assert _secret_key(client.get(reverse("two_factor"))) == key

    wrong = client.post(
        reverse("two_factor"), {"action": "bind", "code": "000000" if _phone_code(key) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=office, confirmed=True).exists()
    assert client.get(reverse("ledger:index")).status_code == 302

    TOTPDevice.objects.filter(user=office).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(reverse("two_factor"), {"action": "bind", "code": _phone_code(key)})
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor_codes")
    shown = client.get(reverse("two_factor_codes"))
    codes = _codes(shown)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert "只显示这一次" in shown.content.decode()
    # once: the next visit does not show them again, and the database holds only digests
    again = client.get(reverse("two_factor_codes"))
    assert again.status_code == 302
    assert not _codes(client.get(reverse("two_factor")))
    stored = set(StaticToken.objects.filter(device__user=office).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes}
    assert not stored & set(codes)

    assert client.get(reverse("ledger:index")).status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_ENROL, object_id=str(office.pk))
    assert entry.actor == office
    assert "恢复码 10 个" in entry.detail


def test_a_bound_account_signs_in_with_password_and_the_phones_code(db):
    """GIVEN an account with a bound phone WHEN it signs in with the password alone THEN only the code page
    opens (the page it asked for is kept); a wrong code is refused and logged; the right one lets it in,
    and the same code cannot be used twice."""
    admin = UserFactory(roles=[Role.ADMIN])
    client = _password_login(admin.username)
    response = client.get(reverse("staff:list") + "?q=1")
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor_verify") + "?next=%2Fstaff%2F%3Fq%3D1"
    assert client.get(reverse("audit:list")).status_code == 302  # nothing but the code page
    held = client.get(reverse("two_factor_verify")).content.decode()
    assert "验证并登录" in held
    assert 'href="/staff/"' not in held

    right = totp_code(admin)
    wrong = "000000" if right != "000000" else "111111"
    refused = client.post(reverse("two_factor_verify"), {"code": wrong, "next": "/staff/?q=1"})
    assert refused.status_code == 400
    assert "验证码不正确" in refused.content.decode()
    failure = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_VERIFY, result=AuditEntry.Result.FAILURE)
    assert failure.actor == admin
    assert "第 1 次" in failure.detail

    # the next try waits (django-otp doubles the wait after each wrong code)
    waiting = client.post(reverse("two_factor_verify"), {"code": right})
    assert "秒后再试" in waiting.content.decode()
    right = totp_code(admin)  # (the test's phone forgets the wait, as a person would wait)
    response = client.post(reverse("two_factor_verify"), {"code": right, "next": "/staff/?q=1"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/?q=1"
    assert client.get(reverse("staff:list")).status_code == 200

    # the same code, replayed by someone else who has the password, is refused
    other = _password_login(admin.username)
    replay = other.post(reverse("two_factor_verify"), {"code": right})
    assert replay.status_code == 400
    assert other.get(reverse("staff:list")).status_code == 302


def test_an_outside_next_address_is_not_followed(db):
    office = UserFactory(roles=[Role.OFFICE])
    client = _password_login(office.username)
    response = client.post(reverse("two_factor_verify"), {"code": totp_code(office), "next": "https://evil.example/"})
    assert response["Location"] == WORKBENCH


def test_five_wrong_codes_end_the_session(db, settings):
    settings.TWO_FACTOR_SESSION_FAILURES = 5
    office = UserFactory(roles=[Role.OFFICE])
    client = _password_login(office.username)
    right = totp_code(office)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert client.post(reverse("two_factor_verify"), {"code": wrong}).status_code == 400
    response = client.post(reverse("two_factor_verify"), {"code": wrong})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    # signed out: the password is needed again
    assert client.get(reverse("two_factor_verify"))["Location"].startswith(reverse("login"))
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.TWO_FACTOR_VERIFY, result=AuditEntry.Result.FAILURE, actor=office
        ).count()
        == 5
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT, result=AuditEntry.Result.FAILURE).exists()


def test_a_recovery_code_works_once_instead_of_the_phone(db):
    office = UserFactory(roles=[Role.OFFICE])
    client = sign_in(Client(), office)
    client.post(reverse("two_factor"), {"action": "renew"})
    codes = _codes(client.get(reverse("two_factor_codes")))
    assert len(codes) == 10

    first = _password_login(office.username)
    # typed in capitals and without the hyphen, as people do
    response = first.post(reverse("two_factor_verify"), {"code": codes[0].upper().replace("-", " ")})
    assert response.status_code == 302
    assert first.get(reverse("ledger:index")).status_code == 200
    used = AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR_VERIFY, result=AuditEntry.Result.SUCCESS)
    assert used.get().detail == "使用恢复码登录，剩余 9 个"

    second = _password_login(office.username)
    refused = second.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert refused.status_code == 400
    assert "恢复码不正确或已用过" in refused.content.decode()
    assert second_factor.recovery_codes_left(office) == 9


def test_new_recovery_codes_void_the_old_ones(db):
    office = UserFactory(roles=[Role.OFFICE])
    client = sign_in(Client(), office)
    client.post(reverse("two_factor"), {"action": "renew"})
    old = _codes(client.get(reverse("two_factor_codes")))
    client.post(reverse("two_factor"), {"action": "renew"})
    new = _codes(client.get(reverse("two_factor_codes")))
    assert not set(old) & set(new)
    refused = _password_login(office.username).post(reverse("two_factor_verify"), {"code": old[0]})
    assert refused.status_code == 400
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECOVERY_CODES, actor=office).count() == 2


def test_the_second_factor_is_optional_for_a_specialist_and_can_be_removed(db):
    """GIVEN a specialist WHEN they sign in THEN no binding is asked; they may bind a phone (and then must
    use it) and remove it again; the office may not remove its own."""
    specialist = UserFactory(roles=[Role.SPECIALIST])
    client = _password_login(specialist.username)
    assert client.get(reverse("projects:index")).status_code == 200
    page = client.get(reverse("two_factor"))
    assert "可自愿使用" in page.content.decode()
    assert (
        client.post(reverse("two_factor"), {"action": "bind", "code": _phone_code(_secret_key(page))}).status_code
        == 302
    )
    later = _password_login(specialist.username)
    assert later.get(reverse("projects:index"))["Location"].startswith(reverse("two_factor_verify"))

    assert client.post(reverse("two_factor"), {"action": "remove"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=specialist).exists()
    assert _password_login(specialist.username).get(reverse("projects:index")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR_RESET, actor=specialist).exists()

    office = UserFactory(roles=[Role.OFFICE])
    office_client = sign_in(Client(), office)
    refused = office_client.post(reverse("two_factor"), {"action": "remove"})
    assert refused.status_code == 400
    assert "不能解除绑定" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=office, confirmed=True).exists()


def test_the_administrator_resets_a_lost_phone(client_for, db):
    """GIVEN an office member who lost their phone WHEN the administrator resets the factor THEN the devices
    and codes are gone, the sessions end, the reset is logged, and the next sign-in binds a new phone."""
    admin = client_for(Role.ADMIN)
    office = UserFactory(roles=[Role.OFFICE])
    working = sign_in(Client(), office)
    assert working.get(reverse("ledger:index")).status_code == 200
    detail = admin.get(reverse("staff:detail", args=[office.pk])).content.decode()
    assert "重置第二因素" in detail
    assert "已绑定" in detail

    response = admin.post(reverse("staff:reset_two_factor", args=[office.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert not StaffSession.objects.filter(user=office).exists()
    assert working.get(reverse("ledger:index"))["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_RESET, object_id=str(office.pk))
    assert entry.actor == admin.user
    assert "结束会话 1 个" in entry.detail
    fresh = _password_login(office.username)
    assert fresh.get(reverse("ledger:index"))["Location"] == reverse("two_factor")

    # a second reset has nothing to clear; nobody resets their own
    again = admin.post(reverse("staff:reset_two_factor", args=[office.pk]), follow=True)
    assert "没有绑定第二因素" in again.content.decode()
    with pytest.raises(ValidationError, match="不能重置自己的第二因素"):
        second_factor.reset(actor=admin.user, request=None, user_id=admin.user.pk)
    # only the administrator resets
    assert client_for(Role.OFFICE).post(reverse("staff:reset_two_factor", args=[office.pk])).status_code == 403


def test_an_administrator_cannot_use_an_auditor_account_they_made(client_for, db):
    """三员分立 GIVEN an administrator who creates an auditor account and knows its initial password WHEN they
    sign in with it, change the password and bind their own phone THEN it still cannot read the audit log:
    only a serving auditor's approval, with the code shown on the new account's page, enables it."""
    admin = client_for(Role.ADMIN)
    serving = client_for(Role.AUDITOR)
    created = admin.post(
        reverse("staff:create"), {"username": "qian02", "display_name": "钱新", "roles": ["auditor"], "phone": ""}
    )
    password = re.search(r'data-testid="initial-password">([^<]+)<', created.content.decode()).group(1)
    newcomer = User.objects.get(username="qian02")
    assert newcomer.auditor_pending
    assert newcomer.roles == frozenset()

    intruder = _password_login("qian02", password)
    intruder.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Taken#Over2026x", "new_password2": "Taken#Over2026x"},
    )
    assert intruder.get(reverse("audit:list"))["Location"] == reverse("two_factor")
    page = intruder.get(reverse("two_factor"))
    assert (
        intruder.post(reverse("two_factor"), {"action": "bind", "code": _phone_code(_secret_key(page))}).status_code
        == 302
    )
    pending_page = intruder.get(reverse("two_factor")).content.decode()
    code = re.search(r'data-testid="approval-code">(\d{4}-\d{4})<', pending_page).group(1)
    # bound and verified, still pending: the audit log and the export are out of reach
    assert intruder.get(reverse("audit:list"))["Location"] == reverse("two_factor")
    assert intruder.get(reverse("audit:export"))["Location"] == reverse("two_factor")
    assert not User.objects.get(username="qian02").has_perm("qinqing.view_audit")

    # the serving auditor sees the pending account; a wrong code is refused and logged
    listing = serving.get(reverse("audit:approval")).content.decode()
    assert "qian02" in listing
    assert 'data-testid="pending-auditor-count">1<' in serving.get(reverse("audit:list")).content.decode()
    wrong = "1234-5678" if code != "1234-5678" else "8765-4321"
    refused = serving.post(reverse("audit:approval"), {"code": wrong})
    assert refused.status_code == 400
    assert "确认码不符" in refused.content.decode()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.AUDITOR_APPROVE, result=AuditEntry.Result.FAILURE
    ).exists()
    # the administrator cannot approve, and nor can the pending account itself
    assert admin.post(reverse("audit:approval"), {"code": code}).status_code == 403
    with pytest.raises(ValidationError, match="只有已启用的审计员"):
        second_factor.approve_auditor(approver=User.objects.get(username="qian02"), request=None, code=code)

    approved = serving.post(reverse("audit:approval"), {"code": code})
    assert approved.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.auditor_activated_at is not None
    assert newcomer.auditor_activated_by == serving.user
    assert intruder.get(reverse("audit:list")).status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.AUDITOR_APPROVE, result=AuditEntry.Result.SUCCESS)
    assert entry.actor == serving.user
    assert entry.object_id == str(newcomer.pk)


def test_resetting_an_auditors_password_clears_its_factor_and_approval(client_for, db):
    admin = client_for(Role.ADMIN)
    auditor = UserFactory(roles=[Role.AUDITOR])
    assert not auditor.auditor_pending
    assert TOTPDevice.objects.filter(user=auditor).exists()
    admin.post(reverse("staff:reset_password", args=[auditor.pk]))
    auditor.refresh_from_db()
    auditor._role_cache = None
    assert auditor.auditor_pending
    assert not auditor.has_perm("qinqing.view_audit")
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_RESET, object_id=str(auditor.pk))
    assert "回到待启用" in entry.detail

    # a reset of the factor alone does the same
    other = UserFactory(roles=[Role.AUDITOR])
    admin.post(reverse("staff:reset_two_factor", args=[other.pk]))
    other.refresh_from_db()
    assert other.auditor_pending
    # a non-auditor's password reset keeps their phone (the administrator does not have it)
    office = UserFactory(roles=[Role.OFFICE])
    admin.post(reverse("staff:reset_password", args=[office.pk]))
    assert TOTPDevice.objects.filter(user=office, confirmed=True).exists()


def test_giving_an_account_the_auditors_role_makes_it_pending(client_for, db):
    admin = client_for(Role.ADMIN)
    clerk = UserFactory(roles=[Role.SPECIALIST])
    assert clerk.auditor_activated_at is not None  # (the factory's default: meaningless for a non-auditor)
    services.account_update(
        actor=admin.user,
        request=None,
        user_id=clerk.pk,
        version=clerk.version,
        display_name=clerk.display_name,
        department=clerk.department,
        phone="",
        roles=[Role.AUDITOR],
    )
    clerk.refresh_from_db()
    clerk._role_cache = None
    assert held_roles(clerk) == {"auditor"}
    assert clerk.auditor_pending


def test_htmx_requests_of_an_unverified_session_are_redirected_whole(db):
    office = UserFactory(roles=[Role.OFFICE])
    client = _password_login(office.username)
    response = client.get(reverse("ledger:index"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("two_factor_verify")


def test_the_demo_phone_code_command(db, settings):
    from qinqing.demo import DEMO_TOTP_KEY, demo_code

    key = bytes.fromhex(DEMO_TOTP_KEY)
    assert demo_code(1_800_000_000) == _at(key, 1_800_000_000) != demo_code(1_800_000_030)
    out = io.StringIO()
    call_command("demo_code", stdout=out)
    assert re.search(r"当前验证码：\d{6}", out.getvalue())
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境"):
        call_command("demo_code")


def _at(key: bytes, when: float) -> str:
    clock = TOTP(key)
    clock.time = when
    return f"{clock.token():06d}"


def test_the_first_auditor_is_made_on_the_server_and_only_while_there_is_none(db):
    out = io.StringIO()
    call_command("create_auditor", "shenji01", "钱首任", stdout=out)
    first = User.objects.get(username="shenji01")
    assert not first.auditor_pending
    assert first.must_change_password
    assert not TOTPDevice.objects.filter(user=first).exists()  # binds their own phone at first sign-in
    password = re.search(r"初始密码（只显示这一次）：(\S+)", out.getvalue()).group(1)
    client = _password_login("shenji01", password)
    assert client.get(reverse("audit:list"))["Location"] == reverse("password_change")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.AUDITOR_APPROVE)
    assert entry.actor_username == "manage.py create_auditor"
    assert entry.object_id == str(first.pk)
    with pytest.raises(CommandError, match="已有启用的审计员 shenji01"):
        call_command("create_auditor", "shenji02", "钱二任")
    assert not User.objects.filter(username="shenji02").exists()
