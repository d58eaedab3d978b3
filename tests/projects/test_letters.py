"""One-time notification letters (一次性告知单): issuing, numbering, the frozen snapshot, the page, the PDF."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import NotificationLetter, TimelineEntry
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, StageFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_text, require_cjk_font

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
        heading = re.match(r"\s*\d+\.\s*(.*?)\s*</h2>", section)
        if heading:
            items[heading.group(1)] = section
    return items


# --- issuing -----------------------------------------------------------------------------------


def test_issue_redirects_numbers_and_records_the_timeline(specialist, project, matter_a, matter_b):
    response = _issue(specialist, project, [matter_a, matter_b])
    letter = NotificationLetter.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("projects:letter_detail", args=[letter.pk])
    assert letter.number == f"江北帮办告〔{_year()}〕0001号"
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
    assert [letter.number for letter in letters] == [f"江北帮办告〔{_year()}〕{n:04d}号" for n in (1, 2, 3)]


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
        assert f"<li>{material}</li>" in a
    assert "区住房城乡建委" in a
    assert "023-67001234" in a
    assert "施工许可阶段综合窗口（牵头单位：区政务服务中心）" in a
    assert "5 个工作日" in a
    assert "法定时限 15 个工作日" in a
    assert "可并联审批" in a
    assert "按合同约定" not in a

    b = items["地质灾害危险性评估"]
    assert f"<li>{MATERIALS_B[0]}</li>" in b
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

    matter_a.materials = ["新版施工许可申请表"]
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
    assert letter.items[0]["materials"] == MATERIALS_A
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
    assert exported.detail == f"下载 PDF：一次性告知单-{letter.year}-{letter.serial:04d}.pdf"
