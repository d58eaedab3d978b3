"""The audit log is append-only: the application and the database refuse changes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from qinqing import audit
from qinqing.models import AuditEntry
from qinqing.roles import Role


@pytest.fixture
def entry(db):
    return audit.record(action=AuditEntry.Action.EXPORT, username="tester", detail="导出测试")


def test_model_refuses_change_and_delete(entry):
    entry.detail = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(detail="篡改")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.detail == "导出测试"


def test_database_refuses_update(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE qinqing_auditentry SET detail = %s WHERE id = %s", ["篡改", entry.pk])
    entry.refresh_from_db()
    assert entry.detail == "导出测试"


@pytest.mark.postgresql
def test_postgresql_refuses_delete(entry):
    if connection.vendor != "postgresql":
        pytest.skip("the DELETE trigger is PostgreSQL's; SQLite's test flush deletes rows (see migration 0002)")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM qinqing_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_page_is_read_only_and_filters(client_for, entry):
    client = client_for(Role.AUDITOR)
    page = client.get(reverse("audit:list"), {"action": "export"}).content.decode()
    assert "导出测试" in page
    page = client.get(reverse("audit:list"), {"action": "login_failed"}).content.decode()
    assert "导出测试" not in page
    assert client.post(reverse("audit:list")).status_code == 405
    assert client.get(reverse("audit:list"), {"start": "not-a-date"}).status_code == 200


def test_django_admin_cannot_change_the_audit_log(entry):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEntry]
    assert not model_admin.has_change_permission(None, entry)
    assert not model_admin.has_delete_permission(None, entry)
    assert not model_admin.has_add_permission(None)


def test_deleting_an_account_with_records_is_refused(make_user):
    from django.db.models import ProtectedError

    user = make_user(Role.SPECIALIST)
    audit.record(action=AuditEntry.Action.EXPORT, actor=user)
    with pytest.raises(ProtectedError):
        user.delete()


def test_client_address_behind_the_proxy_is_the_last_forwarded_hop(rf, settings):
    from qinqing.audit import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.168.5.9")
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "192.168.5.9"
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(request) == "10.0.0.1"


def test_the_audit_log_is_the_auditors_alone(client_for, entry):
    """三员分立: the reform office and the administrator get neither the log nor its export, nor a link to
    it or the security events on their workbench; the office keeps its own exports (导出记录)."""
    for role in (Role.OFFICE, Role.ADMIN):
        client = client_for(role)
        assert client.get(reverse("audit:list")).status_code == 403
        assert client.get(reverse("audit:export")).status_code == 403
        workbench = client.get(reverse("ledger:workbench")).content.decode()
        assert reverse("audit:list") not in workbench
        assert "登录失败与拒绝访问" not in workbench
    office = client_for(Role.OFFICE)
    assert office.get(reverse("ledger:export_list")).status_code == 200
    auditor = client_for(Role.AUDITOR)
    assert reverse("audit:list") in auditor.get(reverse("ledger:workbench")).content.decode()
