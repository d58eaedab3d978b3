"""The matter catalogue: loading the seed, reading it, correcting a matter."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Material, Matter, MatterBundle, Stage
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
    survey = Matter.objects.get(name="地质灾害危险性评估")
    assert survey.by_contract
    assert survey.note == "按合同约定"
    assert not survey.materials.exists()


def test_reference_materials_load_unverified_with_their_source(catalogue):
    """GIVEN the reference lists of 31 matters WHEN the catalogue loads THEN each matter has them in order,
    with form and copies where the source says, marked 待核实, citing the source."""
    from_reference = Matter.objects.exclude(materials__reference__startswith="事项目录种子").filter(
        materials__isnull=False
    )
    assert from_reference.distinct().count() == 31
    assert not Material.objects.filter(verified=True).exists()
    plan = Matter.objects.get(name="建设工程规划许可证核发")
    names = list(plan.materials.values_list("name", flat=True))
    assert len(names) == 13
    licence = Matter.objects.get(name="企业投资项目核准").materials.get(position=1)
    assert licence.form == Material.Form.BOTH
    assert "南京江北新区" in licence.reference
    assert Material.objects.filter(copies="1份").count() >= 30
    # matters.csv's short lists fill the matters the reference lacks
    seed_only = Matter.objects.get(name="地震安全性评价（抗震设防要求确定）")
    assert all(m.reference.startswith("事项目录种子") for m in seed_only.materials.all())
    # a second load adds nothing
    before = Material.objects.count()
    call_command("load_catalogue", stdout=io.StringIO())
    assert Material.objects.count() == before


def test_known_chongqing_differences_and_bundles(catalogue):
    fire = Matter.objects.get(name="建设工程消防设计审查")
    assert (fire.time_limit_workdays, fire.statutory_limit_workdays) == (3, 15)
    assert Matter.objects.get(name="联合验收").time_limit_workdays == 7
    assert "联合验收意见书" in Matter.objects.get(name="竣工验收备案").note
    # legal limits from the reference held apart from the committed ones
    registration = Matter.objects.get(name="不动产首次登记")
    assert (registration.time_limit_workdays, registration.statutory_limit_workdays) == (5, 30)
    start = MatterBundle.objects.get(name="开工“一件事”")
    assert set(start.matters.values_list("name", flat=True)) == {
        "建筑工程施工许可证核发",
        "建设工程消防设计审查",
        "城市建筑垃圾处置核准",
        "城镇污水排入排水管网许可",
    }
    assert Matter.objects.get(name="建设项目用地预审与选址意见书核发").handling == Matter.Handling.IMMEDIATE


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
        "stage": matter.stage_id,
        "name": matter.name,
        "category": matter.category,
        "unit": matter.unit_id,
        "handling": matter.handling,
        "time_limit_workdays": matter.time_limit_workdays,
        "statutory_limit_workdays": matter.statutory_limit_workdays or "",
        "channel": matter.channel,
        "fees": matter.fees,
        "note": matter.note,
        "is_active": "on",
        "version": matter.version,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


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
            office_address="江北区政务服务中心 2 楼 B15 窗口",
            complaint_phone="023-12345",
            result_name="建设用地规划许可证",
            allows_parallel="on",
        ),
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert (matter.time_limit_workdays, matter.statutory_limit_workdays) == (4, 20)
    assert matter.address == "江北区政务服务中心 2 楼 B15 窗口"
    assert matter.allows_parallel
    entry = AuditEntry.objects.get(object_type="projects.matter", object_id=str(matter.pk))
    assert entry.before["承诺时限"] == 5
    assert entry.after["承诺时限"] == 4
    # stale form refused, nothing overwritten
    response = admin.post(url, _form(matter, version=0, time_limit_workdays=9))
    assert "已被他人修改" in response.content.decode()
    matter.refresh_from_db()
    assert matter.time_limit_workdays == 4


def test_admin_adds_a_matter_moves_it_and_retires_it_with_history(client_for, catalogue):
    admin = client_for(Role.ADMIN)
    stage3, stage4 = Stage.objects.get(number=3), Stage.objects.get(number=4)
    unit = Matter.objects.get(name="建筑工程施工许可证核发").unit
    response = admin.post(
        reverse("projects:matter_create"),
        {
            "stage": stage3.pk,
            "name": "建设工程质量安全监督登记",
            "category": "备案",
            "unit": unit.pk,
            "handling": "即办件",
            "time_limit_workdays": 1,
            "is_active": "on",
        },
    )
    matter = Matter.objects.get(name="建设工程质量安全监督登记")
    assert response.status_code == 302
    assert response.url == reverse("projects:matter_detail", args=[matter.pk])
    # the same name in the same stage is refused
    response = admin.post(
        reverse("projects:matter_create"),
        {
            "stage": stage3.pk,
            "name": matter.name,
            "category": "备案",
            "unit": unit.pk,
            "handling": "即办件",
            "time_limit_workdays": 1,
            "is_active": "on",
        },
    )
    assert "已有名为" in response.content.decode()
    # moved to another stage, then retired: a reason is required
    url = reverse("projects:matter_edit", args=[matter.pk])
    assert admin.post(url, _form(matter, stage=stage4.pk, reason="按市级目录调整")).status_code == 302
    matter.refresh_from_db()
    assert matter.stage == stage4
    response = admin.post(url, _form(matter, is_active=None))
    assert "停用事项须写明停用原因" in response.content.decode()
    assert admin.post(url, _form(matter, is_active=None, retired_reason="并入开工“一件事”")).status_code == 302
    matter.refresh_from_db()
    assert not matter.is_active
    assert matter.retired_reason == "并入开工“一件事”"
    reasons = list(matter.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[0] == "新增事项"
    assert "由施工许可阶段调整到竣工验收阶段" in reasons[1]
    assert "按市级目录调整" in reasons[1]
    assert "停用：并入开工“一件事”" in reasons[2]
    page = admin.get(reverse("projects:matter_detail", args=[matter.pk])).content.decode()
    assert "由施工许可阶段调整到竣工验收阶段" in page
    assert "已停用" in page


def _material(**changes):
    data = {
        "name": "建设工程施工许可申请表",
        "form": "原件",
        "copies": "4份白图",
        "medium": "纸质",
        "source": "申请人自备",
        "required": "on",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_records_and_verifies_materials(client_for, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = client_for(Role.ADMIN)
    matter = Matter.objects.get(name="夜间施工审批")
    count = matter.materials.count()
    template = SimpleUploadedFile("申请表.docx", b"PK\x03\x04 template", content_type="application/octet-stream")
    response = admin.post(
        reverse("projects:material_create", args=[matter.pk]), {**_material(), "template_file": template}
    )
    assert response.status_code == 302
    material = matter.materials.get(name="建设工程施工许可申请表")
    assert (material.position, material.form, material.copies, material.verified) == (
        count + 1,
        "原件",
        "4份白图",
        False,
    )
    assert material.template_file.name.endswith(".docx")
    assert admin.get(reverse("projects:material_template", args=[material.pk])).status_code == 200
    # conditional without its condition, shared without its issuer, a wrong file type: refused
    for changes, message in (
        ({"required": None}, "须写明提交情形"),
        ({"source": "数据共享"}, "须写明出具单位"),
        ({"name": "<b>x</b>"}, "标记字符"),
    ):
        response = admin.post(reverse("projects:material_create", args=[matter.pk]), _material(**changes))
        assert message in response.content.decode()
    bad = SimpleUploadedFile("x.exe", b"MZ")
    response = admin.post(reverse("projects:material_create", args=[matter.pk]), {**_material(), "template_file": bad})
    assert "只能是" in response.content.decode()
    assert matter.materials.count() == count + 1
    # verify: ticked materials only
    ids = list(matter.materials.filter(verified=False).values_list("pk", flat=True))
    response = admin.post(reverse("projects:materials_verify", args=[matter.pk]), {"material": ids[:2]})
    assert response.status_code == 302
    verified = Material.objects.filter(pk__in=ids[:2])
    assert all(m.verified and m.verified_by_id and m.verified_at for m in verified)
    assert matter.materials.filter(verified=False).count() == len(ids) - 2
    assert AuditEntry.objects.filter(object_type="projects.matter", detail__contains="核实申请材料 2 项").exists()
    # the catalogue shows what is left to check
    page = admin.get(reverse("projects:catalogue"), {"unverified": "1", "q": "夜间"}).content.decode()
    assert "待核实" in page
    assert "夜间施工审批" in page
    # only the administrator writes materials
    for role in (Role.SPECIALIST, Role.OFFICE):
        client = client_for(role)
        assert client.get(reverse("projects:material_create", args=[matter.pk])).status_code == 403
        assert client.post(reverse("projects:materials_verify", args=[matter.pk]), {"material": ids}).status_code == 403
    assert client_for(Role.SPECIALIST).get(reverse("projects:matter_detail", args=[matter.pk])).status_code == 200


def test_admin_edits_a_bundle(client_for, catalogue):
    admin = client_for(Role.ADMIN)
    names = ["规划条件核实", "城建档案验收"]
    ids = list(Matter.objects.filter(name__in=names).values_list("pk", flat=True))
    response = admin.post(
        reverse("projects:bundle_create"), {"name": "测绘验收合一", "matters": ids, "is_active": "on"}
    )
    assert response.status_code == 302
    bundle = MatterBundle.objects.get(name="测绘验收合一")
    assert set(bundle.matters.values_list("name", flat=True)) == set(names)
    response = admin.post(
        reverse("projects:bundle_edit", args=[bundle.pk]), {"name": "测绘验收合一", "matters": ids[:1], "version": 0}
    )
    assert "至少包含两个事项" in response.content.decode()
    assert client_for(Role.SPECIALIST).get(reverse("projects:bundle_create")).status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_limit_workdays": "-1"}, "大于或等于0"),
        ({"time_limit_workdays": "abc"}, "输入整数"),
        ({"time_limit_workdays": "10", "statutory_limit_workdays": "5"}, "法定时限不能短于承诺时限"),
        ({"name": ""}, "必填"),
        ({"name": "<script>x</script>"}, "标记字符"),
        ({"enquiry_phone": "abc"}, "电话"),
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
    for url in (reverse("projects:matter_edit", args=[matter.pk]), reverse("projects:matter_create")):
        for role in [Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.OFFICE]:
            assert client_for(role).get(url).status_code == 403
        assert client_for(Role.ADMIN).get(url).status_code == 200
