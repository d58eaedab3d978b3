"""The administrator's account pages: create, change roles, disable, enable, reset, with history."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from qinqing.models import AuditEntry, StaffSession, User
from qinqing.roles import Role
from tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory


def _password_in(response) -> str:
    match = re.search(r'data-testid="initial-password">([^<]+)<', response.content.decode())
    assert match, "the initial password is shown on the page"
    return match.group(1)


@pytest.fixture
def admin(client_for) -> Client:
    return client_for(Role.ADMIN)


def test_create_account_shows_password_once_and_forces_change(admin, db):
    """GIVEN an administrator WHEN they create an account THEN a random password is shown once,
    the account holds the roles and unit, and at first login it must change the password."""
    unit = DepartmentFactory(name="区住房城乡建委")
    response = admin.post(
        reverse("staff:create"),
        {"username": "xiaoming", "display_name": "小明", "roles": ["department", "window"], "department": unit.pk},
    )
    assert response.status_code == 200
    password = _password_in(response)
    assert len(password) == 12
    user = User.objects.get(username="xiaoming")
    assert user.roles == {"department", "window"}
    assert user.department == unit
    assert user.must_change_password
    assert user.check_password(password)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_id=str(user.pk))
    assert entry.actor == admin.user
    assert entry.after["角色"] == sorted(["阶段窗口人员", "责任单位人员"])
    # the password is nowhere else: the detail page does not show it
    assert password not in admin.get(reverse("staff:detail", args=[user.pk])).content.decode()

    # first login: forced to the password change page
    newcomer = Client()
    response = newcomer.post(reverse("login"), {"username": "xiaoming", "password": password})
    assert response.status_code == 302
    response = newcomer.get(reverse("ledger:workbench"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": ""}, "username", "这个字段是必填项"),
        ({"username": "ab"}, "username", "3–30 位"),
        ({"username": "x" * 31}, "username", "最多"),
        ({"username": "<script>"}, "username", "3–30 位"),
        ({"display_name": "<script>alert(1)</script>"}, "display_name", "标记字符"),
        ({"display_name": "名" * 31}, "display_name", "最多"),
        ({"phone": "abc"}, "phone", "电话号码"),
        ({"roles": []}, "roles", "请至少选择一个角色"),
        ({"roles": ["boss"]}, "roles", "不在可用的选项中"),
        ({"roles": ["department"], "department": ""}, "department", "须选择所属单位"),
        ({"department": "999999"}, "department", "选择一个有效的选项"),
    ],
)
def test_create_account_bad_input(admin, data, field, message):
    base = {"username": "goodname", "display_name": "好名字", "roles": ["specialist"], "department": ""}
    base.update(data)
    before = User.objects.count()
    response = admin.post(reverse("staff:create"), base)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == before


def test_duplicate_username_refused(admin):
    UserFactory(username="taken")
    response = admin.post(
        reverse("staff:create"), {"username": "TAKEN", "display_name": "重名", "roles": ["specialist"]}
    )
    assert "已被使用" in response.content.decode()
    assert User.objects.filter(username__iexact="taken").count() == 1


def test_edit_roles_is_in_history(admin):
    user = UserFactory(roles=[Role.SPECIALIST])
    response = admin.post(
        reverse("staff:edit", args=[user.pk]),
        {"display_name": "新名字", "roles": ["specialist", "office"], "department": user.department_id, "version": 0},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    user._role_cache = None
    assert user.roles == {"specialist", "office"}
    assert user.display_name == "新名字"
    role_change = AuditEntry.objects.get(action=AuditEntry.Action.ROLE_CHANGE, object_id=str(user.pk))
    assert role_change.before == {"角色": ["帮办专员"]}
    assert role_change.after == {"角色": ["区工改办", "帮办专员"]}
    page = admin.get(reverse("staff:detail", args=[user.pk])).content.decode()
    assert "修改角色" in page
    assert "帮办专员 → 区工改办、帮办专员" in page  # in words, as the audit log shows it
    assert "[&#x27;" not in page
    assert user.history.count() >= 2


def test_stale_edit_is_refused_and_nothing_overwritten(admin, client_for):
    """GIVEN two administrators opened the same account WHEN the second saves an old form THEN
    it is refused with a clear message and the first one's change stays."""
    user = UserFactory(display_name="原名", roles=[Role.SPECIALIST])
    other_admin = client_for(Role.ADMIN)
    form = {"roles": ["specialist"], "department": user.department_id, "version": 0}
    assert other_admin.post(reverse("staff:edit", args=[user.pk]), {**form, "display_name": "甲改"}).status_code == 302
    response = admin.post(reverse("staff:edit", args=[user.pk]), {**form, "display_name": "乙改"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "已被他人修改" in page
    assert f"{other_admin.user.name} 于" in page
    assert "姓名（原名 → 甲改）" in page
    user.refresh_from_db()
    assert user.display_name == "甲改"


def test_admin_cannot_remove_own_admin_role(admin):
    me = admin.user
    response = admin.post(
        reverse("staff:edit", args=[me.pk]),
        {"display_name": "我", "roles": ["specialist"], "department": me.department_id, "version": me.version},
    )
    assert "不能移除自己的系统管理员角色" in response.content.decode()
    me._role_cache = None
    assert me.roles == {"admin"}


def test_disable_ends_sessions_at_once(admin):
    user = UserFactory(roles=[Role.SPECIALIST])
    victim = Client()
    assert victim.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD}).status_code == 302
    assert victim.get(reverse("ledger:workbench")).status_code == 200
    sessions_before = StaffSession.objects.count()

    response = admin.post(reverse("staff:disable", args=[user.pk]), {"reason": "调离岗位"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert StaffSession.objects.count() == sessions_before - 1
    response = victim.get(reverse("ledger:workbench"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE, object_id=str(user.pk))
    assert "调离岗位" in entry.detail
    assert "结束会话 1 个" in entry.detail

    # and the person is told why at the login page
    response = Client().post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert "该账号已被停用" in response.content.decode()


def test_disable_needs_a_reason(admin):
    user = UserFactory()
    response = admin.post(reverse("staff:disable", args=[user.pk]), {"reason": ""}, follow=True)
    assert "停用失败" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active


def test_admin_cannot_disable_self(admin):
    response = admin.post(reverse("staff:disable", args=[admin.user.pk]), {"reason": "试试"}, follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    admin.user.refresh_from_db()
    assert admin.user.is_active


def test_enable_again(admin):
    user = UserFactory(is_active=False)
    admin.post(reverse("staff:enable", args=[user.pk]))
    user.refresh_from_db()
    assert user.is_active
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ENABLE, object_id=str(user.pk)).exists()


def test_reset_password(admin):
    user = UserFactory(roles=[Role.WINDOW])
    victim = Client()
    victim.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    response = admin.post(reverse("staff:reset_password", args=[user.pk]))
    password = _password_in(response)
    user.refresh_from_db()
    assert user.check_password(password)
    assert not user.check_password(TEST_PASSWORD)
    assert user.must_change_password
    assert victim.get(reverse("ledger:workbench")).status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_RESET, object_id=str(user.pk)).exists()
    assert password not in str(list(AuditEntry.objects.values_list("detail", "before", "after")))


def test_staff_list_search_and_filter(admin):
    unit = DepartmentFactory(name="区水利局")
    UserFactory(username="shuili01", display_name="水利甲", department=unit, roles=[Role.DEPARTMENT])
    UserFactory(username="other01", display_name="别人", roles=[Role.SPECIALIST], is_active=False)
    page = admin.get(reverse("staff:list"), {"q": "水利"}).content.decode()
    assert "shuili01" in page
    assert "other01" not in page
    page = admin.get(reverse("staff:list"), {"role": "department"}).content.decode()
    assert "shuili01" in page
    assert "other01" not in page
    page = admin.get(reverse("staff:list"), {"status": "disabled"}).content.decode()
    assert "other01" in page
    assert "shuili01" not in page
    page = admin.get(reverse("staff:list"), {"department": unit.pk}).content.decode()
    assert "shuili01" in page


def test_staff_list_htmx_returns_the_table_only(admin):
    response = admin.get(reverse("staff:list"), {"q": "x"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<table" in body
    assert "<html" not in body


def test_staff_list_query_count_does_not_grow(admin):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            admin.get(reverse("staff:list"))
        return len(ctx.captured_queries)

    UserFactory.create_batch(2, roles=[Role.SPECIALIST])
    few = count_queries()
    UserFactory.create_batch(48, roles=[Role.SPECIALIST, Role.WINDOW])
    many = count_queries()
    assert few == many


def test_departments_create_and_edit(admin):
    response = admin.post(
        reverse("staff:department_create"), {"name": "区消防救援支队", "kind": "bureau", "is_active": "on"}
    )
    assert response.status_code == 302
    from qinqing.models import Department

    unit = Department.objects.get(name="区消防救援支队")
    response = admin.post(
        reverse("staff:department_edit", args=[unit.pk]),
        {"name": "区消防救援支队", "kind": "bureau", "contact_phone": "023-1234567", "version": 0},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert not unit.is_active
    assert unit.contact_phone == "023-1234567"
    # a stale form is refused
    response = admin.post(
        reverse("staff:department_edit", args=[unit.pk]),
        {"name": "改名", "kind": "bureau", "version": 0},
    )
    assert "已被他人修改" in response.content.decode()
    unit.refresh_from_db()
    assert unit.name == "区消防救援支队"
    assert admin.post(reverse("staff:department_create"), {"name": "<b>坏</b>", "kind": "bureau"}).status_code == 200
    assert not Department.objects.filter(name__contains="坏").exists()


def test_the_first_administrator_is_made_from_the_command_line(db):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("create_admin", "xinxike01", "信息科管理员", stdout=out)
    user = User.objects.get(username="xinxike01")
    assert user.roles == {"admin"}
    assert user.must_change_password
    password = out.getvalue().split("：")[-1].strip()
    assert user.check_password(password)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(user.pk)).exists()
    with pytest.raises(CommandError, match="该用户名已被使用"):
        call_command("create_admin", "xinxike01", "又一个", stdout=io.StringIO())
    with pytest.raises(CommandError, match="用户名须为"):
        call_command("create_admin", "信息科", "中文名", stdout=io.StringIO())


def test_a_session_whose_key_rotated_is_still_ended_when_the_account_is_disabled(admin):
    """The forced password change at first sign-in rotates the session's key; the new session is still
    the account's, and disabling the account deletes it (not only the key it had at sign-in)."""
    user = UserFactory(roles=[Role.SPECIALIST], must_change_password=True)
    victim = Client()
    victim.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    first_key = victim.session.session_key
    assert victim.get(reverse("ledger:workbench"))["Location"].startswith(reverse("password_change"))
    new_password = "Jiangbei#Hall2027"
    response = victim.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    rotated_key = victim.session.session_key
    assert rotated_key != first_key
    assert victim.get(reverse("ledger:workbench")).status_code == 200
    session = StaffSession.objects.get(session_key=rotated_key)
    assert session.user == user
    assert session.ip == "127.0.0.1"

    admin.post(reverse("staff:disable", args=[user.pk]), {"reason": "调离岗位"})
    assert not StaffSession.objects.filter(user=user).exists()
    assert not StaffSession.objects.filter(session_key=rotated_key).exists()
    assert victim.get(reverse("ledger:workbench"))["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE, object_id=str(user.pk))
    assert "结束会话 1 个" in entry.detail
