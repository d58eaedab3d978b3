"""Who sees and acts on what in the windows part.

Every windows URL for each seat of the hall (200 / 302 / 403 / 404; anonymous → login; wrong method →
405), that a refused change changes nothing, that the lists hold only the seat's rows, that every
to-do link opens for the person it is shown to, and query counts that do not grow with the rows.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import Feedback, Stage, TimelineEntry
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
from tests.windows.meetings import hold_meeting
from windows import services
from windows.models import Attendance, Decision, Handoff, Meeting, Problem, Report
from windows.todo import SHOWN, todo_for

SEATS = (
    "office",
    "window",
    "other_window",
    "specialist",
    "other_specialist",
    "department",
    "other_department",
    "admin",
)


class _Seats(dict):
    """The hall's seats: every account exists from the start; each logs in when a test first uses it."""

    def __init__(self, users: dict):
        super().__init__()
        self.users = users

    def __missing__(self, seat: str) -> Client:
        client = Client()
        sign_in(client, self.users[seat])
        client.user = self.users[seat]
        self[seat] = client
        return client


def _today() -> datetime.date:
    return timezone.localdate()


def _meeting(actor, *, convened_by, stage, topic, units, projects, problems=(), decisions=()):
    return hold_meeting(
        actor=actor,
        convened_by=convened_by,
        stage=stage,
        topic=topic,
        units=units,
        projects=projects,
        problems=problems,
        decisions=decisions,
    )


@pytest.fixture
def hall(make_user):
    """The windows part seen from every seat.

    Stage 3 (施工许可阶段, led by unit A) is staffed by ``window``; stage 4 (竣工验收阶段, led by unit B)
    by ``other_window``. ``specialist`` has 滨江花园 (a matter of unit A in stage 3, standing at stage 2)
    with a waiting hand-off to stage 3 (``handoff``), a problem owned by unit A (``problem``) and a
    stage-3 meeting attended by unit A (``meeting``) with a decision of unit A (``decision``); and 寸滩
    (a matter of unit A in stage 3) whose hand-off ``window`` accepted (``accepted``) and reported on
    (``report``). ``other_specialist`` has 观音桥 (a matter of unit B in stage 4) with a waiting
    hand-off, a problem owned by unit B and a stage-4 meeting attended by unit B. ``department`` works
    for unit A, ``other_department`` for unit B."""
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    stage_2 = StageFactory(number=2, name="工程建设许可阶段")
    stage = StageFactory(number=3, name="施工许可阶段")
    other_stage = StageFactory(number=4, name="竣工验收阶段")
    Stage.objects.filter(pk=stage.pk).update(lead_unit=unit_a)
    Stage.objects.filter(pk=other_stage.pk).update(lead_unit=unit_b)
    clients = _Seats(
        {
            "office": make_user(Role.OFFICE),
            "window": make_user(Role.WINDOW),
            "other_window": make_user(Role.WINDOW),
            "specialist": make_user(Role.SPECIALIST),
            "other_specialist": make_user(Role.SPECIALIST),
            "department": make_user(Role.DEPARTMENT, department=unit_a),
            "other_department": make_user(Role.DEPARTMENT, department=unit_b),
            "admin": make_user(Role.ADMIN),
        }
    )
    users = clients.users
    stage.window_staff.add(users["window"])
    other_stage.window_staff.add(users["other_window"])
    specialist, window = users["specialist"], users["window"]
    later = _today() + datetime.timedelta(days=5)

    project = ProjectFactory(name="滨江花园住宅小区", specialist=specialist, current_stage=stage_2)
    ProjectMatterFactory(project=project, matter=MatterFactory(name="施工图审查备案", unit=unit_a, stage=stage))
    handoff = services.handoff_create(
        actor=specialist, request=None, project_id=project.pk, stage=stage, note="请跟进施工图审查"
    )
    problem = services.problem_raise(
        actor=window,
        request=None,
        project_id=project.pk,
        project_matter=None,
        stage=stage,
        description="审查意见与设计单位不一致",
        owner_unit=unit_a,
        due_on=later,
    )
    meeting = _meeting(
        window,
        convened_by=unit_a,
        stage=stage,
        topic="施工许可会商",
        units=[unit_a],
        projects=[project],
        problems=[problem],
        decisions=[{"content": "出具施工图审查意见", "unit": unit_a, "due_on": later, "project": project}],
    )

    project2 = ProjectFactory(name="寸滩港区仓储", specialist=specialist)
    ProjectMatterFactory(project=project2, matter=MatterFactory(name="施工许可证核发", unit=unit_a, stage=stage))
    accepted = services.handoff_create(
        actor=specialist, request=None, project_id=project2.pk, stage=stage, note="请跟进施工许可"
    )
    accepted = services.handoff_accept(actor=window, request=None, handoff_id=accepted.pk, version=accepted.version)
    report = services.report_create(
        actor=window, request=None, handoff_id=accepted.pk, content="预计周五核发施工许可证"
    )

    other_project = ProjectFactory(
        name="观音桥商业综合体", specialist=users["other_specialist"], current_stage=other_stage
    )
    ProjectMatterFactory(
        project=other_project, matter=MatterFactory(name="人防工程竣工验收备案", unit=unit_b, stage=other_stage)
    )
    other_handoff = services.handoff_create(
        actor=users["other_specialist"], request=None, project_id=other_project.pk, stage=other_stage, note="请跟进验收"
    )
    other_problem = services.problem_raise(
        actor=users["other_window"],
        request=None,
        project_id=other_project.pk,
        project_matter=None,
        stage=other_stage,
        description="人防验收与规划核实冲突",
        owner_unit=unit_b,
        due_on=later,
    )
    other_meeting = _meeting(
        users["other_window"],
        convened_by=unit_b,
        stage=other_stage,
        topic="竣工验收会商",
        units=[unit_b],
        projects=[other_project],
        decisions=[{"content": "组织联合验收", "unit": unit_b, "due_on": later, "project": other_project}],
    )
    problem.refresh_from_db()
    stage.refresh_from_db()
    return SimpleNamespace(
        clients=clients,
        unit_a=unit_a,
        unit_b=unit_b,
        stage_2=stage_2,
        stage=stage,
        other_stage=other_stage,
        project=project,
        handoff=handoff,
        problem=problem,
        meeting=meeting,
        decision=meeting.decisions.get(),
        project2=project2,
        accepted=accepted,
        report=report,
        other_project=other_project,
        other_handoff=other_handoff,
        other_problem=other_problem,
        other_meeting=other_meeting,
        other_decision=other_meeting.decisions.get(),
    )


# --- the URLs, their objects and forms --------------------------------------------------------


def _convened(hall):
    """A stage-3 meeting convened for today on 滨江花园 with unit A, its minutes not yet recorded."""
    return services.meeting_convene(
        actor=hall.clients.users["window"],
        request=None,
        convened_by=hall.unit_a,
        stage=hall.stage,
        held_on=_today(),
        place="区政务服务中心三楼会议室",
        chair="王主任",
        topic="施工许可第二次会商",
        units=[hall.unit_a],
        projects=[hall.project],
    )


def _drafted(hall):
    """The same, its minutes recorded and waiting to be issued."""
    meeting = _convened(hall)
    return services.minutes_record(
        actor=hall.clients.users["window"],
        request=None,
        meeting_id=meeting.pk,
        version=meeting.version,
        chair="王主任",
        recorder="李记录",
        minutes="会议研究决定如下。",
        attendance=[{"unit": hall.unit_a, "present": True, "attendee": "张科长"}],
        decisions=[],
    )


# objects only some rows need, made when first asked for (the hall's lists and to-do stay as they are)
LAZY = {"convened": _convened, "drafted": _drafted}


def _url(hall, name: str, target: str | None) -> str:
    if target is None:
        return reverse(name)
    if target in LAZY and not hasattr(hall, target):
        setattr(hall, target, LAZY[target](hall))
    return reverse(name, args=[getattr(hall, target).pk])


def _shows(hall, target: str | None) -> str | None:
    """A text on the page of ``target`` that tells what it is (and must not be on a refusal)."""
    return {
        None: None,
        "project": hall.project.name,
        "handoff": hall.project.name,
        "accepted": hall.project2.name,
        "report": hall.report.content,
        "problem": hall.problem.description,
        "meeting": hall.meeting.topic,
        "convened": "施工许可第二次会商",
        "drafted": "施工许可第二次会商",
        "decision": hall.decision.content,
        "stage": hall.stage.window_label,
    }[target]


def _post_data(hall, name: str, seat: str = "") -> dict:
    """A form that succeeds for a seat that is allowed (or ``{}`` for a page that takes none)."""
    later = (_today() + datetime.timedelta(days=3)).isoformat()
    if name == "windows:handoff_create":
        return {"stage": hall.stage_2.pk, "note": "请跟进工程规划许可"}
    if name == "windows:handoff_accept":
        return {"version": hall.handoff.version}
    if name == "windows:handoff_cancel":
        return {"version": hall.handoff.version, "reason": "申请人暂缓建设"}
    if name == "windows:report_create":
        return {"content": "已约见申请人，材料齐全"}
    if name == "windows:report_handle":
        return {"pass_on": "1", "method": "电话", "content": "预计周五核发施工许可证"}
    if name == "windows:problem_create":
        return {
            "project_matter": "",
            "stage": hall.stage.pk,
            "description": "图审机构人手不足",
            "owner_unit": hall.unit_a.pk,
            "due_on": later,
        }
    if name == "windows:problem_detail":
        return {"status": "已解决", "resolution": "两部门已协调一致", "version": hall.problem.version}
    if name == "windows:meeting_create":
        # window staff convene as their stage's lead unit, the reform office as itself
        convener = hall.clients.users["office"].department if seat == "office" else hall.unit_a
        return {
            "convened_by": convener.pk,
            "stage": hall.stage.pk,
            "held_on": later,
            "place": "区政务服务中心三楼会议室",
            "chair": "王主任",
            "topic": "施工许可再次会商",
            "agenda": "施工图审查意见统一",
            "units": [hall.unit_a.pk],
            "projects": [hall.project.pk],
        }
    if name == "windows:handoff_return":
        return {"version": hall.handoff.version, "reason": "缺少施工许可阶段的事项"}
    if name == "windows:meeting_issue":
        return {"version": hall.drafted.version}
    if name == "windows:meeting_minutes":
        return {
            "chair": "王主任",
            "recorder": "李记录",
            "minutes": "会议研究决定：补充审查意见。",
            "version": hall.convened.version,
            "a-TOTAL_FORMS": 1,
            "a-INITIAL_FORMS": 1,
            "a-0-unit": hall.unit_a.pk,
            "a-0-present": "1",
            "a-0-attendee": "张科长",
            "d-TOTAL_FORMS": 1,
            "d-INITIAL_FORMS": 0,
            "d-0-content": "补充审查意见",
            "d-0-unit": hall.unit_a.pk,
            "d-0-due_on": later,
        }
    if name == "windows:decision_update":
        prefix = f"dec{hall.decision.pk}"
        return {f"{prefix}-status": "已落实", f"{prefix}-outcome": "已出具审查意见", f"{prefix}-version": 0}
    if name == "windows:window_edit":
        users = hall.clients.users
        return {
            "window_name": "施工许可阶段综合窗口",
            "window_phone": "023-67000000",
            "lead_unit": hall.unit_a.pk,
            "staff": [users["window"].pk, users["other_window"].pk],
            "version": hall.stage.version,
        }
    return {}


def _state() -> tuple:
    """Everything a POST here could change (not the audit log, which records refusals too)."""
    return (
        tuple(Handoff.objects.order_by("pk").values_list("pk", "status", "version", "accepted_by_id")),
        tuple(Report.objects.order_by("pk").values_list("pk", "handled_at", "feedback_id")),
        tuple(Problem.objects.order_by("pk").values_list("pk", "status", "version", "resolution")),
        tuple(Meeting.objects.order_by("pk").values_list("pk", "version", "status", "minutes")),
        tuple(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee")),
        tuple(Decision.objects.order_by("pk").values_list("pk", "status", "version")),
        tuple(Stage.objects.order_by("pk").values_list("pk", "version", "window_name")),
        tuple(Stage.window_staff.through.objects.order_by("stage_id", "user_id").values_list("stage_id", "user_id")),
        TimelineEntry.objects.count(),
        Feedback.objects.count(),
    )


# --- every URL, for every seat ----------------------------------------------------------------

# url name, object, method, expected status for each of SEATS in order:
#  office window other_window specialist other_specialist department other_department admin
PAGES = [
    ("windows:index", None, "get", (200, 200, 200, 200, 200, 200, 200, 403)),
    ("windows:problem_list", None, "get", (200, 200, 200, 200, 200, 200, 200, 403)),
    ("windows:meeting_list", None, "get", (200, 200, 200, 200, 200, 200, 200, 403)),
    ("windows:meeting_create", None, "get", (200, 200, 200, 403, 403, 403, 403, 403)),
    # other_window may convene, but not as unit A and not on 滨江花园: the form comes back
    ("windows:meeting_create", None, "post", (302, 302, 200, 403, 403, 403, 403, 403)),
    ("windows:handoff_create", "project", "get", (403, 403, 404, 200, 404, 403, 404, 403)),
    ("windows:handoff_create", "project", "post", (403, 403, 404, 302, 404, 403, 404, 403)),
    ("windows:handoff_detail", "handoff", "get", (200, 200, 404, 200, 404, 404, 404, 403)),
    ("windows:handoff_detail", "accepted", "get", (200, 200, 404, 200, 404, 404, 404, 403)),
    ("windows:handoff_accept", "handoff", "post", (403, 302, 404, 403, 404, 404, 404, 403)),
    ("windows:handoff_cancel", "handoff", "post", (403, 403, 404, 302, 404, 404, 404, 403)),
    ("windows:handoff_return", "handoff", "post", (403, 302, 404, 403, 404, 404, 404, 403)),
    ("windows:report_create", "accepted", "post", (403, 302, 404, 403, 404, 404, 404, 403)),
    ("windows:report_handle", "report", "get", (404, 404, 404, 200, 404, 404, 404, 403)),
    ("windows:report_handle", "report", "post", (404, 404, 404, 302, 404, 404, 404, 403)),
    ("windows:problem_create", "project", "get", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("windows:problem_create", "project", "post", (302, 302, 404, 302, 404, 302, 404, 403)),
    ("windows:problem_detail", "problem", "get", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("windows:problem_detail", "problem", "post", (302, 302, 404, 403, 404, 302, 404, 403)),
    ("windows:meeting_detail", "meeting", "get", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("windows:meeting_pdf", "meeting", "get", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("windows:meeting_detail", "convened", "get", (200, 200, 404, 200, 404, 200, 404, 403)),
    ("windows:meeting_minutes", "convened", "get", (200, 200, 404, 403, 404, 403, 404, 403)),
    ("windows:meeting_minutes", "convened", "post", (302, 302, 404, 403, 404, 403, 404, 403)),
    ("windows:meeting_issue", "drafted", "post", (302, 302, 404, 403, 404, 403, 404, 403)),
    ("windows:decision_update", "decision", "post", (302, 302, 404, 403, 404, 302, 404, 403)),
    ("windows:window_list", None, "get", (403, 403, 403, 403, 403, 403, 403, 200)),
    ("windows:window_edit", "stage", "get", (403, 403, 403, 403, 403, 403, 403, 200)),
    ("windows:window_edit", "stage", "post", (403, 403, 403, 403, 403, 403, 403, 302)),
]
MATRIX = [
    pytest.param(name, target, method, seat, status, id=f"{name.split(':')[1]}-{target}-{method}-{seat}")
    for name, target, method, statuses in PAGES
    for seat, status in zip(SEATS, statuses, strict=True)
]
URLS = sorted({(name, target) for name, target, _, _ in PAGES}, key=str)


@pytest.mark.parametrize(("name", "target", "method", "seat", "status"), MATRIX)
def test_every_page_for_every_seat(hall, name, target, method, seat, status):
    client = hall.clients[seat]
    url = _url(hall, name, target)
    before = _state()
    response = client.get(url) if method == "get" else client.post(url, _post_data(hall, name, seat))
    assert response.status_code == status
    # a POST changes something exactly when it succeeds; a GET never does
    assert (_state() != before) is (method == "post" and status == 302)
    shows = _shows(hall, target)
    if status == 302:
        assert not response["Location"].startswith(reverse("login"))
        return
    if status == 200 and name == "windows:meeting_pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        return
    page = response.content.decode()
    if status == 200:
        if method == "get" and shows:
            assert shows in page
        return
    # neither a refusal nor a "not found" tells what the URL points to
    if shows:
        assert shows not in page
    assert ("无权访问" if status == 403 else "页面不存在") in page


@pytest.mark.parametrize(("name", "target"), URLS)
def test_anonymous_goes_to_login(hall, client, name, target):
    url = _url(hall, name, target)
    before = _state()
    for response in (client.get(url), client.post(url, _post_data(hall, name))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert _state() == before


@pytest.mark.parametrize(("name", "target"), URLS)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(hall, name, target, method):
    seat = "admin" if name.startswith("windows:window_") else "office"
    url = _url(hall, name, target)
    before = _state()
    assert getattr(hall.clients[seat], method)(url).status_code == 405
    assert _state() == before


# the seat that may POST there: the 405 is the method's, not a refusal
POST_ONLY = [
    ("windows:handoff_accept", "handoff", "window"),
    ("windows:handoff_cancel", "handoff", "specialist"),
    ("windows:report_create", "accepted", "window"),
    ("windows:handoff_return", "handoff", "window"),
    ("windows:meeting_issue", "drafted", "window"),
    ("windows:decision_update", "decision", "department"),
]


@pytest.mark.parametrize(("name", "target", "seat"), POST_ONLY)
def test_actions_refuse_get(hall, name, target, seat):
    url = _url(hall, name, target)
    before = _state()
    assert hall.clients[seat].get(url).status_code == 405
    assert _state() == before


GET_ONLY = [
    ("windows:index", None, "office"),
    ("windows:problem_list", None, "office"),
    ("windows:meeting_list", None, "office"),
    ("windows:handoff_detail", "handoff", "window"),
    ("windows:meeting_detail", "meeting", "office"),
    ("windows:meeting_pdf", "meeting", "office"),
    ("windows:window_list", None, "admin"),
]


@pytest.mark.parametrize(("name", "target", "seat"), GET_ONLY)
def test_read_only_pages_refuse_post(hall, name, target, seat):
    before = _state()
    assert hall.clients[seat].post(_url(hall, name, target)).status_code == 405
    assert _state() == before


def test_unknown_objects_are_404(hall):
    office, admin = hall.clients["office"], hall.clients["admin"]
    for name in ("windows:handoff_detail", "windows:problem_detail", "windows:meeting_detail", "windows:meeting_pdf"):
        assert office.get(reverse(name, args=[999999])).status_code == 404
    assert office.post(reverse("windows:decision_update", args=[999999])).status_code == 404
    assert hall.clients["window"].post(reverse("windows:handoff_accept", args=[999999])).status_code == 404
    assert hall.clients["specialist"].get(reverse("windows:report_handle", args=[999999])).status_code == 404
    assert admin.get(reverse("windows:window_edit", args=[999999])).status_code == 404


# --- what the allowed changes do ----------------------------------------------------------------


def test_window_staff_of_the_stage_accept_a_handoff_and_become_first_responsible(hall):
    client = hall.clients["window"]
    url = reverse("windows:handoff_accept", args=[hall.handoff.pk])
    response = client.post(url, {"version": hall.handoff.version})
    assert response["Location"] == reverse("windows:handoff_detail", args=[hall.handoff.pk])
    hall.handoff.refresh_from_db()
    assert hall.handoff.status == Handoff.Status.ACCEPTED
    assert hall.handoff.accepted_by == client.user
    assert TimelineEntry.objects.filter(project=hall.project, summary__contains=f"{client.user.name}接收").exists()


def test_a_colleague_at_the_same_window_accepts_too_but_another_window_does_not(hall, client_for):
    colleague = client_for(Role.WINDOW)
    hall.stage.window_staff.add(colleague.user)
    other = hall.clients["other_window"]
    assert other.post(reverse("windows:handoff_accept", args=[hall.handoff.pk]), {"version": 0}).status_code == 404
    response = colleague.post(reverse("windows:handoff_accept", args=[hall.handoff.pk]), {"version": 0})
    assert response.status_code == 302
    hall.handoff.refresh_from_db()
    assert hall.handoff.accepted_by == colleague.user


def test_a_window_user_with_the_window_role_but_no_stage_accepts_nothing(hall, client_for):
    stageless = client_for(Role.WINDOW)
    before = _state()
    assert stageless.get(reverse("windows:handoff_detail", args=[hall.handoff.pk])).status_code == 404
    response = stageless.post(reverse("windows:handoff_accept", args=[hall.handoff.pk]), {"version": 0})
    assert response.status_code == 404
    assert stageless.get(reverse("windows:meeting_create")).status_code == 403
    assert list(stageless.get(reverse("windows:index")).context["page"]) == []
    assert list(stageless.get(reverse("windows:problem_list")).context["page"]) == []
    assert list(stageless.get(reverse("windows:meeting_list")).context["page"]) == []
    assert _state() == before


def test_the_specialist_cancels_a_waiting_handoff(hall):
    response = hall.clients["specialist"].post(
        reverse("windows:handoff_cancel", args=[hall.handoff.pk]),
        {"version": hall.handoff.version, "reason": "申请人暂缓建设"},
    )
    assert response.status_code == 302
    hall.handoff.refresh_from_db()
    assert hall.handoff.status == Handoff.Status.CANCELLED
    assert hall.handoff.cancel_reason == "申请人暂缓建设"
    # and the window can no longer accept it
    response = hall.clients["window"].post(
        reverse("windows:handoff_accept", args=[hall.handoff.pk]), {"version": hall.handoff.version}
    )
    hall.handoff.refresh_from_db()
    assert hall.handoff.status == Handoff.Status.CANCELLED
    assert hall.handoff.accepted_by is None


def test_an_accepted_handoff_is_not_cancelled(hall):
    before = _state()
    response = hall.clients["specialist"].post(
        reverse("windows:handoff_cancel", args=[hall.accepted.pk]),
        {"version": hall.accepted.version, "reason": "改由专员自办"},
        follow=True,
    )
    assert "只能撤回尚未接收的移交" in response.content.decode()
    assert _state() == before


def test_the_specialist_passes_a_report_on_to_the_applicant(hall):
    response = hall.clients["specialist"].post(
        reverse("windows:report_handle", args=[hall.report.pk]),
        {"pass_on": "1", "method": "电话", "content": "预计周五核发施工许可证"},
    )
    assert response["Location"] == reverse("projects:detail", args=[hall.project2.pk])
    hall.report.refresh_from_db()
    assert hall.report.handled_by == hall.clients.users["specialist"]
    assert hall.report.feedback.content == "预计周五核发施工许可证"


@pytest.mark.parametrize("seat", ["office", "window", "department"])
def test_problem_is_coordinated_by_office_window_and_owner_unit(hall, seat):
    response = hall.clients[seat].post(
        reverse("windows:problem_detail", args=[hall.problem.pk]), _post_data(hall, "windows:problem_detail")
    )
    assert response["Location"] == reverse("windows:problem_detail", args=[hall.problem.pk])
    hall.problem.refresh_from_db()
    assert hall.problem.status == Problem.Status.SOLVED
    assert hall.problem.resolution == "两部门已协调一致"


def test_the_specialist_sees_the_problem_on_own_project_without_a_form(hall):
    response = hall.clients["specialist"].get(reverse("windows:problem_detail", args=[hall.problem.pk]))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert hall.clients["department"].get(reverse("windows:problem_detail", args=[hall.problem.pk])).context["form"]


@pytest.mark.parametrize("seat", ["office", "window", "department"])
def test_decision_is_updated_by_office_window_and_its_unit(hall, seat):
    response = hall.clients[seat].post(
        reverse("windows:decision_update", args=[hall.decision.pk]), _post_data(hall, "windows:decision_update")
    )
    assert response["Location"] == reverse("windows:meeting_detail", args=[hall.meeting.pk])
    hall.decision.refresh_from_db()
    assert hall.decision.status == Decision.Status.DONE
    assert hall.decision.outcome == "已出具审查意见"


@pytest.mark.parametrize(("seat", "can"), [(seat, seat in ("office", "window", "department")) for seat in SEATS[:-1]])
def test_meeting_page_offers_the_decision_form_only_to_who_may_update(hall, seat, can):
    response = hall.clients[seat].get(reverse("windows:meeting_detail", args=[hall.meeting.pk]))
    if response.status_code == 404:
        assert not can
        return
    url = reverse("windows:decision_update", args=[hall.decision.pk])
    assert (url in response.content.decode()) is can


@pytest.mark.parametrize(("seat", "can"), [("window", True), ("specialist", False), ("office", False)])
def test_handoff_page_offers_accept_only_to_the_window(hall, seat, can):
    page = hall.clients[seat].get(reverse("windows:handoff_detail", args=[hall.handoff.pk])).content.decode()
    assert (reverse("windows:handoff_accept", args=[hall.handoff.pk]) in page) is can
    assert (reverse("windows:handoff_cancel", args=[hall.handoff.pk]) in page) is (seat == "specialist")


def test_a_department_of_an_attending_unit_does_not_update_another_units_decision(hall, client_for):
    """Attending the meeting shows it; only the decision's own unit (or window, office) updates it."""
    unit_c = DepartmentFactory(name="区水利局")
    meeting = _meeting(
        hall.clients.users["window"],
        convened_by=hall.unit_a,
        stage=None,
        topic="防洪评价会商",
        units=[hall.unit_a, unit_c],
        projects=[hall.project],
        decisions=[{"content": "出具防洪评价意见", "unit": unit_c, "due_on": _today() + datetime.timedelta(days=2)}],
    )
    decision = meeting.decisions.get()
    data = {f"dec{decision.pk}-status": "已落实", f"dec{decision.pk}-outcome": "已出具", f"dec{decision.pk}-version": 0}
    department = hall.clients["department"]
    assert department.get(reverse("windows:meeting_detail", args=[meeting.pk])).status_code == 200
    assert department.post(reverse("windows:decision_update", args=[decision.pk]), data).status_code == 403
    # a meeting without a stage is no window's: the stage-3 window neither sees nor updates it
    window = hall.clients["window"]
    assert window.get(reverse("windows:meeting_detail", args=[meeting.pk])).status_code == 404
    assert window.post(reverse("windows:decision_update", args=[decision.pk]), data).status_code == 404
    decision.refresh_from_db()
    assert decision.status == Decision.Status.OPEN
    water = client_for(Role.DEPARTMENT, department=unit_c)
    assert water.post(reverse("windows:decision_update", args=[decision.pk]), data).status_code == 302
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DONE


def test_the_administrator_staffs_a_window_and_the_access_follows(hall):
    other = hall.clients["other_window"]
    assert other.get(reverse("windows:handoff_detail", args=[hall.handoff.pk])).status_code == 404
    response = hall.clients["admin"].post(
        reverse("windows:window_edit", args=[hall.stage.pk]), _post_data(hall, "windows:window_edit")
    )
    assert response["Location"] == reverse("windows:window_list")
    assert set(hall.stage.window_staff.all()) == {hall.clients.users["window"], hall.clients.users["other_window"]}
    assert other.get(reverse("windows:handoff_detail", args=[hall.handoff.pk])).status_code == 200
    response = other.post(reverse("windows:handoff_accept", args=[hall.handoff.pk]), {"version": 0})
    assert response.status_code == 302
    hall.handoff.refresh_from_db()
    assert hall.handoff.accepted_by == other.user


def test_window_setup_lists_every_stage_for_the_administrator(hall):
    page = hall.clients["admin"].get(reverse("windows:window_list")).content.decode()
    for stage in (hall.stage_2, hall.stage, hall.other_stage):
        assert stage.window_label in page
    assert hall.clients.users["window"].name in page


# --- the lists hold only the seat's rows ------------------------------------------------------

HANDOFFS_SEEN = {
    "office": {"handoff", "accepted", "other_handoff"},
    "window": {"handoff", "accepted"},
    "other_window": {"other_handoff"},
    "specialist": {"handoff", "accepted"},
    "other_specialist": {"other_handoff"},
    "department": set(),
    "other_department": set(),
}
HANDOFF_PROJECTS = {"handoff": "project", "accepted": "project2", "other_handoff": "other_project"}


@pytest.mark.parametrize("seat", sorted(HANDOFFS_SEEN))
def test_handoff_list_shows_only_the_seats_rows(hall, seat):
    response = hall.clients[seat].get(reverse("windows:index"), {"status": ""})
    assert response.status_code == 200
    assert {h.pk for h in response.context["page"]} == {getattr(hall, key).pk for key in HANDOFFS_SEEN[seat]}
    page = response.content.decode()
    for key, project in HANDOFF_PROJECTS.items():
        assert (getattr(hall, project).name in page) is (key in HANDOFFS_SEEN[seat])


@pytest.mark.parametrize("seat", ["office", "window", "specialist"])
def test_handoff_list_filter_stays_in_scope(hall, seat):
    response = hall.clients[seat].get(reverse("windows:index"), {"status": "已接收"})
    assert [h.pk for h in response.context["page"]] == [hall.accepted.pk]
    response = hall.clients[seat].get(reverse("windows:index"), {"status": "待接收"})
    expected = {hall.handoff.pk} | ({hall.other_handoff.pk} if seat == "office" else set())
    assert {h.pk for h in response.context["page"]} == expected


SCOPED = {
    "office": {"mine", "theirs"},
    "window": {"mine"},
    "other_window": {"theirs"},
    "specialist": {"mine"},
    "other_specialist": {"theirs"},
    "department": {"mine"},
    "other_department": {"theirs"},
}


@pytest.mark.parametrize("seat", sorted(SCOPED))
@pytest.mark.parametrize("status", ["open", "all"])
def test_problem_list_shows_only_the_seats_rows(hall, seat, status):
    problems = {"mine": hall.problem, "theirs": hall.other_problem}
    response = hall.clients[seat].get(reverse("windows:problem_list"), {"status": status})
    assert response.status_code == 200
    assert {p.pk for p in response.context["page"]} == {problems[key].pk for key in SCOPED[seat]}
    page = response.content.decode()
    for key, problem in problems.items():
        assert (problem.description in page) is (key in SCOPED[seat])


@pytest.mark.parametrize("seat", sorted(SCOPED))
def test_meeting_list_shows_only_the_seats_rows(hall, seat):
    meetings = {"mine": hall.meeting, "theirs": hall.other_meeting}
    response = hall.clients[seat].get(reverse("windows:meeting_list"))
    assert response.status_code == 200
    assert [m.pk for m in response.context["page"]] == [m.pk for k, m in meetings.items() if k in SCOPED[seat]][::-1]
    page = response.content.decode()
    for key, meeting in meetings.items():
        assert (meeting.topic in page) is (key in SCOPED[seat])
    assert response.context["can_add"] is (seat in ("office", "window", "other_window"))


def test_a_meeting_lists_once_for_a_seat_that_sees_it_several_ways(hall, client_for):
    """A specialist of two projects on the agenda, who is also staff of an attending unit."""
    both = client_for(Role.SPECIALIST, Role.DEPARTMENT, department=hall.unit_a)
    first, second = ProjectFactory(specialist=both.user), ProjectFactory(specialist=both.user)
    for project in (first, second):
        ProjectMatterFactory(project=project, matter=MatterFactory(unit=hall.unit_a))
    meeting = _meeting(
        hall.clients.users["office"],
        convened_by=hall.unit_a,
        stage=None,
        topic="两项目合并会商",
        units=[hall.unit_a],
        projects=[first, second],
    )
    response = both.get(reverse("windows:meeting_list"))
    assert [m.pk for m in response.context["page"]].count(meeting.pk) == 1


# --- the to-do list links to pages the person may open ----------------------------------------


@pytest.mark.parametrize("seat", SEATS[:-1])
def test_every_todo_link_opens_for_its_seat(hall, seat):
    """Overdue items too, so that the reform office has something on its list."""
    Handoff.objects.filter(pk=hall.handoff.pk).update(accept_by=_today() - datetime.timedelta(days=2))
    Problem.objects.filter(pk=hall.problem.pk).update(due_on=_today() - datetime.timedelta(days=1))
    Decision.objects.filter(pk=hall.decision.pk).update(due_on=_today() - datetime.timedelta(days=1))
    client = hall.clients[seat]
    response = client.get(reverse("ledger:workbench"))
    assert response.status_code == 200
    links = [item.url for section in response.context["todo"] for item in section.items]
    for url in links:
        assert client.get(url).status_code == 200, url
    keys = {section.key for section in response.context["todo"] if section.count}
    expected = {
        "office": {"problems", "decisions", "late_handoffs"},
        "window": {"handoffs", "problems", "decisions"},
        "other_window": {"handoffs", "problems", "decisions"},
        "specialist": {"reports"},
        "other_specialist": set(),
        "department": {"problems", "decisions"},
        "other_department": {"problems", "decisions"},
    }[seat]
    assert keys == expected


def test_a_decisions_unit_can_open_its_todo_link_though_it_did_not_attend(hall, client_for):
    unit_c = DepartmentFactory(name="区水利局")
    water = client_for(Role.DEPARTMENT, department=unit_c)
    try:
        _meeting(
            hall.clients.users["window"],
            convened_by=hall.unit_a,
            stage=hall.stage,
            topic="防洪评价会商",
            units=[hall.unit_a],
            projects=[hall.project],
            decisions=[
                {"content": "出具防洪评价意见", "unit": unit_c, "due_on": _today() + datetime.timedelta(days=2)}
            ],
        )
    except ValidationError:
        return  # refusing a decision for a unit that did not attend is a fix too
    sections = {s.key: s for s in todo_for(water.user, _today())}
    assert sections["decisions"].count == 1
    assert water.get(sections["decisions"].items[0].url).status_code == 200


@pytest.mark.parametrize("seat", ["department", "window"])
def test_whoever_raises_a_problem_can_open_it(hall, seat):
    client = hall.clients[seat]
    data = _post_data(hall, "windows:problem_create")
    data.update(description="需要消防部门提前介入", owner_unit=hall.unit_b.pk, stage=hall.other_stage.pk)
    response = client.post(reverse("windows:problem_create", args=[hall.project.pk]), data)
    if response.status_code == 200:  # refusing such a problem on the form is a fix too
        assert not Problem.objects.filter(description="需要消防部门提前介入").exists()
        return
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_window_staff_record_meetings_only_of_their_own_stages(hall):
    client = hall.clients["window"]
    data = _post_data(hall, "windows:meeting_create", "window")
    data.update(stage=hall.other_stage.pk, units=[hall.unit_b.pk], topic="越权登记的会议")
    response = client.post(reverse("windows:meeting_create"), data)
    if response.status_code == 200:
        assert not Meeting.objects.filter(topic="越权登记的会议").exists()
        return
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


# --- the dossier panel ------------------------------------------------------------------------


def test_dossier_panel_shows_window_staff_only_their_stages_part(hall):
    """A problem and a meeting of stage 4 on 滨江花园 are not shown to the stage-3 window."""
    other_window = hall.clients.users["other_window"]
    # give 滨江花园 a stage-4 matter, so both windows see the project
    ProjectMatterFactory(project=hall.project, matter=MatterFactory(name="竣工联合验收", stage=hall.other_stage))
    services.problem_raise(
        actor=other_window,
        request=None,
        project_id=hall.project.pk,
        project_matter=None,
        stage=hall.other_stage,
        description="竣工资料缺失",
        owner_unit=hall.unit_b,
        due_on=_today(),
    )
    late = _meeting(
        other_window,
        convened_by=hall.unit_b,
        stage=hall.other_stage,
        topic="竣工资料会商",
        units=[hall.unit_b],
        projects=[hall.project],
    )
    url = reverse("projects:detail", args=[hall.project.pk])
    page = hall.clients["window"].get(url).content.decode()
    assert hall.problem.description in page
    assert hall.meeting.number in page
    assert "竣工资料缺失" not in page
    assert late.number not in page
    assert "竣工资料会商" not in page
    page = hall.clients["other_window"].get(url).content.decode()
    assert "竣工资料缺失" in page
    assert late.number in page
    assert hall.problem.description not in page
    assert hall.meeting.number not in page
    assert reverse("windows:handoff_detail", args=[hall.handoff.pk]) not in page


def test_dossier_panel_does_not_use_the_department_of_a_window_user(hall, client_for):
    """A window user whose account belongs to unit B (without the department role) sees, on 滨江花园, only
    stage 3; a stage-4 problem owned by unit B is not theirs."""
    window = client_for(Role.WINDOW, department=hall.unit_b)
    hall.stage.window_staff.add(window.user)
    problem = services.problem_raise(
        actor=hall.clients.users["specialist"],
        request=None,
        project_id=hall.project.pk,
        project_matter=None,
        stage=hall.other_stage,
        description="消防通道占用",
        owner_unit=hall.unit_b,
        due_on=_today(),
    )
    assert window.get(reverse("windows:problem_detail", args=[problem.pk])).status_code == 404
    page = window.get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert "消防通道占用" not in page


# --- query counts do not grow with the rows ---------------------------------------------------


def _count(client: Client, url: str, data: dict | None = None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], response


@pytest.fixture
def busy(db):
    """A stage-3 window, its colleague, unit A's staff, and ``grow(n)``: ``n`` more projects each with a
    waiting hand-off, an open problem of unit A and a stage-3 meeting with an open decision of unit A."""
    unit = DepartmentFactory(name="区住房城乡建委")
    stage = StageFactory(number=3, name="施工许可阶段")
    Stage.objects.filter(pk=stage.pk).update(lead_unit=unit)
    window = UserFactory(roles=[Role.WINDOW])
    colleague = UserFactory(roles=[Role.WINDOW])
    stage.window_staff.add(window, colleague)
    department = UserFactory(roles=[Role.DEPARTMENT], department=unit)

    def grow(n: int) -> None:
        for i in range(n):
            specialist = UserFactory(roles=[Role.SPECIALIST])
            project = ProjectFactory(specialist=specialist, current_stage=stage)
            ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage, unit=unit))
            services.handoff_create(actor=specialist, request=None, project_id=project.pk, stage=stage, note=f"移交{i}")
            problem = services.problem_raise(
                actor=colleague,
                request=None,
                project_id=project.pk,
                project_matter=None,
                stage=stage,
                description=f"问题{i}",
                owner_unit=unit,
                due_on=_today() + datetime.timedelta(days=i % 3),
            )
            _meeting(
                colleague,
                convened_by=unit,
                stage=stage,
                topic=f"会商{i}",
                units=[unit],
                projects=[project],
                problems=[problem] if i % 2 else [],
                decisions=[
                    {"content": f"议定{i}", "unit": unit, "due_on": _today() + datetime.timedelta(days=1 + i % 4)}
                ],
            )

    return SimpleNamespace(window=window, department=department, grow=grow)


def _login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _assert_same_count(few: list[str], many: list[str], extra: int = 0) -> None:
    assert len(many) == len(few) + extra, "\n\n".join(many)


@pytest.mark.parametrize(("seat", "sections"), [("window", 3), ("department", 2)])
def test_workbench_query_count_is_flat(busy, seat, sections):
    """GIVEN 2, then 20, open hand-offs, problems and decisions
    WHEN window staff (hand-offs, problems, decisions) or unit A's staff (problems, decisions) open the
    workbench
    THEN it shows the first ten of each with the full count, and takes the same number of queries
    but for one COUNT per section that fills its first ten (a shorter section counts its rows)."""
    user = getattr(busy, seat)
    client = _login(user)
    url = reverse("ledger:workbench")
    busy.grow(2)
    few, response = _count(client, url)
    counts = {s.key: s.count for s in response.context["todo"] if s.count}
    assert len(counts) == sections
    assert set(counts.values()) == {2}
    busy.grow(18)
    many, response = _count(client, url)
    todo = [s for s in response.context["todo"] if s.count]
    assert {s.key: s.count for s in todo} == dict.fromkeys(counts, 20)
    assert all(len(s.items) == SHOWN for s in todo)
    _assert_same_count(few, many, extra=sections)


@pytest.mark.parametrize(
    ("name", "seat", "rows"),
    [
        ("windows:index", "window", 1),
        ("windows:problem_list", "window", 1),
        ("windows:problem_list", "department", 1),
        ("windows:meeting_list", "window", 1),
        ("windows:meeting_list", "department", 1),
    ],
)
def test_window_list_query_count_is_flat(busy, name, seat, rows):
    client = _login(getattr(busy, seat))
    url = reverse(name)
    busy.grow(2)
    few, response = _count(client, url)
    assert len(response.context["page"]) == 2 * rows
    busy.grow(18)
    many, response = _count(client, url)
    assert len(response.context["page"]) == 20 * rows
    _assert_same_count(few, many)
