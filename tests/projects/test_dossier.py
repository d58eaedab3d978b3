"""Opening and correcting dossiers, the walk-in log, feedback, the dossier page and its timeline."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from projects import services, timeline
from projects.models import Consultation, Feedback, Project, ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory, valid_credit_code

NEW_PROJECT = {
    "name": "江北嘴测试综合体",
    "code": "2601-500105-04-01-38271X",
    "builder": "重庆测试置业有限公司",
    "builder_credit_code": "91350100M000100Y43",
    "contact_name": "陈建国",
    "contact_phone": "13983012345",
    "investment_type": "社会投资",
}


def _walk_in(**overrides) -> dict:
    data = {
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "kind": "咨询",
        "visitor_name": "陈建国",
        "visitor_phone": "13983012345",
        "visitor_company": "重庆测试置业有限公司",
        "question": "施工许可需要哪些材料？",
        "answer": "已一次性告知",
        "policies": "",
        "outcome": "当场解答",
    }
    data.update(overrides)
    return data


# --- the walk-in log ------------------------------------------------------------------------


def test_a_returning_project_one_matter_and_a_short_note(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    matter = MatterFactory()
    response = client.post(reverse("projects:consultation_create"), _walk_in(project=project.pk, matters=[matter.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    consultation = Consultation.objects.get()
    assert consultation.project == project
    assert list(consultation.matters.all()) == [matter]
    assert consultation.recorded_by == client.user
    entry = TimelineEntry.objects.get(project=project, kind="consultation")
    assert "施工许可需要哪些材料" in entry.summary


def test_a_new_visitor_opens_a_dossier_from_the_same_form(client_for):
    client = client_for(Role.SPECIALIST)
    data = _walk_in(open_new="on", **{f"new-{k}": v for k, v in NEW_PROJECT.items()})
    response = client.post(reverse("projects:consultation_create"), data)
    project = Project.objects.get()
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    assert project.specialist == client.user
    assert project.status == "咨询中"
    assert Consultation.objects.get().project == project
    kinds = set(TimelineEntry.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == {"project", "consultation"}
    assert AuditEntry.objects.filter(object_type="projects.project", action="create").exists()


def test_a_general_enquiry_needs_no_project(client_for):
    client = client_for(Role.SPECIALIST)
    response = client.post(reverse("projects:consultation_create"), _walk_in())
    assert response.status_code == 302
    assert Consultation.objects.get().project is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("new-builder_credit_code", "91350100M000100Y44", "校验位不正确"),
        ("new-code", "2601-500105-04-01", "项目代码格式不正确"),
        ("new-contact_phone", "打电话", "电话号码只能包含"),
        ("new-name", "<script>alert(1)</script>", "等标记字符"),
        ("new-name", "", "这个字段是必填项"),
    ],
)
def test_bad_new_dossier_input_saves_nothing(client_for, field, value, message):
    client = client_for(Role.SPECIALIST)
    data = _walk_in(open_new="on", **{f"new-{k}": v for k, v in NEW_PROJECT.items()})
    data[field] = value
    response = client.post(reverse("projects:consultation_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Project.objects.count() == 0
    assert Consultation.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("question", "", "这个字段是必填项"),
        ("question", "x" * 1001, "最多 1000 个字符"),
        ("visitor_name", "<b>王</b>", "等标记字符"),
        ("visited_at", "明天", "输入一个有效的日期/时间"),
        ("visited_at", "2099-01-01T09:00", "来访时间不能晚于现在"),
    ],
)
def test_bad_walk_in_input_saves_nothing(client_for, field, value, message):
    client = client_for(Role.SPECIALIST)
    response = client.post(reverse("projects:consultation_create"), _walk_in(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Consultation.objects.count() == 0


def test_choosing_a_project_and_opening_a_new_one_is_refused(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    data = _walk_in(project=project.pk, open_new="on", **{f"new-{k}": v for k, v in NEW_PROJECT.items()})
    response = client.post(reverse("projects:consultation_create"), data)
    assert "新建项目档案时请不要再选择已有项目" in response.content.decode()
    assert Project.objects.count() == 1
    assert Consultation.objects.count() == 0


def test_a_specialist_cannot_log_on_someone_elses_project(client_for):
    client = client_for(Role.SPECIALIST)
    other = ProjectFactory()
    response = client.post(reverse("projects:consultation_create"), _walk_in(project=other.pk))
    assert response.status_code == 200
    assert Consultation.objects.count() == 0


def test_the_form_prefills_a_returning_project(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user, contact_name="黄海燕")
    response = client.get(reverse("projects:consultation_create") + f"?project={project.pk}")
    form = response.context["form"]
    assert form.initial["project"] == project
    assert form.initial["visitor_name"] == "黄海燕"


# --- opening and correcting dossiers --------------------------------------------------------


def test_opening_a_dossier_directly(client_for):
    client = client_for(Role.SPECIALIST)
    data = {
        **NEW_PROJECT,
        "nature": "新建",
        "category": "房屋建筑",
        "land_area": "1200.5",
        "floor_area": "",
        "total_investment": "8600",
    }
    response = client.post(reverse("projects:create"), data)
    project = Project.objects.get()
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    assert project.land_area == pytest.approx(1200.5)
    assert project.floor_area is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("land_area", "-1", "用地面积（㎡）不能为负数"),
        ("total_investment", "abc", "总投资（万元）请填写数字"),
        ("builder_credit_code", "91350100M000100Y4", "应为 18 位"),
        ("code", "2613-500105-04-01-38271X", "月份 01–12"),
    ],
)
def test_bad_dossier_input_saves_nothing(client_for, field, value, message):
    client = client_for(Role.SPECIALIST)
    data = {**NEW_PROJECT, "nature": "新建", "category": "房屋建筑", field: value}
    response = client.post(reverse("projects:create"), data)
    assert message in response.content.decode()
    assert Project.objects.count() == 0


def test_a_project_code_already_on_file_is_refused(client_for):
    client = client_for(Role.SPECIALIST)
    ProjectFactory(code=NEW_PROJECT["code"])
    response = client.post(reverse("projects:create"), {**NEW_PROJECT, "nature": "新建", "category": "房屋建筑"})
    assert "已有档案" in response.content.decode()
    assert Project.objects.count() == 1


def _edit_data(project: Project, **overrides) -> dict:
    data = {field: getattr(project, field) or "" for field in services.PROJECT_FIELDS}
    data.update(
        current_stage=project.current_stage_id or "",
        specialist=project.specialist_id,
        status=project.status,
        version=project.version,
        reason="",
        is_key="on" if project.is_key else "",
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_correcting_facts_is_in_the_timeline_with_the_changed_fields(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user, site="")
    response = client.post(reverse("projects:edit", args=[project.pk]), _edit_data(project, site="寸滩街道"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.site == "寸滩街道"
    assert project.version == 1
    entry = TimelineEntry.objects.get(project=project, kind="project")
    assert "建设地点" in entry.summary
    assert entry.detail["changes"]["建设地点"] == ["", "寸滩街道"]


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    first = _edit_data(project, site="第一人填写")
    second = _edit_data(project, site="第二人填写")
    client.post(reverse("projects:edit", args=[project.pk]), first)
    response = client.post(reverse("projects:edit", args=[project.pk]), second)
    page = response.content.decode()
    assert "已被他人修改" in page
    # what changed since the form was read, and by whom, so nothing is overwritten blindly
    assert f"{client.user.name} 于" in page
    assert "建设地点（" in page
    assert "→ 第一人填写）" in page
    project.refresh_from_db()
    assert project.site == "第一人填写"


def test_putting_a_project_on_hold_needs_a_reason(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    response = client.post(reverse("projects:edit", args=[project.pk]), _edit_data(project, status="暂缓"))
    assert "须填写原因" in response.content.decode()
    assert Project.objects.get(pk=project.pk).status == "咨询中"


def test_a_project_with_open_matters_cannot_be_completed(db):
    project = ProjectFactory()
    pm = ProjectMatterFactory(project=project)
    services.matter_move(
        actor=project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    project.refresh_from_db()
    with pytest.raises(Exception, match="还有未办结的事项"):
        services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=project.version,
            specialist=project.specialist,
            status="已办结",
            **{f: getattr(project, f) for f in services.PROJECT_FIELDS},
        )


def test_handing_a_dossier_to_a_colleague(client_for):
    client = client_for(Role.SPECIALIST)
    colleague = UserFactory(roles=[Role.SPECIALIST])
    project = ProjectFactory(specialist=client.user)
    response = client.post(
        reverse("projects:edit", args=[project.pk]), _edit_data(project, specialist=colleague.pk, reason="调岗交接")
    )
    # the former specialist no longer sees it, and is sent to the list
    assert response["Location"] == reverse("projects:index")
    project.refresh_from_db()
    assert project.specialist == colleague
    assert "帮办专员" in TimelineEntry.objects.get(project=project, kind="project").summary


# --- search and the list --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["江北嘴", "38271", "嘴置业", "陈建", "13983012345"])
def test_search_finds_by_name_code_company_contact_phone(client_for, text):
    client = client_for(Role.OFFICE)
    ProjectFactory(
        name="江北嘴金融城商业综合体",
        code="2601-500105-04-01-38271X",
        builder="重庆江嘴置业有限公司",
        contact_name="陈建国",
        contact_phone="13983012345",
    )
    ProjectFactory(
        name="观音桥老旧小区改造", builder="观音桥街道办事处", contact_name="刘敏", contact_phone="13608341122"
    )
    response = client.get(reverse("projects:index"), {"q": text})
    names = [p.name for p in response.context["page"]]
    assert names == ["江北嘴金融城商业综合体"]


@pytest.mark.postgresql
def test_search_is_answered_from_trigram_indexes_on_postgresql(db):
    """Every column 查找 searches has a pg_trgm index on the very expression Django's icontains writes
    (UPPER(col::text) LIKE …), so PostgreSQL can answer a search without reading the whole table;
    with other scans ruled out, the plan for Project.objects.search uses each of them, and the
    index finds what a scan finds (Chinese text included)."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    ProjectFactory(name="江北嘴金融城商业综合体", builder="重庆江嘴置业有限公司")
    ProjectFactory(name="观音桥老旧小区改造", site="观音桥街道")
    searched = Project.objects.search("观音桥")
    sql, params = searched.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # a table this small is cheaper to scan: rule out the scans so the plan shows what the index can do
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        found = [p.name for p in searched]
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    for column in ("name", "code", "builder", "builder_credit_code", "contact_name", "site"):
        assert f"projects_project_{column}_trgm" in plan, plan
    assert found == ["观音桥老旧小区改造"]


def test_live_search_returns_only_the_rows(client_for):
    client = client_for(Role.OFFICE)
    ProjectFactory(name="寸滩安置房")
    response = client.get(
        reverse("projects:index"), {"q": "寸滩"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="project-rows"
    )
    body = response.content.decode()
    assert "寸滩安置房" in body
    assert "<html" not in body


# --- feedback, the dossier page, the timeline --------------------------------------------------


def test_recording_feedback(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    pm = ProjectMatterFactory(project=project)
    response = client.post(
        reverse("projects:feedback_create", args=[project.pk]),
        {"told_at": "2026-03-05T10:30", "method": "电话", "project_matter": pm.pk, "content": "已告知进入审查"},
    )
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.method == "电话"
    assert feedback.project_matter == pm
    assert TimelineEntry.objects.get(kind="feedback").summary.startswith("电话反馈申请人")


def test_feedback_about_another_projects_matter_is_refused(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    elsewhere = ProjectMatterFactory()
    response = client.post(
        reverse("projects:feedback_create", args=[project.pk]),
        {"told_at": "2026-03-05T10:30", "method": "短信", "project_matter": elsewhere.pk, "content": "x"},
    )
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_dossier_page_groups_matters_by_stage_with_warnings_and_the_timeline_newest_first(client_for):
    client = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=client.user)
    overdue = ProjectMatterFactory(project=project, matter=MatterFactory(name="消防设计审查", time_limit_workdays=5))
    services.matter_move(
        actor=client.user,
        request=None,
        project_matter_id=overdue.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    ProjectMatterFactory(
        project=project, matter=MatterFactory(name="供水接入", stage__number=5, stage__name="市政公用服务")
    )
    timeline.record(project, "feedback", client.user, "最新的一条")
    response = client.get(reverse("projects:detail", args=[project.pk]))
    body = response.content.decode()
    groups = response.context["groups"]
    assert [g.stage.number for g in groups] == [3, 5]
    assert 'data-warning="逾期"' in body
    entries = list(response.context["timeline"])
    assert entries[0].summary == "最新的一条"
    assert body.index("最新的一条") < body.index("消防设计审查：受理")
    assert "138****1234" in body
    assert "13800001234" not in body


def test_the_timeline_cannot_be_changed_or_deleted(db):
    project = ProjectFactory()
    entry = timeline.record(project, "project", None, "建立")
    entry.summary = "改过"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        TimelineEntry.objects.filter(project=project).update(summary="改过")
    with pytest.raises(PermissionError):
        TimelineEntry.objects.filter(project=project).delete()


def test_history_is_kept_on_every_dossier_model(db):
    project = ProjectFactory()
    pm = ProjectMatterFactory(project=project)
    for model_instance in (project, pm):
        assert model_instance.history.count() == 1
    assert ProjectMatter.history.model is not None


def test_valid_credit_code_factory():
    from qinqing.validators import credit_code_validator

    credit_code_validator(valid_credit_code(42))


def test_a_project_with_a_matter_still_to_apply_for_cannot_be_completed(db):
    project = ProjectFactory()
    ProjectMatterFactory(project=project)  # 待申报
    with pytest.raises(ValidationError, match="含待申报"):
        services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=project.version,
            specialist=project.specialist,
            status="已办结",
            **{f: getattr(project, f) for f in services.PROJECT_FIELDS},
        )
    assert Project.objects.get(pk=project.pk).status == "咨询中"


@pytest.mark.parametrize(
    "url", ["/projects/?stage=²", "/projects/catalogue/?stage=²", "/projects/consultations/new/?project=²"]
)
def test_odd_query_parameters_never_break_a_page(client_for, url):
    client = client_for(Role.SPECIALIST)
    assert client.get(url).status_code == 200


def test_a_masked_phone_cannot_be_rebuilt_by_partial_searches(client_for):
    client = client_for(Role.OFFICE)
    ProjectFactory(name="寸滩仓储", contact_phone="13957681234")
    for probe in ("1395", "13957", "1234", "81234"):
        assert list(client.get(reverse("projects:index"), {"q": probe}).context["page"]) == []
    found = client.get(reverse("projects:index"), {"q": "13957681234"}).context["page"]
    assert [p.name for p in found] == ["寸滩仓储"]


def test_only_those_who_may_reveal_a_phone_find_a_project_by_it(client_for):
    """Window and unit staff (who see 139****1234) cannot confirm a guessed number by searching it whole;
    a specialist finds only their own projects by phone, the office all."""
    office = client_for(Role.OFFICE)
    mine = client_for(Role.SPECIALIST)
    other = client_for(Role.SPECIALIST)
    pm = ProjectMatterFactory(
        project=ProjectFactory(name="寸滩仓储", contact_phone="13957681234", specialist=mine.user)
    )
    window = client_for(Role.WINDOW)
    unit = client_for(Role.DEPARTMENT, department=pm.unit)

    def found(client, url="projects:index"):
        return [p.name for p in client.get(reverse(url), {"q": "13957681234"}).context["page"]]

    assert found(office) == found(mine) == ["寸滩仓储"]
    assert found(other) == []
    assert found(unit) == []
    assert found(window) == []
    assert unit.get(reverse("projects:index"), {"q": "寸滩"}).context["page"]  # the project itself is visible
    assert [row.project.name for row in office.get(reverse("ledger:index"), {"q": "13957681234"}).context["rows"]] == [
        "寸滩仓储"
    ]


def test_terminating_needs_every_matter_finished(db):
    project = ProjectFactory()
    ProjectMatterFactory(project=project)
    with pytest.raises(ValidationError, match="已终止"):
        services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=project.version,
            specialist=project.specialist,
            status="已终止",
            reason="建设单位放弃",
            **{f: getattr(project, f) for f in services.PROJECT_FIELDS},
        )


def test_the_code_cannot_be_cleared_once_a_matter_was_accepted(db):
    project = ProjectFactory()
    pm = ProjectMatterFactory(project=project)
    services.matter_move(
        actor=project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=0,
        to_status="已受理",
        on=date(2026, 3, 2),
    )
    project.refresh_from_db()
    fields = {f: getattr(project, f) for f in services.PROJECT_FIELDS} | {"code": ""}
    with pytest.raises(ValidationError, match="项目代码不能清空"):
        services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=project.version,
            specialist=project.specialist,
            status=project.status,
            **fields,
        )


def test_revealing_the_full_phone_is_logged_and_limited(client_for):
    specialist = client_for(Role.SPECIALIST)
    project = ProjectFactory(specialist=specialist.user, contact_phone="13957681234")
    url = reverse("projects:reveal_phone", args=[project.pk])
    assert specialist.get(url).status_code == 405
    response = specialist.post(url, HTTP_HX_REQUEST="true")
    assert "13957681234" in response.content.decode()
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == specialist.user
    assert entry.object_id == str(project.pk)
    department = client_for(Role.DEPARTMENT)
    ProjectMatterFactory(project=project, unit=department.user.department)
    assert department.post(url).status_code == 403
    assert AuditEntry.objects.filter(action="reveal").count() == 1
    office = client_for(Role.OFFICE)
    response = office.post(url, follow=True)
    assert "13957681234" in response.content.decode()


def test_feedback_is_audited(db):
    project = ProjectFactory()
    services.feedback_record(
        actor=project.specialist,
        request=None,
        project_id=project.pk,
        told_at=timezone.now(),
        method="电话",
        content="已告知",
    )
    assert AuditEntry.objects.filter(object_type="projects.feedback", action="create").count() == 1
