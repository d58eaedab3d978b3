"""三员分立 and the audit log's reader: the auditor reads and exports the log and nothing else; the
administrator does not read it; nobody grants themselves more; the log filters by user, action,
object, address and time and exports to Excel, and each export is itself logged."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qinqing import audit, selectors, services
from qinqing.models import AuditEntry, User
from qinqing.roles import Role, held_roles
from tests.factories import ProjectFactory


@pytest.fixture
def auditor(client_for):
    return client_for(Role.AUDITOR)


@pytest.fixture
def log(db, rf):
    """A few rows: a login failure from 10.1.2.3, a reveal of a project's phone, an export whose
    detail looks like a formula, a denied access yesterday."""
    project = ProjectFactory(name="滨江花园安置房")
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    rows = {
        "failed": audit.record(
            action=AuditEntry.Action.LOGIN_FAILED,
            request=request,
            username="zhangsan",
            result=AuditEntry.Result.FAILURE,
            detail="用户名或密码错误",
        ),
        "reveal": audit.record(action=AuditEntry.Action.REVEAL, username="lisi", obj=project, detail="查看联系电话"),
        "export": audit.record(action=AuditEntry.Action.EXPORT, username="wangwu", detail='=HYPERLINK("x")'),
    }
    denied = AuditEntry(
        action=AuditEntry.Action.ACCESS_DENIED,
        actor_username="zhaoliu",
        result=AuditEntry.Result.DENIED,
        created_at=timezone.now() - timedelta(days=1),
    )
    denied.save()
    rows["denied"] = denied
    rows["project"] = project
    return rows


def _listed(client, **params) -> str:
    response = client.get(reverse("audit:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_auditor_filters_by_object_type_and_object(auditor, log):
    page = _listed(auditor, object_type="projects.project")
    assert "查看联系电话" in page
    assert "用户名或密码错误" not in page
    page = _listed(auditor, obj="滨江花园")
    assert "查看联系电话" in page
    assert "wangwu" not in page
    page = _listed(auditor, obj=str(log["project"].pk))
    assert "查看联系电话" in page


def test_the_auditor_filters_by_address_and_a_bad_address_is_explained(auditor, log):
    page = _listed(auditor, ip="10.1.2.3")
    assert "zhangsan" in page
    assert "lisi" not in page
    page = _listed(auditor, ip="10.1.2.999")
    assert "IP 地址格式不正确" in page


def test_an_end_before_the_start_is_explained(auditor, log):
    today = timezone.localdate()
    page = _listed(auditor, start=today.isoformat(), end=(today - timedelta(days=3)).isoformat())
    assert "截止日期不能早于起始日期" in page


def test_the_filter_by_time(auditor, log):
    today = timezone.localdate()
    page = _listed(auditor, start=today.isoformat())
    assert "zhaoliu" not in page
    page = _listed(auditor, end=(today - timedelta(days=1)).isoformat())
    assert "zhaoliu" in page
    assert "zhangsan" not in page


def test_the_export_is_the_filtered_log_with_formula_text_kept_as_text_and_is_logged(auditor, log):
    response = auditor.get(reverse("audit:export"), {"result": "success"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["审计日志"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "亲清帮办 · 审计日志"
    assert "结果：成功" in rows[1][0]
    assert rows[3] == selectors.AUDIT_COLUMNS
    body = rows[4:]
    users = {row[1] for row in body}
    assert {"lisi", "wangwu"} <= users
    assert not users & {"zhangsan", "zhaoliu"}  # the failure and the denial are filtered out
    reveal = dict(zip(selectors.AUDIT_COLUMNS, next(row for row in body if row[1] == "lisi"), strict=True))
    assert reveal["操作"] == "查看个人信息"
    assert reveal["对象类型"] == "项目档案"
    assert reveal["对象"] == str(log["project"])
    # the formula-like detail is a plain string cell, quote-prefixed, never a formula
    cells = list(sheet.iter_rows(min_row=5))
    detail = next(row[selectors.AUDIT_COLUMNS.index("说明")] for row in cells if row[1].value == "wangwu")
    assert detail.value == '=HYPERLINK("x")'
    assert detail.data_type == "s"
    assert detail.quotePrefix
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=auditor.user).get()
    assert f"导出审计日志 {len(body)} 条" in exported.detail
    assert "结果：成功" in exported.detail


def test_an_export_over_the_limit_is_refused_with_the_count(auditor, log, monkeypatch):
    monkeypatch.setattr(selectors, "AUDIT_EXPORT_LIMIT", 2)
    response = auditor.get(reverse("audit:export"), follow=True)
    page = response.content.decode()
    assert "超过单次导出上限 2 条" in page
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=auditor.user).exists()


def test_a_bad_filter_is_not_exported(auditor, log):
    response = auditor.get(reverse("audit:export"), {"ip": "not-an-address"}, follow=True)
    assert "查询条件有误" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=auditor.user).exists()


def test_the_auditor_sees_nothing_but_the_log(auditor, log):
    for name, args in [
        ("projects:index", []),
        ("projects:detail", [log["project"].pk]),
        ("projects:catalogue", []),
        ("ledger:index", []),
        ("staff:list", []),
        ("followups:index", []),
    ]:
        assert auditor.get(reverse(name, args=args)).status_code in (403, 404), name


def test_the_auditors_workbench_counts_the_security_events(auditor, log):
    page = auditor.get(reverse("ledger:workbench")).content.decode()
    assert 'data-testid="panel-auditor"' in page
    figures = {label: n for label, _, n in selectors.security_summary()["figures"]}
    assert figures["登录失败"] == 1
    assert figures["拒绝访问"] == 1
    assert figures["查看个人信息"] == 1
    assert "zhangsan" in page  # the failed sign-in is among the latest watched events


def test_the_administrators_workbench_shows_no_audit_rows(client_for, log):
    page = client_for(Role.ADMIN).get(reverse("ledger:workbench")).content.decode()
    assert 'data-testid="panel-admin"' in page
    assert "zhangsan" not in page
    assert "查看联系电话" not in page


def test_the_auditor_role_is_held_alone(admin_client_):
    response = admin_client_.post(
        reverse("staff:create"),
        {"username": "qian01", "display_name": "钱审计", "roles": ["auditor", "admin"], "phone": ""},
    )
    assert "审计员不能兼任其他角色" in response.content.decode()
    assert not User.objects.filter(username="qian01").exists()
    response = admin_client_.post(
        reverse("staff:create"), {"username": "qian01", "display_name": "钱审计", "roles": ["auditor"], "phone": ""}
    )
    assert response.status_code == 200  # the page that shows the initial password once
    made = User.objects.get(username="qian01")
    # the administrator who made it cannot use it: it acts as an auditor only once a serving auditor approves
    assert held_roles(made) == {"auditor"}
    assert made.roles == frozenset()
    assert made.auditor_pending


def test_nobody_grants_themselves_a_role(admin_client_):
    me = admin_client_.user
    with pytest.raises(ValidationError, match="不能给自己增加角色"):
        services.account_update(
            actor=me,
            request=None,
            user_id=me.pk,
            version=me.version,
            display_name=me.display_name,
            department=me.department,
            phone="",
            roles=["admin", "office"],
        )
    me.refresh_from_db()
    me._role_cache = None
    assert me.roles == {"admin"}


def test_an_administrator_grants_a_colleague_a_role_but_not_themselves(admin_client_, make_user):
    colleague = make_user(Role.SPECIALIST)
    data = {"display_name": colleague.display_name, "department": colleague.department_id, "phone": ""}
    response = admin_client_.post(
        reverse("staff:edit", args=[colleague.pk]), {**data, "roles": ["specialist", "window"], "version": 0}
    )
    assert response.status_code == 302
    colleague._role_cache = None
    assert colleague.roles == {"specialist", "window"}
    me = admin_client_.user
    response = admin_client_.post(
        reverse("staff:edit", args=[me.pk]),
        {"display_name": "我", "department": me.department_id, "phone": "", "roles": ["admin", "office"], "version": 0},
    )
    assert "不能给自己增加角色" in response.content.decode()
