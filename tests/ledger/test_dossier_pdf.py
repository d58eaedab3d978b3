"""The dossier PDF (项目全过程档案): what it holds for whom, its archive row, who may print it, its
query count, and the panel on the dossier page that offers it."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger.models import Export
from projects import services, timeline
from projects.models import ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_page_size, pdf_text, require_cjk_font

FULL_PHONE = "13983012345"
MASKED_PHONE = "139****2345"


# --- helpers -----------------------------------------------------------------------------------


def _pdf(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _pdf_text(response) -> str:
    """The PDF's text in the order it was written (row by row, cell by cell), with all white space
    removed: table cells wrap wherever their width ends."""
    return flat(pdf_text(_pdf(response), raw=True))


def _accept(pm, on: date, actor=None):
    return services.matter_move(
        actor=actor or pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status="已受理",
        on=on,
    )


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, 30, tzinfo=timezone.get_current_timezone())


def _url(project) -> str:
    return reverse("ledger:dossier_pdf", args=[project.pk])


@pytest.fixture
def specialist(client_for) -> Client:
    return client_for(Role.SPECIALIST, display_name="李明华")


@pytest.fixture
def hall(specialist):
    """A project with every fact filled in, one letter, two matters at two stages and a timeline."""
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区规划自然资源局")
    planning = StageFactory(number=1, name="立项用地规划许可阶段")
    permit = StageFactory(number=3, name="施工许可阶段")
    project = ProjectFactory(
        name="滨江花园二期",
        code="2601-500105-04-01-38271X",
        builder="重庆滨江置业有限公司",
        contact_name="陈建国",
        contact_phone=FULL_PHONE,
        site="江北区五里店街道",
        investment_type="社会投资",
        nature="扩建",
        category="房屋建筑",
        land_area=Decimal("12000.50"),
        floor_area=Decimal("45678.25"),
        total_investment=Decimal("12345.6"),
        is_key=True,
        specialist=specialist.user,
        status="在办",
        current_stage=permit,
        registered_on=date(2026, 1, 5),
        completed_on=date(2026, 6, 30),
        note="区级重点民生项目",
    )
    permit_matter = MatterFactory(stage=permit, name="施工许可证核发", unit=unit_a, time_limit_workdays=5)
    planning_matter = MatterFactory(stage=planning, name="规划许可证核发", unit=unit_b, time_limit_workdays=10)
    pm_a = ProjectMatterFactory(project=project, matter=permit_matter)
    pm_b = ProjectMatterFactory(project=project, matter=planning_matter, mode="并联审批")
    _accept(pm_a, date(2026, 3, 2))
    letter = services.letter_issue(
        actor=specialist.user,
        request=None,
        project_id=project.pk,
        matters=[permit_matter, planning_matter],
        recipient="重庆滨江置业有限公司",
    )
    timeline.record(
        project, TimelineEntry.Kind.FEEDBACK, specialist.user, "电话告知申请人补齐总平面图", occurred_at=_at(1)
    )
    timeline.record(
        project,
        TimelineEntry.Kind.MATTER,
        specialist.user,
        "规划许可证核发：申请人准备材料",
        occurred_at=_at(20),
        project_matter=pm_b,
    )
    return {
        "project": project,
        "unit_a": unit_a,
        "unit_b": unit_b,
        "pm_a": pm_a,
        "pm_b": pm_b,
        "letter": letter,
    }


# --- what the PDF holds ------------------------------------------------------------------------


def test_the_pdf_holds_the_facts_letters_matters_and_timeline(specialist, hall):
    require_cjk_font()
    response = specialist.get(_url(hall["project"]))
    text = _pdf_text(response)

    assert "滨江花园二期全过程档案" in text
    assert "江北区工程建设项目审批服务大厅" in text  # the hall's name (settings.HALL_NAME)
    # the facts
    for fact in (
        "2601-500105-04-01-38271X",
        "重庆滨江置业有限公司",
        hall["project"].builder_credit_code,
        "陈建国",
        "江北区五里店街道",
        "社会投资",
        "扩建",
        "房屋建筑",
        "12000.50㎡",
        "45678.25㎡",
        "12,345.60万元",
        "重点项目是",
        "帮办专员李明华",
        "项目状态在办",
        "所处阶段施工许可阶段",
        "2026年1月5日",
        "2026年6月30日",
        "区级重点民生项目",
    ):
        assert fact in text, fact
    # the phone is masked, even for the specialist who may reveal it on the page
    assert MASKED_PHONE in text
    assert FULL_PHONE not in text
    # the letter
    assert hall["letter"].number in text
    # the matters, grouped by stage in stage order, with unit, mode, status and dates
    assert text.index("1.立项用地规划许可阶段1规划许可证核发区规划自然资源局并联审批待申报") < text.index(
        "3.施工许可阶段2施工许可证核发区住房城乡建委常规已受理2026-03-02"
    )
    assert "已办结0/1" in text
    assert "区住房城乡建委" in text
    assert "区规划自然资源局" in text
    assert "并联审批" in text
    assert "已受理" in text
    assert "待申报" in text
    assert "2026-03-02" in text
    assert ProjectMatter.objects.get(pk=hall["pm_a"].pk).due_on.isoformat() in text
    assert "逾期" in text  # accepted in March 2026 with five working days: past due today
    # the timeline, oldest first, with kind and actor
    first, last = text.index("电话告知申请人补齐总平面图"), text.index("规划许可证核发：申请人准备材料")
    assert first < last
    assert "2026-03-0109:30反馈申请人李明华电话告知申请人补齐总平面图" in text
    assert "一次性告知李明华出具一次性告知单" in text
    # the closing lines
    assert "制表人：李明华" in text
    assert f"制表日期：{timezone.localdate():%Y}年" in text
    assert "第1页/共" in text

    assert_cjk_fonts_embedded(response.content)
    width, height = pdf_page_size(response.content)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait


def test_the_pdf_is_archived_and_downloads_again_byte_for_byte(specialist, hall):
    project = hall["project"]
    response = specialist.get(_url(project))
    assert response.status_code == 200
    export = Export.objects.get()
    assert response["X-Export-Id"] == str(export.pk)
    assert export.kind == Export.Kind.DOSSIER_PDF
    assert export.project == project
    assert export.created_by == specialist.user
    assert export.title == "滨江花园二期 全过程档案"
    assert export.filename == f"项目档案-滨江花园二期-{timezone.localdate():%Y%m%d}.pdf"
    assert export.content_type == "application/pdf"
    assert export.sha256 == hashlib.sha256(response.content).hexdigest()
    assert export.size == len(response.content)
    # two matters and every timeline entry (project opening, acceptance, letter and two more)
    assert export.row_count == 2 + TimelineEntry.objects.filter(project=project).count()
    assert "2601-500105-04-01-38271X" in export.described
    assert "全部档案" in export.described
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == specialist.user
    assert entry.detail.startswith("项目档案 PDF：滨江花园二期 全过程档案")

    download = specialist.get(reverse("ledger:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert download.content == response.content


def test_a_file_name_never_holds_path_characters():
    from ledger.views.dossier import _filename

    assert _filename('A/B\\C:D*E?"F"<G>|H I', date(2026, 3, 2)) == "项目档案-A_B_C_D_E_F_G_H_I-20260302.pdf"
    assert _filename("长" * 60, date(2026, 3, 2)) == f"项目档案-{'长' * 40}-20260302.pdf"


def test_a_department_prints_only_its_units_part(client_for, hall):
    require_cjk_font()
    department = client_for(Role.DEPARTMENT, department=hall["unit_a"], display_name="建委经办人")
    text = _pdf_text(department.get(_url(hall["project"])))
    assert "施工许可证核发" in text
    assert "规划许可证核发" not in text  # the other unit's matter and its timeline entry
    assert "申请人准备材料" not in text
    assert hall["letter"].number not in text  # letters are whole-dossier content
    assert "一、项目基本情况" in text
    assert "二、办理事项" in text
    assert "非全部档案" in text
    assert MASKED_PHONE in text
    assert FULL_PHONE not in text
    assert "制表人：建委经办人" in text
    export = Export.objects.get()
    assert export.created_by == department.user
    assert export.row_count == 1 + 2  # one matter, its acceptance and the acceptance SMS
    assert "本单位或本阶段部分" in export.described


def test_the_office_prints_the_whole_dossier(client_for, hall):
    require_cjk_font()
    office = client_for(Role.OFFICE)
    text = _pdf_text(office.get(_url(hall["project"])))
    assert hall["letter"].number in text
    assert "规划许可证核发" in text
    assert "施工许可证核发" in text
    assert FULL_PHONE not in text


# --- who may print it --------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["other_specialist", "other_department"])
def test_someone_outside_the_scope_gets_404_and_nothing_is_archived(client_for, hall, outsider):
    if outsider == "other_specialist":
        client = client_for(Role.SPECIALIST)
    else:
        client = client_for(Role.DEPARTMENT, department=DepartmentFactory(name="区生态环境局"))
    assert client.get(_url(hall["project"])).status_code == 404
    assert not Export.objects.exists()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_missing_project_is_404(specialist, db):
    assert specialist.get(reverse("ledger:dossier_pdf", args=[999999])).status_code == 404


def test_the_administrator_sees_no_case_content(client_for, hall):
    assert client_for(Role.ADMIN).get(_url(hall["project"])).status_code == 403
    assert not Export.objects.exists()


def test_anonymous_is_sent_to_log_in(client, hall):
    response = client.get(_url(hall["project"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Export.objects.exists()


def test_post_is_not_allowed(specialist, hall):
    assert specialist.post(_url(hall["project"])).status_code == 405
    assert not Export.objects.exists()


# --- query count -------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_matters_or_entries(client_for, monkeypatch):
    # the template is rendered (a lazy relation in it would show), WeasyPrint's layout is skipped
    monkeypatch.setattr(
        "ledger.views.dossier.render_pdf", lambda template, context: render_to_string(template, context).encode()
    )
    specialist = client_for(Role.SPECIALIST)
    stages = [StageFactory(number=1, name="立项用地规划许可阶段"), StageFactory(number=3, name="施工许可阶段")]

    def dossier(n: int):
        project = ProjectFactory(specialist=specialist.user)
        for i in range(n):
            pm = ProjectMatterFactory(project=project, matter=MatterFactory(stage=stages[i % 2]))
            pm = _accept(pm, date(2026, 3, 2))
            if i % 3 == 0:
                services.matter_move(
                    actor=specialist.user,
                    request=None,
                    project_matter_id=pm.pk,
                    version=pm.version,
                    to_status="补正材料",
                    on=date(2026, 3, 3),
                    reason="缺少图纸",
                )
            timeline.record(project, TimelineEntry.Kind.FEEDBACK, UserFactory(), f"反馈{i}", occurred_at=_at(5))
        return project

    def count(project) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert specialist.get(_url(project)).status_code == 200
        return len(queries)

    count(dossier(1))  # warm the caches (content types, the session)
    small, large = dossier(2), dossier(20)
    assert count(small) == count(large)
    assert Export.objects.get(project=large).row_count == 20 + TimelineEntry.objects.filter(project=large).count()


# --- the panel on the dossier page -------------------------------------------------------------


def test_the_dossier_page_offers_the_pdf_and_the_archive(specialist, hall):
    response = specialist.get(reverse("projects:detail", args=[hall["project"].pk]))
    page = response.content.decode()
    assert 'data-testid="ledger-dossier-panel"' in page
    assert "档案导出" in page
    assert f'href="{_url(hall["project"])}"' in page
    assert "导出档案 PDF" in page
    assert f'href="{reverse("ledger:export_list")}?kind=dossier_pdf"' in page
    assert "导出记录" in page
    assert not Export.objects.exists()  # showing the link exports nothing


def test_a_department_sees_the_panel_too(client_for, hall):
    department = client_for(Role.DEPARTMENT, department=hall["unit_a"])
    page = department.get(reverse("projects:detail", args=[hall["project"].pk])).content.decode()
    assert f'href="{_url(hall["project"])}"' in page


def test_no_panel_without_the_export_capability(rf, make_user, hall):
    from ledger.panels import dossier_panel

    request = rf.get("/")
    request.user = make_user(Role.ADMIN)
    assert dossier_panel(request, hall["project"]) is None
