"""The audit log as an auditor reads it, on the page and in the Excel export: object types by their
Chinese names and only the system's own; old → new in words; local time; the actor's 姓名 beside the
username; the address a background job was asked from."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from qinqing import audit, selectors
from qinqing.filters import AuditFilter
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory


@pytest.fixture
def auditor(client_for):
    return client_for(Role.AUDITOR, display_name="钱审计")


def _table(client, **params) -> str:
    """The page's table only (the filter above it names every object type), as text without tags."""
    response = client.get(reverse("audit:list"), params)
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('data-testid="audit-table"') : page.index("</table>")]
    return re.sub(r"<[^>]+>", "", table)


def _exported(client, **params) -> list[dict]:
    response = client.get(reverse("audit:export"), params)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content))["审计日志"].iter_rows(values_only=True))
    assert rows[3] == selectors.AUDIT_COLUMNS
    return [dict(zip(selectors.AUDIT_COLUMNS, row, strict=True)) for row in rows[4:]]


def test_the_type_filter_offers_only_the_systems_own_records():
    """GIVEN the filter WHEN its type choices are listed THEN they are the five parts' records by their
    Chinese names, grouped by part, with none of Django's or its libraries' tables and no history copies."""
    groups = dict(AuditFilter().form.fields["object_type"].choices)
    assert {"项目档案", "阶段窗口", "督查回访", "工作台账"} <= set(groups)
    values = {value for group in groups.values() if isinstance(group, list) for value, _ in group}
    assert {"projects.project", "qinqing.user", "followups.escalation", "ledger.export"} <= values
    assert {value.split(".")[0] for value in values} == set(audit.OWN_APPS)
    assert not [value for value in values if ".historical" in value]
    labels = dict(choice for group in groups.values() if isinstance(group, list) for choice in group)
    assert labels["projects.project"] == "项目档案"
    assert labels["followups.rectification"] == "整改"


def test_a_type_outside_the_system_is_not_a_choice(auditor):
    page = auditor.get(reverse("audit:list"), {"object_type": "sessions.session"}).content.decode()
    assert "对象类型：选择一个有效的选项" in page  # the error under the filter
    assert '<option value="projects.project">项目档案</option>' in page
    assert '<optgroup label="项目档案">' in page
    for other in ("sessions.", "contenttypes.", "axes.", "auth.", "simple_history", "qinqing.historical"):
        assert f'<option value="{other}' not in page


def test_object_types_in_chinese_on_the_page_and_in_the_export(auditor):
    project = ProjectFactory(name="滨江花园")
    audit.record(action=AuditEntry.Action.REVEAL, actor=auditor.user, obj=project, detail="查看联系电话")
    table = _table(auditor, object_type="projects.project")
    assert "项目档案" in table
    assert "projects.project" not in table
    described = _table(auditor)
    assert "项目档案" in described
    row = next(r for r in _exported(auditor) if r["说明"] == "查看联系电话")
    assert row["对象类型"] == "项目档案"
    # the filter in words says the type's name too
    assert audit.object_type_label("projects.project") == "项目档案"
    assert audit.object_type_label("gone.model") == "gone.model"


def test_old_and_new_values_in_words(auditor):
    """GIVEN changes holding lists, booleans, nothing and a field's own name WHEN shown THEN words:
    状态：审查中 → 已办结; lists joined with 、; 是/否; （空）; the field's Chinese name."""
    user = auditor.user
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=user,
        obj=user,
        before={"状态": "审查中", "角色": ["帮办专员"], "must_change_password": True, "phone": "", "备注": None},
        after={"状态": "已办结", "角色": ["帮办专员", "区工改办"], "must_change_password": False, "phone": "023-1"},
        detail="变更测试",
    )
    expected = [
        "状态：审查中 → 已办结",
        "角色：帮办专员 → 帮办专员、区工改办",
        "下次登录须修改密码：是 → 否",
        "办公电话：（空） → 023-1",
        "备注：（空） → （空）",
    ]
    entry = AuditEntry.objects.get(detail="变更测试")
    # (PostgreSQL's jsonb keeps its own key order)
    assert sorted(str(change) for change in audit.changes(entry)) == sorted(expected)
    table = _table(auditor, action="update")
    assert "['" not in table
    assert "True" not in table
    assert "None" not in table
    assert "帮办专员、区工改办" in table
    assert "下次登录须修改密码" in table
    row = next(r for r in _exported(auditor) if r["说明"] == "变更测试")
    assert sorted(row["变更（原值 → 新值）"].split("\n")) == sorted(expected)


def test_a_creation_lists_the_new_values_and_a_stored_choice_reads_as_its_label(db):
    entry = audit.record(action=AuditEntry.Action.CREATE, username="x", after={"姓名": "张三", "角色": []})
    assert sorted(str(c) for c in audit.changes(entry)) == ["姓名：张三", "角色：（空）"]
    # a snapshot keyed by a field's name whose value is a stored choice
    other = audit.record(action=AuditEntry.Action.EXPORT, username="x")
    entry = audit.record(
        action=AuditEntry.Action.UPDATE, username="x", obj=other, before={"action": "export"}, after={"action": "login"}
    )
    assert [str(c) for c in audit.changes(entry)] == ["操作：导出 → 登录"]
    assert audit.value_text({"出席单位": "2/3", "议定事项": 3}) == "出席单位：2/3；议定事项：3"
    assert audit.value_text(2.0) == "2"
    # whole snapshots on both sides (a merge): only the fields that differ
    entry = audit.record(
        action=AuditEntry.Action.UPDATE,
        username="x",
        before={"名称": "甲", "备注": ""},
        after={"名称": "甲", "备注": "乙"},
    )
    assert [str(c) for c in audit.changes(entry)] == ["备注：（空） → 乙"]


def test_local_time_on_the_page_in_the_export_and_in_values(auditor):
    """GIVEN a row written at 16:30 UTC WHEN read THEN it shows 00:30 the next day, Beijing time, on the
    page, in the export and in its string; a moment stored in a value is shown in local time too."""
    at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    AuditEntry(
        action=AuditEntry.Action.UPDATE,
        actor_username="night",
        created_at=at,
        after={"发送时间": at.isoformat()},
        detail="夜间",
    ).save()
    table = _table(auditor, user="night")
    assert "2026-03-02 00:30:00" in table
    assert "发送时间：2026-03-02 00:30" in table
    assert "16:30" not in table
    row = next(r for r in _exported(auditor, user="night"))
    assert row["时间"] == datetime(2026, 3, 2, 0, 30)  # noqa: DTZ001 - Excel holds local time without a zone
    assert row["变更（原值 → 新值）"] == "发送时间：2026-03-02 00:30"
    assert str(AuditEntry.objects.get(detail="夜间")).startswith("2026-03-02 00:30:00")


def test_the_actors_name_beside_the_username(auditor, make_user):
    worker = make_user(Role.SPECIALIST, username="li_bang", display_name="李晓帮")
    audit.record(action=AuditEntry.Action.EXPORT, actor=worker, detail="导出台账")
    table = _table(auditor, user="li_bang")
    assert "li_bang" in table
    assert "李晓帮" in table
    row = next(r for r in _exported(auditor, user="li_bang"))
    assert (row["用户名"], row["姓名"]) == ("li_bang", "李晓帮")
    # a failed sign-in has a username and no account: no name
    audit.record(action=AuditEntry.Action.LOGIN_FAILED, username="nobody", result=AuditEntry.Result.FAILURE)
    row = next(r for r in _exported(auditor, user="nobody"))
    assert row["姓名"] in ("", None)


def test_a_background_job_shows_who_asked_and_from_where(auditor, make_user):
    """GIVEN a row written by a background job (no request) with the asker and the address they asked
    from WHEN the auditor reads the log THEN both show, and the address filter finds it."""
    asker = make_user(Role.OFFICE, username="zhao_office", display_name="赵督查")
    audit.record(action=AuditEntry.Action.EXPORT, actor=asker, ip="10.9.8.7", detail="后台导出台账 120 个项目")
    table = _table(auditor, ip="10.9.8.7")
    assert "10.9.8.7" in table
    assert "zhao_office" in table
    assert "赵督查" in table
    assert "后台导出台账" in table
    row = next(r for r in _exported(auditor, ip="10.9.8.7"))
    assert (row["IP 地址"], row["姓名"]) == ("10.9.8.7", "赵督查")
