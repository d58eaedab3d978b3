"""The ledger page: one row per project in the user's scope, its columns, filters and query count."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory
from windows import services as window_services


def _names(response) -> list[str]:
    return [row.name for row in response.context["rows"]]


def _accept(pm, on=date(2026, 3, 2)):
    return services.matter_move(
        actor=pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status="已受理",
        on=on,
    )


def test_columns_show_the_projects_story(client_for):
    office = client_for(Role.OFFICE)
    project = ProjectFactory(name="滨江花园", contact_name="陈建国", contact_phone="13983012345", note="重点跟踪")
    matter = MatterFactory(name="消防设计审查")
    pm = ProjectMatterFactory(project=project, matter=matter)
    _accept(pm)  # long overdue
    services.letter_issue(
        actor=project.specialist, request=None, project_id=project.pk, matters=[matter], recipient="x"
    )
    window_services.problem_raise(
        actor=project.specialist,
        request=None,
        project_id=project.pk,
        project_matter=pm,
        stage=None,
        description="审查意见冲突",
        owner_unit=matter.unit,
        due_on=date(2099, 1, 1),
    )
    response = office.get(reverse("ledger:index"))
    (row,) = response.context["rows"]
    assert row.contact == "陈建国 139****2345"
    assert row.notified.startswith("已告知 1 次")
    assert row.progress == "0/1"
    assert "审查意见冲突（待协调）" in row.problems
    assert row.warning == "逾期"
    assert row.note == "重点跟踪"
    body = response.content.decode()
    assert "13983012345" not in body
    assert 'class="table-danger"' in body


def test_each_role_sees_its_own_scope(client_for):
    specialist = client_for(Role.SPECIALIST)
    ProjectFactory(name="我的项目", specialist=specialist.user)
    ProjectFactory(name="别人的项目")
    assert _names(specialist.get(reverse("ledger:index"))) == ["我的项目"]
    assert sorted(_names(client_for(Role.OFFICE).get(reverse("ledger:index")))) == ["别人的项目", "我的项目"]
    assert client_for(Role.DEPARTMENT).get(reverse("ledger:index")).status_code == 403


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "滨江"}, ["滨江花园"]),
        ({"investment_type": "政府投资"}, ["观音桥改造"]),
        ({"is_key": "true"}, ["滨江花园"]),
        ({"warning": "逾期"}, ["滨江花园"]),
        ({"warning": "正常"}, ["观音桥改造"]),
        ({"registered_from": "2026-02-01"}, ["观音桥改造"]),
        ({"order": "name"}, ["滨江花园", "观音桥改造"]),
    ],
)
def test_filters(client_for, params, expected):
    office = client_for(Role.OFFICE)
    unit = DepartmentFactory(name="区住房城乡建委")
    bj = ProjectFactory(name="滨江花园", is_key=True, registered_on=date(2026, 1, 5))
    _accept(ProjectMatterFactory(project=bj, matter=MatterFactory(unit=unit)))
    ProjectFactory(name="观音桥改造", investment_type="政府投资", registered_on=date(2026, 3, 1))
    names = _names(office.get(reverse("ledger:index"), params))
    assert names == expected if "order" in params else sorted(names) == sorted(expected)


def test_unit_filter(client_for):
    office = client_for(Role.OFFICE)
    unit = DepartmentFactory(name="区水利局")
    ProjectMatterFactory(project=ProjectFactory(name="有水利事项"), matter=MatterFactory(unit=unit))
    ProjectFactory(name="无水利事项")
    assert _names(office.get(reverse("ledger:index"), {"unit": unit.pk})) == ["有水利事项"]


def test_a_date_range_ending_before_it_starts_says_so(client_for):
    office = client_for(Role.OFFICE)
    ProjectFactory()
    response = office.get(reverse("ledger:index"), {"registered_from": "2026-12-01", "registered_to": "2026-01-01"})
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert response.context["rows"] == []


def test_query_count_does_not_grow_with_rows(client_for):
    office = client_for(Role.OFFICE)

    def count(n: int) -> int:
        for _ in range(n):
            project = ProjectFactory()
            _accept(ProjectMatterFactory(project=project))
        with CaptureQueriesContext(connection) as queries:
            assert office.get(reverse("ledger:index")).status_code == 200
        return len(queries)

    small = count(2)
    large = count(30)
    assert small == large


def test_window_staff_see_only_their_stages_problems_in_the_ledger(client_for):
    window = client_for(Role.WINDOW)
    stage3 = MatterFactory().stage
    stage3.window_staff.add(window.user)
    project = ProjectFactory(name="滨江花园")
    ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage3))
    stage4 = MatterFactory(stage__number=4, stage__name="竣工验收阶段").stage
    for stage, text in ((stage3, "本阶段问题"), (stage4, "别的阶段问题")):
        window_services.problem_raise(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            project_matter=None,
            stage=stage,
            description=text,
            owner_unit=DepartmentFactory(),
            due_on=date(2099, 1, 1),
        )
    (row,) = window.get(reverse("ledger:index")).context["rows"]
    assert "本阶段问题" in row.problems
    assert "别的阶段问题" not in row.problems


def test_filters_and_columns_judge_a_window_by_its_own_stage(client_for):
    window = client_for(Role.WINDOW)
    mine = MatterFactory().stage
    mine.window_staff.add(window.user)
    project = ProjectFactory(name="滨江花园")
    ProjectMatterFactory(project=project, matter=MatterFactory(stage=mine))
    other = MatterFactory(stage__number=1, stage__name="立项用地规划许可阶段")
    _accept(ProjectMatterFactory(project=project, matter=other))  # overdue, but not the window's
    services.letter_issue(actor=project.specialist, request=None, project_id=project.pk, matters=[other], recipient="x")
    assert _names(window.get(reverse("ledger:index"), {"warning": "逾期"})) == []
    assert _names(window.get(reverse("ledger:index"), {"warning": "正常"})) == ["滨江花园"]
    assert _names(window.get(reverse("ledger:index"), {"unit": other.unit.pk})) == []
    (row,) = window.get(reverse("ledger:index")).context["rows"]
    assert row.notified == "—"


def test_sorting_breaks_ties_by_id_so_pages_never_repeat(client_for):
    office = client_for(Role.OFFICE)
    for name in ("甲", "乙", "丙"):
        ProjectFactory(name=name, registered_on=date(2026, 1, 5))
    names = _names(office.get(reverse("ledger:index"), {"order": "registered"}))
    assert names == ["丙", "乙", "甲"]
