"""The ledger page: one row per project in the user's scope, its columns, filters and query count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services
from qinqing.roles import Role
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
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


def _grow(n: int) -> None:
    """``n`` more projects, each with an accepted matter, a letter and an open problem: every column filled."""
    for _ in range(n):
        project = ProjectFactory()
        pm = _accept(ProjectMatterFactory(project=project))
        services.letter_issue(
            actor=project.specialist, request=None, project_id=project.pk, matters=[pm.matter], recipient="x"
        )
        window_services.problem_raise(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            project_matter=pm,
            stage=None,
            description="待协调",
            owner_unit=pm.unit,
            due_on=date(2099, 1, 1),
        )


@pytest.mark.parametrize("url_name", ["ledger:index", "ledger:matters"])
def test_query_count_is_the_same_for_2_and_50_rows(client_for, url_name):
    """GIVEN the ledger with 2 projects, then with 50 (one page of each view)
    WHEN the office opens the project-level or the matter-level page
    THEN both cost the same number of queries."""
    office = client_for(Role.OFFICE)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = office.get(reverse(url_name))
        assert response.status_code == 200
        return len(response.context["page"].object_list), len(queries)

    _grow(2)
    rows, small = count()
    assert rows == 2
    _grow(48)
    rows, large = count()
    assert rows == 50
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


# --- more filters, pagination, the amber row --------------------------------------------------------


@pytest.fixture
def district(db):
    """Three projects that differ in stage, status, specialist and registration date."""
    planning = StageFactory(number=1, name="立项用地规划许可阶段")
    permit = StageFactory(number=3, name="施工许可阶段")
    li = UserFactory(display_name="李晓帮", roles=[Role.SPECIALIST])
    liu = UserFactory(display_name="刘清", roles=[Role.SPECIALIST])
    ProjectFactory(
        name="滨江花园", current_stage=planning, status="在办", specialist=li, registered_on=date(2026, 1, 5)
    )
    ProjectFactory(name="观音桥改造", current_stage=permit, status="咨询中", specialist=liu,
                   registered_on=date(2026, 2, 10))  # fmt: skip
    ProjectFactory(
        name="鸿恩寺公园", current_stage=permit, status="在办", specialist=li, registered_on=date(2026, 3, 1)
    )
    return {"planning": planning, "permit": permit, "li": li, "liu": liu}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda d: {"stage": d["planning"].pk}, ["滨江花园"]),
        (lambda d: {"stage": d["permit"].pk}, ["观音桥改造", "鸿恩寺公园"]),
        (lambda d: {"status": "咨询中"}, ["观音桥改造"]),
        (lambda d: {"status": "在办"}, ["滨江花园", "鸿恩寺公园"]),
        (lambda d: {"specialist": d["liu"].pk}, ["观音桥改造"]),
        (lambda d: {"specialist": d["li"].pk}, ["滨江花园", "鸿恩寺公园"]),
        (lambda d: {"registered_to": "2026-02-10"}, ["滨江花园", "观音桥改造"]),  # the end day included
        (lambda d: {"registered_to": "2026-01-04"}, []),
        (lambda d: {"registered_from": "2026-02-01", "registered_to": "2026-02-28"}, ["观音桥改造"]),
        (lambda d: {"stage": d["permit"].pk, "status": "在办", "specialist": d["li"].pk}, ["鸿恩寺公园"]),
    ],
)
def test_stage_status_specialist_and_end_date_filters(client_for, district, params, expected):
    office = client_for(Role.OFFICE)
    response = office.get(reverse("ledger:index"), params(district))
    assert response.status_code == 200
    assert sorted(_names(response)) == sorted(expected)


def test_the_filter_is_described_in_words(client_for, district):
    office = client_for(Role.OFFICE)
    response = office.get(
        reverse("ledger:index"),
        {
            "stage": district["permit"].pk,
            "status": "在办",
            "specialist": district["li"].pk,
            "registered_to": "2026-12-31",
        },
    )
    # a chosen date is not mistaken for a phone number and masked
    assert (
        response.context["described"] == "所处阶段：3. 施工许可阶段；项目状态：在办；帮办专员：李晓帮；至：2026-12-31"
    )
    searched = office.get(reverse("ledger:index"), {"q": "13983012345", "registered_from": "2026-01-01"})
    assert searched.context["described"] == "查找：139****2345；登记日期从：2026-01-01"


def test_an_unknown_stage_or_status_is_refused_not_ignored(client_for, district):
    office = client_for(Role.OFFICE)
    for params in ({"stage": 999999}, {"status": "不存在"}, {"specialist": 999999}):
        response = office.get(reverse("ledger:index"), params)
        assert response.context["rows"] == [], params
        assert response.context["filter"].form.errors, params


def test_pagination_splits_at_50_and_numbers_rows_across_pages(client_for):
    """GIVEN 51 projects WHEN the office pages through the ledger THEN page 1 shows 50 rows numbered
    1–50, page 2 the 51st numbered 51, every project exactly once; a page past the end shows the last."""
    office = client_for(Role.OFFICE)
    for n in range(51):
        ProjectFactory(name=f"项目{n:02d}", registered_on=date(2026, 1, 1) + timedelta(days=n))
    first = office.get(reverse("ledger:index"))
    assert first.context["page"].paginator.count == 51
    assert [r.number for r in first.context["rows"]] == list(range(1, 51))
    assert _names(first)[0] == "项目50"  # newest first
    second = office.get(reverse("ledger:index"), {"page": 2})
    assert [(r.number, r.name) for r in second.context["rows"]] == [(51, "项目00")]
    assert sorted(_names(first) + _names(second)) == sorted(f"项目{n:02d}" for n in range(51))
    assert "共 51 个项目" in second.content.decode()
    assert _names(office.get(reverse("ledger:index"), {"page": 99})) == ["项目00"]
    # the matter-level view pages the same way
    for n, project in enumerate(ProjectFactory._meta.model.objects.order_by("id")):
        ProjectMatterFactory(project=project, matter=MatterFactory(name=f"事项{n:02d}"))
    matters = office.get(reverse("ledger:matters"), {"page": 2})
    assert len(matters.context["page"].object_list) == 1
    assert matters.context["page"].paginator.count == 51


def test_a_project_with_a_matter_near_its_deadline_is_an_amber_row(client_for):
    """GIVEN a project whose open matter has passed its warning day but not its due date, and one
    whose matter is far from due WHEN the office opens the ledger THEN the first row is amber
    (table-warning) with the 预警 badge and the second has the green 正常 badge and no row colour."""
    office = client_for(Role.OFFICE)
    today = timezone.localdate()
    for name, due, warn, registered in (
        ("临期项目", today + timedelta(days=1), today - timedelta(days=1), date(2026, 1, 6)),
        ("从容项目", today + timedelta(days=30), today + timedelta(days=28), date(2026, 1, 5)),
    ):
        ProjectMatterFactory(project=ProjectFactory(name=name, registered_on=registered), status="已受理",
                             accepted_on=today - timedelta(days=5), due_on=due, warn_on=warn)  # fmt: skip
    response = office.get(reverse("ledger:index"))
    assert [(r.name, r.warning) for r in response.context["rows"]] == [("临期项目", "预警"), ("从容项目", "正常")]
    body = response.content.decode()
    rows = body[body.index("<tbody>") : body.index("</tbody>")].split("<tr")[1:]
    assert rows[0].startswith(' class="table-warning"')
    assert 'data-warning="预警"' in rows[0]
    assert rows[1].startswith(">")
    assert 'data-warning="正常"' in rows[1]
    assert _names(office.get(reverse("ledger:index"), {"warning": "预警"})) == ["临期项目"]
    assert _names(office.get(reverse("ledger:index"), {"warning": "正常"})) == ["从容项目"]
    matters = office.get(reverse("ledger:matters")).content.decode()
    assert matters.count('class="table-warning"') == 1
