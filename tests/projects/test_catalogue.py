"""The matter catalogue: loading the seed, reading it, correcting a matter."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Matter, Stage
from qinqing.models import AuditEntry
from qinqing.roles import STAFF_ROLES, Role


@pytest.fixture
def catalogue(db):
    call_command("load_catalogue", stdout=io.StringIO())


def test_load_is_idempotent_and_keeps_admin_edits(catalogue):
    assert Stage.objects.count() == 6
    assert Matter.objects.count() == 45
    matter = Matter.objects.get(name="建设用地规划许可证核发")
    assert matter.time_limit_workdays == 5
    assert matter.unit.name == "市规划自然资源局江北区分局"
    matter.time_limit_workdays = 3
    matter.save()
    out = io.StringIO()
    call_command("load_catalogue", stdout=out)
    assert "新建事项 0 个" in out.getvalue()
    matter.refresh_from_db()
    assert matter.time_limit_workdays == 3
    approval = Matter.objects.get(name="建设项目用地预审与选址意见书核发")
    assert approval.materials[:2] == ["申请表", "立项文件"]
    survey = Matter.objects.get(name="地质灾害危险性评估")
    assert survey.by_contract
    assert survey.note == "按合同约定"


def test_load_refuses_a_missing_file(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="找不到文件"):
        call_command("load_catalogue", "/nonexistent.csv", stdout=io.StringIO())


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_every_role_reads_the_catalogue(client_for, catalogue, role):
    client = client_for(role)
    page = client.get(reverse("projects:catalogue"), {"stage": "3"}).content.decode()
    assert "建筑工程施工许可证核发" in page
    assert "企业投资项目备案" not in page
    assert ("修改</a>" in page) is (role == Role.ADMIN)


def test_the_auditor_does_not_read_the_catalogue(client_for, catalogue):
    """三员分立: the auditor reads the audit log and nothing else."""
    assert client_for(Role.AUDITOR).get(reverse("projects:catalogue")).status_code == 403


def test_catalogue_query_count_is_flat(client_for, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(Role.SPECIALIST)

    def count(params):
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("projects:catalogue"), params)
        return len(ctx.captured_queries)

    assert count({"stage": "6"}) == count({})


def _form(matter, **changes):
    data = {
        "name": matter.name,
        "category": matter.category,
        "unit": matter.unit_id,
        "time_limit_workdays": matter.time_limit_workdays,
        "statutory_limit_workdays": "",
        "materials": "\n".join(matter.materials),
        "note": matter.note,
        "is_active": "on",
        "version": matter.version,
    }
    data.update(changes)
    return data


def test_admin_corrects_a_matter(client_for, catalogue):
    admin = client_for(Role.ADMIN)
    matter = Matter.objects.get(name="建设用地规划许可证核发")
    url = reverse("projects:matter_edit", args=[matter.pk])
    response = admin.post(
        url,
        _form(
            matter,
            time_limit_workdays=4,
            statutory_limit_workdays=20,
            materials="申请表\n用地红线图",
            allows_parallel="on",
        ),
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert (matter.time_limit_workdays, matter.statutory_limit_workdays) == (4, 20)
    assert matter.materials == ["申请表", "用地红线图"]
    assert matter.allows_parallel
    entry = AuditEntry.objects.get(object_type="projects.matter", object_id=str(matter.pk))
    assert entry.before["承诺时限"] == 5
    assert entry.after["承诺时限"] == 4
    # stale form refused, nothing overwritten
    response = admin.post(url, _form(matter, version=0, time_limit_workdays=9))
    assert "已被他人修改" in response.content.decode()
    matter.refresh_from_db()
    assert matter.time_limit_workdays == 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_limit_workdays": "-1"}, "大于或等于0"),
        ({"time_limit_workdays": "abc"}, "输入整数"),
        ({"time_limit_workdays": "10", "statutory_limit_workdays": "5"}, "法定时限不能短于承诺时限"),
        ({"name": ""}, "必填"),
        ({"name": "<script>x</script>"}, "标记字符"),
        ({"materials": "甲" * 101}, "最多 100 个字符"),
    ],
)
def test_bad_matter_input_saves_nothing(client_for, catalogue, changes, message):
    admin = client_for(Role.ADMIN)
    matter = Matter.objects.get(name="建设用地规划许可证核发")
    response = admin.post(reverse("projects:matter_edit", args=[matter.pk]), _form(matter, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    matter.refresh_from_db()
    assert matter.version == 0


def test_only_admin_edits_the_catalogue(client_for, catalogue):
    matter = Matter.objects.first()
    url = reverse("projects:matter_edit", args=[matter.pk])
    for role in [Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.OFFICE]:
        assert client_for(role).get(url).status_code == 403
    assert client_for(Role.ADMIN).get(url).status_code == 200
