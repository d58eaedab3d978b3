"""One-time notification letters (一次性告知单): issuing, numbering, the frozen snapshot, the page, the PDF."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import NotificationLetter, TimelineEntry
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, StageFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_pages_text, pdf_text, require_cjk_font

PROJECT_NAME = "嘉陵江滨江综合体项目"
MATERIALS_A = ["建筑工程施工许可申请表", "中标通知书及施工合同"]
MATERIALS_B = ["地质灾害评估委托合同"]


@pytest.fixture
def specialist(client_for):
    return client_for(Role.SPECIALIST, display_name="帮办专员甲")


@pytest.fixture
def project(specialist):
    return ProjectFactory(specialist=specialist.user, name=PROJECT_NAME)


@pytest.fixture
def unit(db):
    return DepartmentFactory(name="区住房城乡建委", contact_phone="023-67001234")


@pytest.fixture
def matter_a(unit):
    lead = DepartmentFactory(name="区政务服务中心")
    stage = StageFactory(number=3, name="施工许可阶段", lead_unit=lead)
    return MatterFactory(
        stage=stage,
        name="建筑工程施工许可证核发",
        unit=unit,
        time_limit_workdays=5,
        statutory_limit_workdays=15,
        materials=list(MATERIALS_A),
        allows_parallel=True,
    )


@pytest.fixture
def matter_b(db):
    stage = StageFactory(number=1, name="立项用地规划许可阶段")
    return MatterFactory(
        stage=stage,
        name="地质灾害危险性评估",
        category="中介服务",
        unit=DepartmentFactory(name="区地质勘查中介机构"),
        time_limit_workdays=0,
        materials=list(MATERIALS_B),
    )


def _issue(client, project, matters, **changes):
    data = {
        "matters": [m.pk for m in matters],
        "recipient": "重庆测试建设有限公司",
        "policies": "重点项目绿色通道\n可申请容缺受理",
        "note": "请携带原件核验",
    }
    data.update(changes)
    return client.post(reverse("projects:letter_create", args=[project.pk]), data)


def _year() -> int:
    return timezone.localdate().year


def _letter_html(page: str) -> str:
    start = page.index('data-testid="letter"')
    return page[start : page.index("</article>", start)]


def _items(letter_html: str) -> dict[str, str]:
    """Each matter's section of a letter page, by matter name."""
    items = {}
    for section in letter_html.split("<h2>")[1:]:
        heading = re.match(r"\s*\d+\.\s*(.*?)\s*(<span|</h2>)", section)
        if heading:
            items[heading.group(1)] = section
    return items


# --- issuing -----------------------------------------------------------------------------------


def test_issue_redirects_numbers_and_records_the_timeline(specialist, project, matter_a, matter_b):
    response = _issue(specialist, project, [matter_a, matter_b])
    letter = NotificationLetter.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("projects:letter_detail", args=[letter.pk])
    assert letter.number == f"江北帮办告〔{_year()}〕1号"  # GB/T 9704: no leading zeros
    assert letter.project == project
    assert letter.issued_by == specialist.user
    assert letter.recipient == "重庆测试建设有限公司"
    # items in stage order
    assert [item["name"] for item in letter.items] == ["地质灾害危险性评估", "建筑工程施工许可证核发"]
    entry = TimelineEntry.objects.get(project=project, kind=TimelineEntry.Kind.LETTER)
    assert entry.actor == specialist.user
    assert (entry.object_type, entry.object_id) == ("projects.notificationletter", str(letter.pk))
    assert letter.number in entry.summary


def test_letters_are_numbered_in_sequence_per_year(specialist, project, matter_a):
    _issue(specialist, project, [matter_a])
    _issue(specialist, project, [matter_a])
    # the numbering is the hall's, not the project's
    other = ProjectFactory(specialist=specialist.user)
    _issue(specialist, other, [matter_a])
    numbers = list(NotificationLetter.objects.order_by("id").values_list("serial", flat=True))
    assert numbers == [1, 2, 3]
    letters = NotificationLetter.objects.order_by("id")
    assert [letter.number for letter in letters] == [f"江北帮办告〔{_year()}〕{n}号" for n in (1, 2, 3)]


def test_no_matter_chosen_is_refused(specialist, project, matter_a):
    response = _issue(specialist, project, [])
    assert response.status_code == 200
    assert "请至少选择一个事项。" in response.content.decode()
    assert not NotificationLetter.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LETTER).exists()
    # no number was used up by the refusal
    _issue(specialist, project, [matter_a])
    assert NotificationLetter.objects.get().serial == 1


@pytest.mark.parametrize("field", ["policies", "note", "recipient"])
def test_markup_is_refused(specialist, project, matter_a, field):
    response = _issue(specialist, project, [matter_a], **{field: "<script>alert(1)</script>"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "不能包含 < 或 >" in page or "不能包含 &lt; 或 &gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert not NotificationLetter.objects.exists()


def test_only_the_projects_specialist_issues(client_for, project, matter_a):
    other = client_for(Role.SPECIALIST)
    response = _issue(other, project, [matter_a])
    assert response.status_code in (403, 404)
    assert not NotificationLetter.objects.exists()


# --- append-only -------------------------------------------------------------------------------


def test_issued_letter_cannot_be_changed_or_deleted(specialist, project, matter_a):
    _issue(specialist, project, [matter_a])
    letter = NotificationLetter.objects.get()
    letter.recipient = "改过的告知对象"
    with pytest.raises(PermissionError):
        letter.save()
    with pytest.raises(PermissionError):
        letter.delete()
    with pytest.raises(PermissionError):
        NotificationLetter.objects.filter(pk=letter.pk).update(recipient="改过的告知对象")
    with pytest.raises(PermissionError):
        NotificationLetter.objects.filter(pk=letter.pk).delete()
    assert NotificationLetter.objects.get(pk=letter.pk).recipient == "重庆测试建设有限公司"


# --- the letter page ---------------------------------------------------------------------------


def test_letter_page_shows_materials_unit_window_and_limits(specialist, project, matter_a, matter_b):
    _issue(specialist, project, [matter_a, matter_b])
    letter = NotificationLetter.objects.get()
    response = specialist.get(reverse("projects:letter_detail", args=[letter.pk]))
    assert response.status_code == 200
    html = _letter_html(response.content.decode())
    assert letter.number in html
    assert PROJECT_NAME in html
    items = _items(html)
    assert set(items) == {"建筑工程施工许可证核发", "地质灾害危险性评估"}

    a = items["建筑工程施工许可证核发"]
    for material in MATERIALS_A:
        assert f"<td>{material}</td>" in a
    assert "区住房城乡建委" in a
    assert "023-67001234" in a
    assert "施工许可阶段综合窗口（牵头单位：区政务服务中心）" in a
    assert "5 个工作日" in a
    assert "法定 15 个工作日" in a
    assert "可并联审批" in a
    assert "按合同约定" not in a

    b = items["地质灾害危险性评估"]
    assert f"<td>{MATERIALS_B[0]}</td>" in b
    assert "区地质勘查中介机构" in b
    assert "立项用地规划许可阶段综合窗口" in b
    assert "按合同约定" in b
    assert "个工作日" not in b

    assert "重点项目绿色通道<br>可申请容缺受理" in html
    assert "请携带原件核验" in html


def test_catalogue_edit_does_not_change_an_issued_letter(specialist, project, matter_a):
    _issue(specialist, project, [matter_a])
    letter = NotificationLetter.objects.get()
    url = reverse("projects:letter_detail", args=[letter.pk])
    before = _letter_html(specialist.get(url).content.decode())

    matter_a.materials.update(name="新版施工许可申请表")
    matter_a.unit = DepartmentFactory(name="新的责任单位局")
    matter_a.time_limit_workdays = 3
    matter_a.statutory_limit_workdays = 10
    matter_a.allows_parallel = False
    matter_a.save()
    project.name = "改名后的项目"
    project.code = "2612-500105-04-01-99999X"
    project.save()

    after = _letter_html(specialist.get(url).content.decode())
    assert after == before
    for material in MATERIALS_A:
        assert material in after
    assert "新版施工许可申请表" not in after
    assert "新的责任单位局" not in after
    assert "改名后的项目" not in after
    assert "2612-500105-04-01-99999X" not in after
    assert "3 个工作日" not in after
    assert "5 个工作日" in after
    letter.refresh_from_db()
    assert [m["name"] for m in letter.items[0]["materials"]] == MATERIALS_A
    assert letter.items[0]["unit"] == "区住房城乡建委"


# --- the PDF -----------------------------------------------------------------------------------


def test_letter_pdf_embeds_a_cjk_font_and_holds_the_text(specialist, project, matter_a):
    require_cjk_font()

    _issue(specialist, project, [matter_a])
    letter = NotificationLetter.objects.get()
    response = specialist.get(reverse("projects:letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    assert_cjk_fonts_embedded(response.content)
    text = flat(pdf_text(response.content))
    assert PROJECT_NAME in text
    assert MATERIALS_A[0] in text
    assert letter.number in text
    # the download is an export: a row of the audit log names who took which letter
    from qinqing.models import AuditEntry

    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, object_id=str(letter.pk))
    assert exported.actor == specialist.user
    assert exported.detail == f"下载 PDF：一次性告知单-{letter.year}-{letter.serial}.pdf"


# --- materials, contacts, look-up and the unverified rule (issue 15) ---------------------------


@pytest.fixture
def detailed_matter(unit):
    """A matter as an administrator records it: address, hours, phones, result, materials in detail."""
    from projects.models import Material

    unit.address = "江北区政务服务中心 3 楼 C01 窗口"
    unit.office_hours = "工作日 9:00—17:30"
    unit.save()
    stage = StageFactory(number=2, name="工程建设许可阶段", window_phone="023-67851102")
    matter = MatterFactory(
        stage=stage,
        name="建设工程规划许可证核发",
        unit=unit,
        materials=[],
        result_name="建设工程规划许可证",
        complaint_phone="023-12345",
    )
    rows = [
        {"name": "建设工程规划许可申请表", "form": "原件", "copies": "1份"},
        {"name": "建设工程设计方案总平面图", "form": "原件及复印件", "copies": "4份白图", "can_defer": True},
        {"name": "外商投资批准文件", "form": "复印件", "copies": "1份", "required": False, "condition": "外商投资项目"},
        {"name": "营业执照", "source": "数据共享", "issuer": "区市场监管局"},
    ]
    for position, row in enumerate(rows, start=1):
        Material.objects.create(matter=matter, position=position, verified=True, **row)
    return matter


def test_letter_lists_every_material_with_form_copies_and_contacts(specialist, project, detailed_matter):
    specialist.user.phone = "023-67851121"
    specialist.user.save()
    _issue(specialist, project, [detailed_matter])
    letter = NotificationLetter.objects.get()
    html = _letter_html(specialist.get(reverse("projects:letter_detail", args=[letter.pk])).content.decode())
    item = _items(html)["建设工程规划许可证核发"]
    for text in (
        "建设工程规划许可申请表",
        "4份白图",
        "原件及复印件",
        "可容缺，受理后补交",
        "外商投资项目时提交",
        "江北区政务服务中心 3 楼 C01 窗口",
        "工作日 9:00—17:30",
        "023-67001234",  # the unit's phone
        "023-67851102",  # the window's phone
        "《建设工程规划许可证》",
        "投诉电话 023-12345",
    ):
        assert text in item, text
    # a material obtained by data sharing is not asked for
    assert "区市场监管局等部门通过数据共享获取，无需提交：营业执照" in item
    assert "<td>营业执照</td>" not in item
    assert "李晓帮" not in html
    assert "023-67851121" in html
    assert "申请人已收到本告知单" in html
    assert "（盖章）" in html


def test_a_matter_without_verified_materials_needs_the_specialists_statement(specialist, project, unit):
    unverified = MatterFactory(name="夜间施工审批", unit=unit, materials=["夜间施工申请表"], materials__verified=False)
    empty = MatterFactory(name="考古调查勘探", unit=unit, materials=[])
    url = reverse("projects:letter_create", args=[project.pk])
    # the form asks for the statement on exactly the unverified matters chosen
    page = specialist.post(url, {"matters": [unverified.pk, empty.pk], "recipient": "甲公司"}).content.decode()
    assert "尚未经管理员核实" in page
    assert "夜间施工审批、考古调查勘探" in page
    assert f'name="guide_told" value="{unverified.pk}"' in page
    assert not NotificationLetter.objects.exists()
    # one ticked, one not: still refused, nothing issued, no number used
    response = specialist.post(
        url, {"matters": [unverified.pk, empty.pk], "guide_told": [unverified.pk], "recipient": "甲公司"}
    )
    assert "考古调查勘探" in response.content.decode()
    assert not NotificationLetter.objects.exists()
    response = specialist.post(
        url, {"matters": [unverified.pk, empty.pk], "guide_told": [unverified.pk, empty.pk], "recipient": "甲公司"}
    )
    letter = NotificationLetter.objects.get()
    assert response.status_code == 302
    assert letter.serial == 1
    assert all(item["guide_told"] and item["materials"] == [] for item in letter.items)
    html = _letter_html(specialist.get(reverse("projects:letter_detail", args=[letter.pk])).content.decode())
    assert "夜间施工申请表" not in html  # unverified materials are never printed
    assert html.count("办事指南为准，帮办专员已当面告知") == 2
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.LETTER)
    assert entry.detail["按办事指南当面告知"] == "夜间施工审批、考古调查勘探"
    assert "已当面告知" in entry.summary


def test_a_project_without_code_gets_a_lookup_number_and_the_qr_code_points_to_it(specialist, matter_a):
    from tests.pdf import pdf_qr_codes

    require_cjk_font()
    project = ProjectFactory(specialist=specialist.user, code="")
    _issue(specialist, project, [matter_a])
    letter = NotificationLetter.objects.get()
    project.refresh_from_db()
    assert re.fullmatch(r"JB[2-9A-HJKMNP-Z]{8}", project.lookup_no)
    assert letter.lookup_code == project.lookup_no
    expected = f"http://testserver/progress/?code={project.lookup_no}"
    assert letter.contact["lookup_url"] == expected
    pdf = specialist.get(reverse("projects:letter_pdf", args=[letter.pk])).content
    assert pdf_qr_codes(pdf) == [expected]
    text = flat(pdf_text(pdf))
    assert f"查询码{project.lookup_no}" in text
    # a second letter keeps the number
    _issue(specialist, project, [matter_a])
    assert NotificationLetter.objects.latest("id").lookup_code == project.lookup_no
    # a project with a code is looked up by its code
    coded = ProjectFactory(specialist=specialist.user)
    _issue(specialist, coded, [matter_a])
    assert NotificationLetter.objects.latest("id").lookup_code == coded.code
    coded.refresh_from_db()
    assert coded.lookup_no == ""


def test_a_matters_heading_never_ends_a_page(specialist, project, unit):
    """Twenty matters of one to seven materials, so page breaks fall at every height of a section (without
    the print rules some heading ends a page): each matter's heading shares its page with its first row."""
    require_cjk_font()
    sizes = [(n * 5) % 7 + 1 for n in range(1, 21)]
    matters = [
        MatterFactory(
            name=f"分页测试事项{n:02d}", unit=unit, materials=[f"分页材料{n:02d}-{k}" for k in range(1, size + 1)]
        )
        for n, size in enumerate(sizes, start=1)
    ]
    _issue(specialist, project, matters)
    letter = NotificationLetter.objects.get()
    pages = pdf_pages_text(specialist.get(reverse("projects:letter_pdf", args=[letter.pk])).content)
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        text = flat(page)
        for heading in re.findall(r"\d+\.分页测试事项\d\d", text):
            after = text[text.index(heading) + len(heading) :]
            assert after.startswith("责任单位"), f"第 {number} 页：{heading} 与其首行分开"
    joined = flat("".join(pages))
    assert all(f"分页材料{n:02d}-{size}" in joined for n, size in enumerate(sizes, start=1))


def test_consultation_matters_and_policies_are_carried_into_the_letter_and_matters_add(
    specialist, project, matter_a, matter_b
):
    from projects import services

    consultation = services.consultation_log(
        actor=specialist.user,
        request=None,
        project=project,
        visited_at=timezone.now(),
        kind="咨询",
        visitor_name="王经理",
        question="施工许可怎么办？",
        policies="开工“一件事”集成办理",
        outcome="一次性告知",
        matters=[matter_a, matter_b],
    )
    page = specialist.get(reverse("projects:letter_create", args=[project.pk])).content.decode()
    assert 'data-testid="carried"' in page
    for matter in (matter_a, matter_b):
        assert re.search(rf'value="{matter.pk}"[^>]*checked', page)
    assert "开工“一件事”集成办理</textarea>" in page
    response = _issue(specialist, project, [matter_a], consultation=consultation.pk)
    assert response.status_code == 302
    assert NotificationLetter.objects.get().consultation == consultation
    page = specialist.get(reverse("projects:matters_add", args=[project.pk])).content.decode()
    assert re.search(rf'value="{matter_a.pk}"[^>]*checked', page)
    assert re.search(rf'value="{matter_b.pk}"[^>]*checked', page)


def test_a_bundle_puts_all_its_matters_on_the_letter(specialist, project, matter_a, unit):
    from projects.models import MatterBundle

    other = MatterFactory(name="城市建筑垃圾处置核准", unit=unit)
    bundle = MatterBundle.objects.create(name="开工“一件事”")
    bundle.matters.set([matter_a, other])
    response = specialist.post(
        reverse("projects:letter_create", args=[project.pk]), {"bundles": [bundle.pk], "recipient": "甲公司"}
    )
    assert response.status_code == 302
    letter = NotificationLetter.objects.get()
    assert {item["name"] for item in letter.items} == {matter_a.name, other.name}
    assert all(item["bundles"] == ["开工“一件事”"] for item in letter.items)


def test_a_letter_issued_before_structured_materials_still_shows_its_list(specialist, project, matter_a):
    """Letters are kept as issued: an old snapshot's plain material names are printed as they were."""
    _issue(specialist, project, [matter_a])
    letter = NotificationLetter.objects.get()
    items = [{**letter.items[0], "materials": ["旧版申请表", "旧版设计图纸"]}]
    items[0].pop("guide_told")
    # append-only: write the old shape past the model's guard, as the old code stored it
    from django.db.models import QuerySet

    QuerySet.update(NotificationLetter.objects.filter(pk=letter.pk), items=items)
    html = _letter_html(specialist.get(reverse("projects:letter_detail", args=[letter.pk])).content.decode())
    assert "<td>旧版申请表</td>" in html
    assert "<td>旧版设计图纸</td>" in html


def test_the_dossier_shows_a_codeless_projects_lookup_number(specialist):
    from projects import services

    project = services.project_create(
        actor=specialist.user,
        request=None,
        name="无代码项目",
        builder="重庆甲公司",
        contact_name="张三",
        contact_phone="13800001234",
        investment_type="社会投资",
    )
    assert project.lookup_no.startswith("JB")
    page = specialist.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert f'data-testid="lookup-no">{project.lookup_no}' in page
