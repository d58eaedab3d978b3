"""Who sees and changes which dossier.

Every project URL for each role (200 / 403 / 404, anonymous → login, wrong method → 405), what a
department sees on a dossier, moves of matters, the scoping of the lists, and query counts that do not
grow with the number of rows.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services, timeline
from projects.models import NotificationLetter, ProjectMatter, TimelineEntry
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)

ACCEPTED_ON = datetime.date(2026, 3, 2)
VIEWERS = (
    "office",
    "window",
    "other_window",
    "specialist",
    "other_specialist",
    "department",
    "outside_department",
    "admin",
)


class _Seats(dict):
    """The hall's seats: every account exists from the start; each logs in when a test first uses it
    (logging in eight people for every parametrized case would dominate the run)."""

    def __init__(self, users: dict):
        super().__init__()
        self.users = users

    def __missing__(self, seat: str) -> Client:
        client = Client()
        sign_in(client, self.users[seat])
        client.user = self.users[seat]
        self[seat] = client
        return client


@pytest.fixture
def hall(make_user):
    """One dossier seen from every seat in the hall.

    ``project`` (滨江花园) belongs to ``specialist`` and has a matter of unit A in stage 3 (``pm_a``)
    and one of unit B in stage 2 (``pm_b``), a timeline entry about each, an entry about each stage
    without a matter, and a letter. ``other_project`` (观音桥) belongs to ``other_specialist`` and has a
    matter of unit B in stage 4; ``idle_project`` (鸿恩寺) is theirs too, with no matters, standing at
    stage 3. ``department`` works for unit A, ``other_department`` for unit B, ``outside_department``
    for a unit with no matter anywhere. ``window`` staffs the window of stage 3 (``pm_a``'s, the
    MatterFactory default), ``other_window`` that of stage 4, where 滨江花园 has nothing.
    """
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    unit_c = DepartmentFactory(name="区水利局")
    stage = StageFactory(number=3, name="施工许可阶段")  # MatterFactory's default stage
    stage_2 = StageFactory(number=2, name="工程建设许可阶段")
    stage_4 = StageFactory(number=4, name="竣工验收阶段")
    clients = _Seats(
        {
            "office": make_user(Role.OFFICE),
            "window": make_user(Role.WINDOW),
            "other_window": make_user(Role.WINDOW),
            "specialist": make_user(Role.SPECIALIST),
            "other_specialist": make_user(Role.SPECIALIST),
            "department": make_user(Role.DEPARTMENT, department=unit_a),
            "other_department": make_user(Role.DEPARTMENT, department=unit_b),
            "outside_department": make_user(Role.DEPARTMENT, department=unit_c),
            "admin": make_user(Role.ADMIN),
        }
    )
    stage.window_staff.add(clients.users["window"])
    stage_4.window_staff.add(clients.users["other_window"])
    specialist = clients.users["specialist"]
    project = ProjectFactory(name="滨江花园住宅小区", specialist=specialist)
    pm_a = ProjectMatterFactory(project=project, matter=MatterFactory(name="施工图审查备案", unit=unit_a))
    pm_b = ProjectMatterFactory(project=project, matter=MatterFactory(name="消防设计审查", unit=unit_b, stage=stage_2))
    timeline.record(project, "matter", specialist, "住建委收件完毕", project_matter=pm_a)
    timeline.record(project, "matter", specialist, "消防审查通知补正", project_matter=pm_b)
    timeline.record(project, "handoff", specialist, "施工许可阶段窗口已约见申请人", stage=stage)
    timeline.record(project, "handoff", specialist, "工程建设许可阶段窗口已约见申请人", stage=stage_2)
    letter = services.letter_issue(
        actor=specialist, request=None, project_id=project.pk, matters=[pm_a.matter], recipient="某公司"
    )
    other_project = ProjectFactory(name="观音桥商业综合体", specialist=clients.users["other_specialist"])
    pm_q = ProjectMatterFactory(
        project=other_project, matter=MatterFactory(name="人防设计审查", unit=unit_b, stage=stage_4)
    )
    idle_project = ProjectFactory(
        name="鸿恩寺公园改造", specialist=clients.users["other_specialist"], current_stage=stage
    )
    return SimpleNamespace(
        clients=clients,
        unit_a=unit_a,
        unit_b=unit_b,
        stage=stage,
        project=project,
        pm_a=pm_a,
        pm_b=pm_b,
        letter=letter,
        other_project=other_project,
        pm_q=pm_q,
        idle_project=idle_project,
    )


def _url(hall, name: str, target: str) -> str:
    pk = {"project": hall.project.pk, "pm_a": hall.pm_a.pk, "pm_b": hall.pm_b.pk, "letter": hall.letter.pk}[target]
    return reverse(name, args=[pk])


# --- every object URL, for every seat ---------------------------------------------------------

# url name, the object it takes, expected status for each of VIEWERS in order:
#  office window other_window specialist other_specialist department outside_department admin
OBJECT_PAGES = [
    ("projects:detail", "project", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("projects:edit", "project", (403, 403, 404, 200, 404, 403, 404, 403)),
    ("projects:letter_create", "project", (403, 403, 404, 200, 404, 403, 404, 403)),
    ("projects:matters_add", "project", (403, 403, 404, 200, 404, 403, 404, 403)),
    ("projects:feedback_create", "project", (403, 403, 404, 200, 404, 403, 404, 403)),
    ("projects:matter_move", "pm_a", (403, 200, 404, 200, 404, 200, 404, 403)),
    ("projects:matter_move", "pm_b", (403, 404, 404, 200, 404, 404, 404, 403)),
    ("projects:letter_detail", "letter", (200, 404, 404, 200, 404, 404, 404, 403)),
    ("projects:letter_pdf", "letter", (200, 404, 404, 200, 404, 404, 404, 403)),
]
OBJECT_MATRIX = [
    pytest.param(name, target, viewer, status, id=f"{name.split(':')[1]}-{target}-{viewer}")
    for name, target, statuses in OBJECT_PAGES
    for viewer, status in zip(VIEWERS, statuses, strict=True)
]


@pytest.mark.parametrize(("name", "target", "viewer", "status"), OBJECT_MATRIX)
def test_object_pages_for_each_seat(hall, name, target, viewer, status):
    response = hall.clients[viewer].get(_url(hall, name, target))
    assert response.status_code == status
    if status == 200 and name == "projects:letter_pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        return
    page = response.content.decode()
    if status == 200:
        assert hall.project.name in page
    else:
        # neither a refusal nor a "not found" tells which project the URL belongs to
        assert hall.project.name not in page
        assert ("无权访问" if status == 403 else "页面不存在") in page


@pytest.mark.parametrize(("name", "target"), sorted({(name, target) for name, target, _ in OBJECT_PAGES}))
def test_object_pages_send_anonymous_to_login(hall, client, name, target):
    for response in (client.get(_url(hall, name, target)), client.post(_url(hall, name, target))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "target"), sorted({(name, target) for name, target, _ in OBJECT_PAGES}))
@pytest.mark.parametrize("method", ["put", "delete"])
def test_object_pages_refuse_put_and_delete(hall, name, target, method):
    response = getattr(hall.clients["specialist"], method)(_url(hall, name, target))
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("name", "target"),
    [("projects:detail", "project"), ("projects:letter_detail", "letter"), ("projects:letter_pdf", "letter")],
)
def test_read_only_object_pages_refuse_post(hall, name, target):
    assert hall.clients["specialist"].post(_url(hall, name, target)).status_code == 405


@pytest.mark.parametrize("name", ["projects:index", "projects:unit_matters", "projects:consultation_list"])
def test_lists_refuse_post(hall, name):
    assert hall.clients["office"].post(reverse(name)).status_code == 405


def test_unknown_project_is_404(hall):
    assert hall.clients["office"].get(reverse("projects:detail", args=[999999])).status_code == 404
    assert hall.clients["specialist"].get(reverse("projects:edit", args=[999999])).status_code == 404


ADMIN_REFUSED = [
    "projects:index",
    "projects:create",
    "projects:unit_matters",
    "projects:consultation_list",
    "projects:consultation_create",
]


@pytest.mark.parametrize("name", ADMIN_REFUSED)
def test_administrator_sees_no_case_lists(hall, name):
    response = hall.clients["admin"].get(reverse(name))
    assert response.status_code == 403
    assert hall.project.name not in response.content.decode()


def test_administrator_reads_the_catalogue(hall):
    response = hall.clients["admin"].get(reverse("projects:catalogue"))
    assert response.status_code == 200
    assert "施工图审查备案" in response.content.decode()


# --- changes that must not happen -------------------------------------------------------------


def _state(hall) -> tuple:
    hall.project.refresh_from_db()
    return (
        hall.project.version,
        hall.project.name,
        TimelineEntry.objects.count(),
        NotificationLetter.objects.count(),
        ProjectMatter.objects.count(),
        tuple(ProjectMatter.objects.order_by("pk").values_list("status", flat=True)),
    )


def _post_data(hall, name: str) -> dict:
    """A form that would succeed for the project's specialist."""
    if name == "projects:edit":
        project = hall.project
        data = {field: getattr(project, field) for field in services.PROJECT_FIELDS}
        data.update(
            name="被改掉的项目名",
            land_area="",
            floor_area="",
            total_investment="",
            current_stage="",
            specialist=project.specialist_id,
            status=project.status,
            version=project.version,
        )
        return data
    if name == "projects:letter_create":
        return {"matters": [hall.pm_b.matter_id], "recipient": "某公司"}
    if name == "projects:matters_add":
        return {"matters": [MatterFactory(name="人防工程审查", unit=hall.unit_b).pk]}
    if name == "projects:feedback_create":
        told_at = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
        return {"told_at": told_at.strftime("%Y-%m-%dT%H:%M"), "method": "电话", "content": "已电话告知进度"}
    raise AssertionError(name)


CHANGES = ["projects:edit", "projects:letter_create", "projects:matters_add", "projects:feedback_create"]


@pytest.mark.parametrize("name", CHANGES)
@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("office", 403),
        ("window", 403),
        ("other_window", 404),
        ("department", 403),
        ("other_specialist", 404),
        ("admin", 403),
    ],
)
def test_only_the_projects_specialist_changes_it(hall, name, viewer, status):
    before = _state(hall)
    response = hall.clients[viewer].post(reverse(name, args=[hall.project.pk]), _post_data(hall, name))
    assert response.status_code == status
    assert _state(hall) == before


@pytest.mark.parametrize("name", CHANGES)
def test_the_projects_specialist_changes_it(hall, name):
    """The same forms do change the project for its specialist, so the refusals above are real."""
    before = _state(hall)
    response = hall.clients["specialist"].post(reverse(name, args=[hall.project.pk]), _post_data(hall, name))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert _state(hall) != before


def _move(client: Client, pm: ProjectMatter):
    return client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": "已受理", "on": ACCEPTED_ON.isoformat(), "mode": "常规", "reason": "", "version": pm.version},
    )


@pytest.mark.parametrize(
    ("viewer", "target", "status"),
    [
        ("office", "pm_a", 403),
        ("admin", "pm_a", 403),
        ("window", "pm_b", 404),
        ("other_window", "pm_a", 404),
        ("other_specialist", "pm_a", 404),
        ("outside_department", "pm_a", 404),
        ("department", "pm_b", 404),
        ("other_department", "pm_a", 404),
    ],
)
def test_matter_move_refused(hall, viewer, target, status):
    pm = getattr(hall, target)
    response = _move(hall.clients[viewer], pm)
    assert response.status_code == status
    pm.refresh_from_db()
    assert pm.status == ProjectMatter.Status.PENDING
    assert not TimelineEntry.objects.filter(project_matter=pm, summary__contains="受理").exists()


@pytest.mark.parametrize(
    ("viewer", "target"),
    [("specialist", "pm_a"), ("specialist", "pm_b"), ("department", "pm_a"), ("window", "pm_a")],
)
def test_matter_move_allowed(hall, viewer, target):
    pm = getattr(hall, target)
    response = _move(hall.clients[viewer], pm)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[hall.project.pk])
    pm.refresh_from_db()
    assert pm.status == ProjectMatter.Status.ACCEPTED
    assert pm.handler == hall.clients[viewer].user
    entry = TimelineEntry.objects.get(project_matter=pm, summary__startswith=f"{pm.matter.name}：")
    user = hall.clients[viewer].user
    # window staff record a move on the unit's behalf, and the dossier says so
    assert (f"{user.name}代{pm.unit.name}录入" in entry.summary) is (viewer == "window")


def test_matter_move_of_another_specialists_project_is_404_for_a_specialist(hall):
    response = hall.clients["specialist"].get(reverse("projects:matter_move", args=[hall.pm_q.pk]))
    assert response.status_code == 404
    assert hall.other_project.name not in response.content.decode()


# --- what the dossier page shows --------------------------------------------------------------


def test_department_sees_only_its_units_part_of_the_dossier(hall):
    page = hall.clients["department"].get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert "仅显示本单位或本阶段的事项" in page
    # its own matter, with a link to move it, and the timeline entry about it
    assert "施工图审查备案" in page
    assert reverse("projects:matter_move", args=[hall.pm_a.pk]) in page
    assert "住建委收件完毕" in page
    # nothing of unit B: not the matter, not its unit, not the timeline entry about it
    assert "消防设计审查" not in page
    assert hall.unit_b.name not in page
    assert reverse("projects:matter_move", args=[hall.pm_b.pk]) not in page
    assert "消防审查通知补正" not in page
    # nor the entries about a stage only
    assert "施工许可阶段窗口已约见申请人" not in page
    assert "工程建设许可阶段窗口已约见申请人" not in page
    # no letters, and no buttons that change the project
    assert hall.letter.number not in page
    assert reverse("projects:letter_detail", args=[hall.letter.pk]) not in page
    assert reverse("projects:edit", args=[hall.project.pk]) not in page


WHOLE_DOSSIER = (
    "施工图审查备案",
    "消防设计审查",
    "住建委收件完毕",
    "消防审查通知补正",
    "施工许可阶段窗口已约见申请人",
    "工程建设许可阶段窗口已约见申请人",
)


def test_office_reads_the_whole_dossier_without_changing_it(hall):
    page = hall.clients["office"].get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    for text in (*WHOLE_DOSSIER, hall.letter.number):
        assert text in page
    assert "仅显示本单位或本阶段的事项" not in page
    for url in (
        reverse("projects:edit", args=[hall.project.pk]),
        reverse("projects:letter_create", args=[hall.project.pk]),
        reverse("projects:matter_move", args=[hall.pm_a.pk]),
        reverse("projects:matter_move", args=[hall.pm_b.pk]),
    ):
        assert url not in page


def test_window_sees_only_its_stages_part_of_the_dossier(hall):
    page = hall.clients["window"].get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert "仅显示本单位或本阶段的事项" in page
    # the matter of its stage, with a link to move it, the entry about it and the entry about the stage
    assert "施工图审查备案" in page
    assert reverse("projects:matter_move", args=[hall.pm_a.pk]) in page
    assert "住建委收件完毕" in page
    assert "施工许可阶段窗口已约见申请人" in page
    # nothing of stage 2: not the matter, its unit, the entry about it or the entry about the stage
    assert "消防设计审查" not in page
    assert hall.unit_b.name not in page
    assert reverse("projects:matter_move", args=[hall.pm_b.pk]) not in page
    assert "消防审查通知补正" not in page
    assert "工程建设许可阶段窗口已约见申请人" not in page
    # no letters, and no buttons that change the project
    assert hall.letter.number not in page
    assert reverse("projects:letter_detail", args=[hall.letter.pk]) not in page
    for url in (
        reverse("projects:edit", args=[hall.project.pk]),
        reverse("projects:letter_create", args=[hall.project.pk]),
        reverse("projects:matters_add", args=[hall.project.pk]),
        reverse("projects:feedback_create", args=[hall.project.pk]),
    ):
        assert url not in page


def test_window_sees_a_project_standing_at_its_stage_without_matters(hall):
    response = hall.clients["window"].get(reverse("projects:detail", args=[hall.idle_project.pk]))
    assert response.status_code == 200
    assert hall.idle_project.name in response.content.decode()
    assert hall.clients["other_window"].get(reverse("projects:detail", args=[hall.idle_project.pk])).status_code == 404


def test_matter_page_shows_window_only_its_matters_history(hall):
    page = hall.clients["window"].get(reverse("projects:matter_move", args=[hall.pm_a.pk])).content.decode()
    assert "住建委收件完毕" in page
    assert "消防审查通知补正" not in page


def test_specialist_sees_and_may_change_the_whole_dossier(hall):
    page = hall.clients["specialist"].get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    for text in (*WHOLE_DOSSIER, hall.letter.number):
        assert text in page
    for url in (
        reverse("projects:edit", args=[hall.project.pk]),
        reverse("projects:letter_create", args=[hall.project.pk]),
        reverse("projects:matter_move", args=[hall.pm_a.pk]),
        reverse("projects:matter_move", args=[hall.pm_b.pk]),
    ):
        assert url in page


def test_matter_page_shows_department_only_its_matters_history(hall):
    page = hall.clients["department"].get(reverse("projects:matter_move", args=[hall.pm_a.pk])).content.decode()
    assert "住建委收件完毕" in page
    assert "消防审查通知补正" not in page


def test_department_specialist_sees_only_the_units_part_of_someone_elses_project(hall, client_for):
    """A person holding both roles gets the union: their own projects whole, others' only for the unit."""
    both = client_for(Role.SPECIALIST, Role.DEPARTMENT, department=hall.unit_a)
    page = both.get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert "施工图审查备案" in page
    assert "消防设计审查" not in page
    assert hall.letter.number not in page
    assert both.get(reverse("projects:letter_detail", args=[hall.letter.pk])).status_code == 404
    assert both.get(reverse("projects:edit", args=[hall.project.pk])).status_code == 403


@pytest.mark.parametrize("second_role", [Role.WINDOW, Role.DEPARTMENT])
def test_a_specialist_with_a_second_role_changes_only_own_projects(hall, client_for, second_role):
    both = client_for(Role.SPECIALIST, second_role, department=hall.unit_a)
    if second_role == Role.WINDOW:
        hall.stage.window_staff.add(both.user)
    own = ProjectFactory(name="寸滩港区仓储", specialist=both.user)
    assert both.get(reverse("projects:edit", args=[own.pk])).status_code == 200
    assert both.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 200
    for name in CHANGES:
        assert both.get(reverse(name, args=[hall.project.pk])).status_code == 403


def test_handing_a_project_over_takes_it_away_from_the_old_specialist(hall):
    client, project = hall.clients["specialist"], hall.project
    data = _post_data(hall, "projects:edit")
    data.update(name=project.name, specialist=hall.clients.users["other_specialist"].pk)
    response = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:index")
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 404
    assert client.get(reverse("projects:letter_detail", args=[hall.letter.pk])).status_code == 404
    assert hall.clients["other_specialist"].get(reverse("projects:edit", args=[project.pk])).status_code == 200


def test_department_user_without_a_unit_sees_no_project(hall, client_for):
    homeless = client_for(Role.DEPARTMENT, department=None)
    assert homeless.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 404
    response = homeless.get(reverse("projects:index"))
    assert list(response.context["page"]) == []
    response = homeless.get(reverse("projects:unit_matters"))
    assert list(response.context["page"]) == []


def test_window_user_without_a_stage_sees_no_project(hall, consultations, client_for):
    stageless = client_for(Role.WINDOW)
    for project in (hall.project, hall.other_project, hall.idle_project):
        assert stageless.get(reverse("projects:detail", args=[project.pk])).status_code == 404
    assert stageless.get(reverse("projects:matter_move", args=[hall.pm_a.pk])).status_code == 404
    assert list(stageless.get(reverse("projects:index")).context["page"]) == []
    assert list(stageless.get(reverse("projects:unit_matters")).context["page"]) == []
    assert list(stageless.get(reverse("projects:consultation_list")).context["page"]) == []


def test_leaving_the_window_takes_the_access_away(hall):
    client = hall.clients["window"]
    assert client.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 200
    hall.stage.window_staff.remove(client.user)
    assert client.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 404
    assert _move(client, hall.pm_a).status_code == 404
    hall.pm_a.refresh_from_db()
    assert hall.pm_a.status == ProjectMatter.Status.PENDING


def test_a_withdrawn_role_takes_the_access_away(hall):
    client = hall.clients["department"]
    assert client.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 200
    client.user.groups.clear()
    assert client.get(reverse("projects:detail", args=[hall.project.pk])).status_code == 403


# --- list scoping -----------------------------------------------------------------------------

PROJECTS_SEEN = {
    "office": {"滨江花园住宅小区", "观音桥商业综合体", "鸿恩寺公园改造"},
    "window": {"滨江花园住宅小区", "鸿恩寺公园改造"},
    "other_window": {"观音桥商业综合体"},
    "specialist": {"滨江花园住宅小区"},
    "other_specialist": {"观音桥商业综合体", "鸿恩寺公园改造"},
    "department": {"滨江花园住宅小区"},
    "other_department": {"滨江花园住宅小区", "观音桥商业综合体"},
    "outside_department": set(),
}
ALL_PROJECTS = set().union(*PROJECTS_SEEN.values())


@pytest.mark.parametrize("viewer", sorted(PROJECTS_SEEN))
def test_project_list_shows_only_what_the_seat_may_see(hall, viewer):
    response = hall.clients[viewer].get(reverse("projects:index"))
    assert response.status_code == 200
    assert {project.name for project in response.context["page"]} == PROJECTS_SEEN[viewer]
    page = response.content.decode()
    for name in ALL_PROJECTS:
        assert (name in page) is (name in PROJECTS_SEEN[viewer])


@pytest.mark.parametrize("viewer", sorted(PROJECTS_SEEN))
def test_project_rows_for_htmx_are_scoped_too(hall, viewer):
    response = hall.clients[viewer].get(
        reverse("projects:index"), {"q": "观音桥"}, headers={"HX-Request": "true", "HX-Target": "project-rows"}
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "projects/_project_rows.html"
    assert ("观音桥商业综合体" in response.content.decode()) is ("观音桥商业综合体" in PROJECTS_SEEN[viewer])


@pytest.mark.parametrize("viewer", ["specialist", "department", "window"])
def test_project_search_does_not_reach_beyond_the_scope(hall, viewer):
    for text in ("观音桥", hall.other_project.code, hall.other_project.builder):
        response = hall.clients[viewer].get(reverse("projects:index"), {"q": text})
        assert list(response.context["page"]) == []
    response = hall.clients["office"].get(reverse("projects:index"), {"q": hall.other_project.code})
    assert [p.name for p in response.context["page"]] == ["观音桥商业综合体"]


MATTERS_SEEN = {
    "office": {"pm_a", "pm_b", "pm_q"},
    "window": {"pm_a"},
    "other_window": {"pm_q"},
    "specialist": {"pm_a", "pm_b"},
    "other_specialist": {"pm_q"},
    "department": {"pm_a"},
    "other_department": {"pm_b", "pm_q"},
    "outside_department": set(),
}


@pytest.mark.parametrize("viewer", sorted(MATTERS_SEEN))
def test_unit_matters_shows_only_what_the_seat_may_see(hall, viewer):
    response = hall.clients[viewer].get(reverse("projects:unit_matters"))
    assert response.status_code == 200
    expected = {getattr(hall, key).pk for key in MATTERS_SEEN[viewer]}
    assert {pm.pk for pm in response.context["page"]} == expected
    page = response.content.decode()
    for key in ("pm_a", "pm_b", "pm_q"):
        pm = getattr(hall, key)
        assert (pm.matter.name in page) is (key in MATTERS_SEEN[viewer])


@pytest.fixture
def consultations(hall):
    """One consultation on each specialist's project and one general consultation, not on a project."""
    now = timezone.now()

    def log(client, project, visitor, hours):
        return services.consultation_log(
            actor=client.user,
            request=None,
            project=project,
            visited_at=now - datetime.timedelta(hours=hours),
            kind="咨询",
            visitor_name=visitor,
            question="施工许可需要哪些材料",
        )

    return {
        "mine": log(hall.clients["specialist"], hall.project, "来访人甲", 3),
        "theirs": log(hall.clients["other_specialist"], hall.other_project, "来访人乙", 2),
        "general": log(hall.clients["other_specialist"], None, "来访人丙", 1),
    }


CONSULTATIONS_SEEN = {
    "office": {"mine", "theirs", "general"},
    # window staff: the hall's general enquiries and those on projects of their stage
    "window": {"mine", "general"},
    "other_window": {"theirs", "general"},
    "specialist": {"mine"},
    "other_specialist": {"theirs", "general"},
}


@pytest.mark.parametrize("viewer", sorted(CONSULTATIONS_SEEN))
def test_consultation_list_shows_only_what_the_seat_may_see(hall, consultations, viewer):
    response = hall.clients[viewer].get(reverse("projects:consultation_list"))
    assert response.status_code == 200
    expected = {consultations[key].pk for key in CONSULTATIONS_SEEN[viewer]}
    assert {c.pk for c in response.context["page"]} == expected
    page = response.content.decode()
    for key, consultation in consultations.items():
        assert (consultation.visitor_name in page) is (key in CONSULTATIONS_SEEN[viewer])


@pytest.mark.parametrize("viewer", ["department", "admin"])
def test_consultation_list_is_refused_to_department_and_administrator(hall, consultations, viewer):
    response = hall.clients[viewer].get(reverse("projects:consultation_list"))
    assert response.status_code == 403
    assert "来访人甲" not in response.content.decode()


@pytest.mark.parametrize("text", ["来访人乙", "观音桥"])
def test_consultation_search_stays_in_scope(hall, consultations, text):
    mine = hall.clients["specialist"].get(reverse("projects:consultation_list"), {"q": text})
    assert list(mine.context["page"]) == []
    office = hall.clients["office"].get(reverse("projects:consultation_list"), {"q": text})
    assert [c.pk for c in office.context["page"]] == [consultations["theirs"].pk]


def test_consultation_form_offers_only_the_specialists_own_projects(hall):
    client = hall.clients["specialist"]
    url = reverse("projects:consultation_create")
    response = client.get(url, {"project": hall.other_project.pk})
    assert response.status_code == 200
    assert list(response.context["form"].fields["project"].queryset) == [hall.project]
    assert "观音桥商业综合体" not in response.content.decode()
    visited_at = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    response = client.post(
        url,
        {
            "visited_at": visited_at.strftime("%Y-%m-%dT%H:%M"),
            "kind": "咨询",
            "project": hall.other_project.pk,
            "visitor_name": "来访人丁",
            "question": "何时办结",
            "outcome": "当场解答",
        },
    )
    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    assert not hall.other_project.consultations.exists()


def _consultation_on(client, project) -> dict:
    visited_at = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    return {
        "visited_at": visited_at.strftime("%Y-%m-%dT%H:%M"),
        "kind": "咨询",
        "project": project.pk,
        "visitor_name": "来访人丁",
        "question": "何时办结",
        "outcome": "当场解答",
    }


@pytest.mark.parametrize("second_role", [Role.WINDOW, Role.DEPARTMENT])
def test_consultation_form_of_a_specialist_with_a_second_role_offers_only_own_projects(hall, client_for, second_role):
    both = client_for(Role.SPECIALIST, second_role, department=hall.unit_b)
    own = ProjectFactory(name="寸滩港区仓储", specialist=both.user)
    url = reverse("projects:consultation_create")
    response = both.get(url)
    assert list(response.context["form"].fields["project"].queryset) == [own]
    response = both.post(url, _consultation_on(both, hall.other_project))
    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    assert not hall.other_project.consultations.exists()
    assert not hall.other_project.timeline.filter(kind="consultation").exists()


def test_consultation_form_of_a_specialist_with_a_second_role_accepts_own_project(hall, client_for):
    both = client_for(Role.SPECIALIST, Role.WINDOW)
    own = ProjectFactory(name="寸滩港区仓储", specialist=both.user)
    response = both.post(reverse("projects:consultation_create"), _consultation_on(both, own))
    assert response.status_code == 302
    assert own.timeline.filter(kind="consultation", summary__contains="来访人丁").exists()


def test_consultation_list_of_a_department_specialist_leaves_out_projects_seen_only_through_the_unit(
    hall, consultations, client_for
):
    both = client_for(Role.SPECIALIST, Role.DEPARTMENT, department=hall.unit_b)
    # unit B has matters on both 滨江花园 and 观音桥, neither of which is this specialist's
    dossier = both.get(reverse("projects:detail", args=[hall.other_project.pk])).content.decode()
    assert "来访人乙" not in dossier
    response = both.get(reverse("projects:consultation_list"))
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert "来访人乙" not in response.content.decode()


# --- query counts do not grow with the rows ---------------------------------------------------


def _count(client: Client, url: str, data: dict | None = None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], response


def _assert_same_count(few: list[str], many: list[str]) -> None:
    assert len(many) == len(few), "\n\n".join(many)


def _stages():
    names = ["立项用地规划许可阶段", "工程建设许可阶段", "施工许可阶段", "竣工验收阶段", "市政公用服务", "不动产登记"]
    return [StageFactory(number=number, name=name) for number, name in enumerate(names, start=1)]


def _projects(n: int, specialist=None, stages=()):
    """``n`` projects, each with its own specialist unless one is given, a stage and two matters."""
    stages = stages or _stages()
    for i in range(n):
        stage = stages[i % 4]
        project = ProjectFactory(specialist=specialist or UserFactory(roles=[Role.SPECIALIST]), current_stage=stage)
        ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage))
        ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage), status="撤回")


def test_project_list_query_count_is_flat_for_office(client_for):
    office = client_for(Role.OFFICE)
    stages = _stages()
    _projects(2, stages=stages)
    few, response = _count(office, reverse("projects:index"))
    assert len(response.context["page"]) == 2
    _projects(48, stages=stages)
    many, response = _count(office, reverse("projects:index"))
    assert len(response.context["page"]) == 50
    assert response.content.decode().count('href="/projects/') >= 50
    _assert_same_count(few, many)


def test_project_list_query_count_is_flat_for_specialist(client_for):
    client = client_for(Role.SPECIALIST)
    stages = _stages()
    _projects(3, stages=stages)  # someone else's, never listed
    _projects(2, specialist=client.user, stages=stages)
    few, response = _count(client, reverse("projects:index"))
    assert len(response.context["page"]) == 2
    _projects(48, specialist=client.user, stages=stages)
    many, response = _count(client, reverse("projects:index"))
    assert len(response.context["page"]) == 50
    assert {p.specialist_id for p in response.context["page"]} == {client.user.pk}
    _assert_same_count(few, many)


def _grow_dossier(project, start: int, stop: int, *, units, actors, stages) -> None:
    """Matters ``start``..``stop-1`` on ``project`` across all stages and units, every third accepted
    (with a deadline), every sixth also paused for 补正材料; a timeline entry per matter, by varying
    people; and a letter per five matters."""
    for i in range(start, stop):
        unit = units[i % len(units)]
        pm = ProjectMatterFactory(project=project, matter=MatterFactory(stage=stages[i % len(stages)], unit=unit))
        actor = actors[i % len(actors)]
        if i % 3 == 0:
            moved = services.matter_move(
                actor=actor,
                request=None,
                project_matter_id=pm.pk,
                version=pm.version,
                to_status="已受理",
                on=ACCEPTED_ON,
            )
            if i % 6 == 0:
                services.matter_move(
                    actor=actor,
                    request=None,
                    project_matter_id=pm.pk,
                    version=moved.version,
                    to_status="补正材料",
                    on=ACCEPTED_ON + datetime.timedelta(days=1),
                    reason="缺少设计图纸",
                )
        timeline.record(project, "matter", actor, f"第{i}条办理记录", project_matter=pm)
        if i % 5 == 0:
            services.letter_issue(
                actor=actor, request=None, project_id=project.pk, matters=[pm.matter], recipient="某公司"
            )


# which of the matters grown by _grow_dossier each viewer sees: all, unit A's (even ones), or those of
# the window's stages (the second and third of six; the project stands at the first, later the fourth,
# so the window sees it through its matters both times)
DOSSIER_VIEWERS = {
    "specialist": lambda i: True,
    "office": lambda i: True,
    "department": lambda i: i % 2 == 0,
    "window": lambda i: i % 6 in (1, 2),
}


@pytest.mark.parametrize("viewer", sorted(DOSSIER_VIEWERS))
def test_dossier_query_count_is_flat(client_for, viewer):
    """GIVEN a dossier with 2 matters and 2 timeline entries, then with 30 of each across all stages
    WHEN the specialist, the reform office, unit A's staff or the window of stages 2 and 3 open it
    THEN both pages take the same number of queries, and each shows only its part."""
    unit_a, unit_b = DepartmentFactory(name="区住房城乡建委"), DepartmentFactory(name="区消防救援支队")
    specialist = client_for(Role.SPECIALIST)
    stages = _stages()
    client = {
        "specialist": lambda: specialist,
        "office": lambda: client_for(Role.OFFICE),
        "department": lambda: client_for(Role.DEPARTMENT, department=unit_a),
        "window": lambda: client_for(Role.WINDOW),
    }[viewer]()
    for stage in (stages[1], stages[2]):
        stage.window_staff.add(client_for(Role.WINDOW).user)  # colleagues at the same windows
        if viewer == "window":
            stage.window_staff.add(client.user)
    sees = DOSSIER_VIEWERS[viewer]
    actors = [specialist.user, UserFactory(roles=[Role.DEPARTMENT], department=unit_a), UserFactory()]
    project = ProjectFactory(specialist=specialist.user, current_stage=stages[0])
    grow = {"units": [unit_a, unit_b], "actors": actors, "stages": stages}
    url = reverse("projects:detail", args=[project.pk])

    _grow_dossier(project, 0, 2, **grow)
    few, response = _count(client, url)
    assert sum(len(group.matters) for group in response.context["groups"]) == sum(map(sees, range(2)))
    page = response.content.decode()
    for i in range(2):
        assert (f"第{i}条办理记录" in page) is sees(i)

    _grow_dossier(project, 2, 30, **grow)
    many, response = _count(client, url)
    groups = response.context["groups"]
    assert sum(len(group.matters) for group in groups) == sum(map(sees, range(30)))
    assert len(groups) == len({i % 6 for i in range(30) if sees(i)})
    page = response.content.decode()
    for i in range(30):
        assert (f"第{i}条办理记录" in page) is sees(i)
    assert project.timeline.count() >= 30
    _assert_same_count(few, many)


def test_unit_matters_query_count_is_flat_for_department(client_for):
    unit = DepartmentFactory(name="区住房城乡建委")
    client = client_for(Role.DEPARTMENT, department=unit)
    stages = _stages()

    def add(n: int) -> None:
        for i in range(n):
            project = ProjectFactory()
            pm = ProjectMatterFactory(project=project, matter=MatterFactory(stage=stages[i % 6], unit=unit))
            ProjectMatterFactory(project=project, matter=MatterFactory(stage=stages[i % 6]))  # another unit's
            if i % 2 == 0:
                services.matter_move(
                    actor=client.user,
                    request=None,
                    project_matter_id=pm.pk,
                    version=pm.version,
                    to_status="已受理",
                    on=ACCEPTED_ON,
                )

    add(2)
    few, response = _count(client, reverse("projects:unit_matters"))
    assert len(response.context["page"]) == 2
    add(48)
    many, response = _count(client, reverse("projects:unit_matters"))
    assert len(response.context["page"]) == 50
    assert {pm.unit_id for pm in response.context["page"]} == {unit.pk}
    assert "逾期" in response.content.decode()
    _assert_same_count(few, many)
