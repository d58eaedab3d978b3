"""Rectifications (整改) through the pages: a bad rating opens one, the unit reports, the reform office
returns it once, calls the applicant back and closes it; what may not close stays as it was; overdue
ones are flagged; the dossier records every step."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Rectification, Visit
from projects.models import TimelineEntry
from qinqing.roles import Role
from qinqing.services import STALE_MESSAGE
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory


def _today() -> datetime.date:
    return timezone.localdate()


def _login(user) -> Client:
    client = Client()
    sign_in(client, user)
    client.user = user
    return client


def bad_visit(project, unit, *, actor, owner="李科长", rating="不满意") -> Rectification:
    """Record a visit to ``project`` rated ``rating`` against ``unit``: it opens a rectification."""
    today = _today()
    visit = Visit.objects.create(
        project=project, period_start=today - datetime.timedelta(days=30), period_end=today - datetime.timedelta(days=1)
    )
    services.visit_record(
        actor=actor,
        request=None,
        visit_id=visit.pk,
        version=visit.version,
        status="已回访",
        method="电话",
        respondent="王经理",
        visited_at=timezone.now() - datetime.timedelta(minutes=5),
        overall=rating,
        efficiency="满意",
        competence="满意",
        attitude="满意",
        comments="材料退回三次，每次说法不一",
        unit=unit,
        owner=owner,
    )
    return Rectification.objects.get(visit=visit)


@pytest.fixture
def hall(db):
    """滨江花园 has a matter of unit A (区住房城乡建委); its applicant rated the service 不满意 and a
    rectification of unit A is open (``rect``). 观音桥 has a matter of unit B with an open
    rectification of unit B (``other_rect``)."""
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    users = {
        "office": UserFactory(roles=[Role.OFFICE]),
        "department": UserFactory(roles=[Role.DEPARTMENT], department=unit_a),
        "other_department": UserFactory(roles=[Role.DEPARTMENT], department=unit_b),
        "specialist": UserFactory(roles=[Role.SPECIALIST]),
        "window": UserFactory(roles=[Role.WINDOW]),
        "admin": UserFactory(roles=[Role.ADMIN]),
    }
    project = ProjectFactory(name="滨江花园住宅小区", specialist=users["specialist"])
    ProjectMatterFactory(project=project, matter=MatterFactory(name="施工图审查备案", unit=unit_a))
    other_project = ProjectFactory(name="观音桥商业综合体")
    ProjectMatterFactory(project=other_project, matter=MatterFactory(name="消防验收", unit=unit_b))
    rect = bad_visit(project, unit_a, actor=users["office"])
    other_rect = bad_visit(other_project, unit_b, actor=users["office"], owner="赵队长")
    return SimpleNamespace(
        unit_a=unit_a,
        unit_b=unit_b,
        users=users,
        clients={seat: _login(user) for seat, user in users.items()},
        project=project,
        other_project=other_project,
        rect=rect,
        other_rect=other_rect,
    )


def _url(name: str, rectification: Rectification) -> str:
    return reverse(f"followups:{name}", args=[rectification.pk])


def _state(rectification: Rectification) -> tuple:
    rectification.refresh_from_db()
    return (rectification.status, rectification.version, rectification.measures, rectification.callback)


def _report(client, rectification, *, measures="已约谈经办人，统一退件口径，一次性告知补正材料", version=None):
    rectification.refresh_from_db()
    return client.post(
        _url("rectification_report", rectification),
        {
            "report-measures": measures,
            "report-rectified_on": _today().isoformat(),
            "report-version": rectification.version if version is None else version,
        },
    )


def _close(client, rectification, **fields):
    rectification.refresh_from_db()
    data = {
        "close-callback_on": _today().isoformat(),
        "close-callback": "电话回访王经理，对整改结果表示认可",
        "close-callback_rating": "满意",
        "close-closing_check": "整改措施已落实，同意办结",
        "close-version": rectification.version,
    }
    data.update({f"close-{key}": value for key, value in fields.items()})
    return client.post(_url("rectification_close", rectification), data)


# --- the loop ----------------------------------------------------------------------------------


def test_the_rectification_loop_through_the_pages(hall):
    """GIVEN a rectification opened by a 不满意 rating
    WHEN the unit reports, the office returns it once, the unit reports again and the office closes it
    THEN each step is saved, shown on the page and recorded in the project's dossier."""
    rect, office, department = hall.rect, hall.clients["office"], hall.clients["department"]
    assert rect.source == "回访"
    assert rect.owner == "李科长"
    assert "整体满意度不满意" in rect.problem
    assert rect.due_on > rect.opened_on

    page = department.get(_url("rectification_detail", rect)).content.decode()
    assert 'data-testid="report-form"' in page
    assert 'data-testid="close-form"' not in page
    assert _report(department, rect).status_code == 302
    assert _state(rect)[0] == "待回访核实"
    assert rect.rectified_by == hall.users["department"]

    # the unit cannot check its own work
    page = department.get(_url("rectification_detail", rect)).content.decode()
    assert 'data-testid="close-form"' not in page
    assert 'data-testid="report-form"' not in page

    page = office.get(_url("rectification_detail", rect)).content.decode()
    assert 'data-testid="close-form"' in page
    assert 'data-testid="return-form"' in page
    response = office.post(
        _url("rectification_return", rect), {"return-reason": "未与申请人沟通", "return-version": rect.version}
    )
    assert response.status_code == 302
    assert _state(rect)[0] == "整改中"
    assert "【退回" in rect.measures
    assert "未与申请人沟通" in rect.measures
    page = department.get(_url("rectification_detail", rect)).content.decode()
    assert "已退回，待责任单位重新填报" in page

    assert _report(department, rect, measures="已当面向申请人说明并致歉").status_code == 302
    response = _close(office, rect)
    assert response.status_code == 302
    rect.refresh_from_db()
    assert rect.status == "已办结"
    assert rect.callback_on == _today()
    assert rect.callback_rating == "满意"
    assert rect.closed_by == hall.users["office"]

    page = office.get(_url("rectification_detail", rect)).content.decode()
    assert "整改措施已落实，同意办结" in page
    for step in ("下发整改", "责任单位填报整改情况", "区工改办退回重新整改", "回访核实后办结"):
        assert step in page
    assert 'data-testid="close-form"' not in page

    summaries = list(
        TimelineEntry.objects.filter(project=hall.project, kind="rectification")
        .order_by("occurred_at", "id")
        .values_list("summary", flat=True)
    )
    assert len(summaries) == 5
    assert summaries[0].startswith("下发整改")
    assert "整改被退回：未与申请人沟通" in summaries[2]
    assert summaries[-1].startswith("整改办结")
    dossier = office.get(reverse("projects:detail", args=[hall.project.pk])).content.decode()
    assert "整改办结" in dossier


def test_a_rectification_opened_inside_a_transaction_by_the_service(hall):
    with transaction.atomic():
        rect = services.rectification_open(
            actor=hall.users["office"],
            request=None,
            source=Rectification.Source.NOTICE,
            unit=hall.unit_a,
            owner="钱主任",
            problem="窗口收件不一次性告知",
            project=hall.project,
            workdays=5,
        )
    page = hall.clients["department"].get(_url("rectification_detail", rect)).content.decode()
    assert "窗口收件不一次性告知" in page
    assert "钱主任" in page


def test_closing_without_a_callback_is_refused_and_changes_nothing(hall):
    rect, office = hall.rect, hall.clients["office"]
    _report(hall.clients["department"], rect)
    before = _state(rect)
    for missing in ({"callback": ""}, {"callback_on": ""}, {"callback": "", "callback_on": ""}):
        response = _close(office, rect, **missing)
        assert response.status_code == 200
        assert "办结整改前须回访申请人" in response.content.decode()
        assert _state(rect) == before
    response = _close(office, rect, closing_check="")
    assert "请填写办结核查意见" in response.content.decode()
    assert _state(rect) == before


@pytest.mark.parametrize("rating", ["不满意", "非常不满意"])
def test_closing_while_the_applicant_is_still_unhappy_is_refused(hall, rating):
    rect, office = hall.rect, hall.clients["office"]
    _report(hall.clients["department"], rect)
    before = _state(rect)
    response = _close(office, rect, callback_rating=rating)
    assert response.status_code == 200
    page = response.content.decode()
    assert "申请人回访仍不满意，不能办结" in page
    assert 'data-testid="close-form"' in page  # the form comes back with what was typed
    assert "电话回访王经理" in page
    assert _state(rect) == before


def test_a_rating_outside_the_scale_and_a_callback_before_the_issue_are_refused(hall):
    rect, office = hall.rect, hall.clients["office"]
    _report(hall.clients["department"], rect)
    before = _state(rect)
    response = _close(office, rect, callback_rating="很好")
    assert "回访评价应为五级评价之一" in response.content.decode()
    response = _close(office, rect, callback_on=(rect.opened_on - datetime.timedelta(days=1)).isoformat())
    assert "回访日期应在下发日期和今天之间" in response.content.decode()
    assert _state(rect) == before


def test_closing_before_the_unit_reports_is_refused(hall):
    rect = hall.rect
    before = _state(rect)
    response = _close(hall.clients["office"], rect)
    assert response.status_code == 200
    assert "责任单位填报整改情况后才能回访核实、办结" in response.content.decode()
    assert _state(rect) == before


@pytest.mark.parametrize(
    ("measures", "message"),
    [
        ("", "请填写整改措施与结果"),
        ("<script>alert(1)</script>", "不能包含 &lt; 或 &gt; 等标记字符"),
        ("措" * 2001, "最多 2000 个字符"),
    ],
)
def test_a_bad_report_shows_on_its_form_and_saves_nothing(hall, measures, message):
    rect = hall.rect
    before = _state(rect)
    response = _report(hall.clients["department"], rect, measures=measures)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'data-testid="report-form"' in page
    assert "<script>alert(1)</script>" not in page
    assert _state(rect) == before


def test_a_report_dated_in_the_future_or_with_a_bad_date_is_refused(hall):
    rect, department = hall.rect, hall.clients["department"]
    before = _state(rect)
    for day, message in (
        ((_today() + datetime.timedelta(days=1)).isoformat(), "整改完成日期不能晚于今天"),
        ("2026-13-45", "有效的日期"),
        ("1999-01-01", "日期不能早于 2000 年"),
    ):
        response = department.post(
            _url("rectification_report", rect),
            {"report-measures": "已整改", "report-rectified_on": day, "report-version": rect.version},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert _state(rect) == before


def test_a_stale_form_is_refused_with_the_services_message(hall):
    rect = hall.rect
    before = _state(rect)
    response = _report(hall.clients["department"], rect, version=rect.version + 3)
    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode()
    assert _state(rect) == before


def test_a_report_on_a_record_that_moved_on_says_why(hall):
    """Two people on one page: the first report wins; the second sees why nothing was saved."""
    rect = hall.rect
    version = rect.version
    _report(hall.clients["office"], rect)
    before = _state(rect)
    response = _report(hall.clients["department"], rect, version=version)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="action-error"' in page
    assert STALE_MESSAGE in page
    assert _state(rect) == before


def test_returning_needs_a_reason(hall):
    rect = hall.rect
    _report(hall.clients["department"], rect)
    before = _state(rect)
    response = hall.clients["office"].post(
        _url("rectification_return", rect), {"return-reason": "  ", "return-version": rect.version}
    )
    assert response.status_code == 200
    assert "请写明退回原因" in response.content.decode()
    assert _state(rect) == before


# --- lists and the overdue flag ------------------------------------------------------------------


def _make_overdue(rectification: Rectification) -> None:
    today = _today()
    Rectification.objects.filter(pk=rectification.pk).update(
        opened_on=today - datetime.timedelta(days=30), due_on=today - datetime.timedelta(days=1)
    )


def test_an_overdue_rectification_is_flagged(hall):
    _make_overdue(hall.rect)
    office = hall.clients["office"]
    page = office.get(reverse("followups:rectification_list")).content.decode()
    assert page.count('data-warning="逾期"') == 1
    overdue_only = office.get(reverse("followups:rectification_list"), {"overdue": "1"}).content.decode()
    assert overdue_only.count('data-testid="rectification-row"') == 1
    assert "滨江花园住宅小区" in overdue_only
    assert "观音桥商业综合体" not in overdue_only
    detail = office.get(_url("rectification_detail", hall.rect)).content.decode()
    assert 'data-warning="逾期"' in detail
    assert "已逾期" in detail
    # reported in time or not, once the unit has reported it is no longer overdue
    _report(hall.clients["department"], hall.rect)
    page = office.get(reverse("followups:rectification_list")).content.decode()
    assert 'data-warning="逾期"' not in page


def test_the_list_holds_each_seats_rows_and_filters(hall):
    office, department = hall.clients["office"], hall.clients["department"]
    url = reverse("followups:rectification_list")
    page = office.get(url).content.decode()
    assert page.count('data-testid="rectification-row"') == 2
    assert "李科长" in page
    assert "赵队长" in page
    only_b = office.get(url, {"unit": hall.unit_b.pk}).content.decode()
    assert "赵队长" in only_b
    assert "李科长" not in only_b

    mine = department.get(url).content.decode()
    assert "李科长" in mine
    assert "赵队长" not in mine
    # a unit's staff get no unit filter, and cannot use one to look elsewhere
    assert 'name="unit"' not in mine
    assert "赵队长" not in department.get(url, {"unit": hall.unit_b.pk}).content.decode()

    _report(department, hall.rect)
    _close(office, hall.rect)
    assert "李科长" not in office.get(url).content.decode()  # default: open ones
    closed = office.get(url, {"status": "已办结"}).content.decode()
    assert "李科长" in closed
    assert "赵队长" not in closed
    assert office.get(url, {"status": "all"}).content.decode().count('data-testid="rectification-row"') == 2
    assert office.get(url, {"status": "<b>", "unit": "x", "page": "zz"}).status_code == 200


def test_the_source_links_to_the_visit(hall):
    page = hall.clients["office"].get(reverse("followups:rectification_list")).content.decode()
    assert reverse("followups:visit_detail", args=[hall.rect.visit_id]) in page
    assert reverse("projects:detail", args=[hall.project.pk]) in page


def test_the_list_query_count_does_not_grow_with_rows(hall):
    office = hall.clients["office"]
    url = reverse("followups:rectification_list")
    office.get(url)
    with CaptureQueriesContext(connection) as few:
        office.get(url, {"status": "all"})
    for n in range(10):
        project = ProjectFactory()
        ProjectMatterFactory(project=project, matter=MatterFactory(unit=hall.unit_a))
        bad_visit(project, hall.unit_a, actor=hall.users["office"], owner=f"责任人{n}")
    with CaptureQueriesContext(connection) as many:
        page = office.get(url, {"status": "all"})
    assert page.content.decode().count('data-testid="rectification-row"') == 12
    assert len(many) == len(few)


# --- who may do what -----------------------------------------------------------------------------

SEATS = ("office", "department", "other_department", "specialist", "window", "admin")

# url name, method, expected status for each of SEATS in order
PAGES = [
    ("rectification_list", "get", (200, 200, 200, 403, 403, 403)),
    ("rectification_detail", "get", (200, 200, 404, 403, 403, 403)),
    ("rectification_report", "post", (302, 302, 404, 403, 403, 403)),
    ("rectification_return", "post", (302, 403, 404, 403, 403, 403)),
    ("rectification_close", "post", (302, 403, 404, 403, 403, 403)),
]


def _post_data(hall, name: str) -> dict:
    rect = hall.rect
    rect.refresh_from_db()
    if name == "rectification_report":
        return {
            "report-measures": "已整改",
            "report-rectified_on": _today().isoformat(),
            "report-version": rect.version,
        }
    if name == "rectification_return":
        return {"return-reason": "措施不具体", "return-version": rect.version}
    if name == "rectification_close":
        return {
            "close-callback_on": _today().isoformat(),
            "close-callback": "申请人认可",
            "close-callback_rating": "满意",
            "close-closing_check": "同意办结",
            "close-version": rect.version,
        }
    return {}


def _page_url(hall, name: str) -> str:
    return reverse("followups:rectification_list") if name == "rectification_list" else _url(name, hall.rect)


@pytest.mark.parametrize(
    ("name", "method", "seat", "status"),
    [
        pytest.param(name, method, seat, status, id=f"{name}-{seat}")
        for name, method, statuses in PAGES
        for seat, status in zip(SEATS, statuses, strict=True)
    ],
)
def test_every_page_for_every_seat(hall, name, method, seat, status):
    if name in ("rectification_return", "rectification_close"):
        services.rectification_report(
            actor=hall.users["department"],
            request=None,
            rectification_id=hall.rect.pk,
            version=hall.rect.version,
            measures="已整改",
            rectified_on=_today(),
        )
    client = hall.clients[seat]
    url = _page_url(hall, name)
    before = _state(hall.rect), _state(hall.other_rect)
    response = client.get(url) if method == "get" else client.post(url, _post_data(hall, name))
    assert response.status_code == status
    assert ((_state(hall.rect), _state(hall.other_rect)) != before) is (status == 302)
    page = response.content.decode()
    if status == 302:
        assert response["Location"] == _url("rectification_detail", hall.rect)
    elif status == 200 and name == "rectification_detail":
        assert "李科长" in page
    elif status in (403, 404):
        assert "李科长" not in page
        assert ("无权访问" if status == 403 else "页面不存在") in page


@pytest.mark.parametrize(("name", "method", "statuses"), PAGES)
def test_anonymous_goes_to_login(hall, client, name, method, statuses):
    url = _page_url(hall, name)
    before = _state(hall.rect)
    for response in (client.get(url), client.post(url, _post_data(hall, name))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert _state(hall.rect) == before


@pytest.mark.parametrize(("name", "method", "statuses"), PAGES)
def test_other_methods_are_refused(hall, name, method, statuses):
    office = hall.clients["office"]
    url = _page_url(hall, name)
    before = _state(hall.rect)
    wrong = ["put", "delete", "patch", "post" if method == "get" else "get"]
    for other in wrong:
        assert getattr(office, other)(url).status_code == 405
    assert _state(hall.rect) == before


def test_a_report_sent_back_no_longer_stands_but_stays_on_record(hall):
    """GIVEN a rectification past its deadline whose report the office sends back
    WHEN the pages are read THEN it is 整改中 and overdue in the list, on the page and on the unit's
    to-do list, and the earlier report (what, when, by whom) is still on the page and in the dossier."""
    from windows.todo import todo_for

    office, department = hall.clients["office"], hall.clients["department"]
    rect = hall.rect
    assert _report(department, rect, measures="已约谈经办人").status_code == 302
    # the deadline passes while the report waits for the office's check
    Rectification.objects.filter(pk=rect.pk).update(
        opened_on=_today() - datetime.timedelta(days=25), due_on=_today() - datetime.timedelta(days=1)
    )
    rect.refresh_from_db()
    listed = office.get(reverse("followups:rectification_list"), {"overdue": "1"}).content.decode()
    assert "材料退回三次" not in listed  # a standing report is not overdue
    response = office.post(
        _url("rectification_return", rect), {"return-reason": "未回复申请人", "return-version": rect.version}
    )
    assert response.status_code == 302
    rect.refresh_from_db()
    assert (rect.status, rect.rectified_on, rect.rectified_by) == ("整改中", None, None)
    listed = office.get(reverse("followups:rectification_list"), {"overdue": "1"}).content.decode()
    assert "材料退回三次" in listed
    page = department.get(_url("rectification_detail", rect)).content.decode()
    assert "已逾期" in page
    assert "已约谈经办人" in page
    assert f"原填报：整改完成日期 {_today():%Y-%m-%d}，填报人 {hall.users['department'].name}" in page
    assert f"责任单位填报整改情况（整改完成日期 {_today():%Y-%m-%d}）" in page
    sections = {s.key: s for s in todo_for(hall.users["department"], _today())}
    assert [item.badge for item in sections["unit_rectifications"].items] == ["逾期"]
    summaries = list(
        TimelineEntry.objects.filter(project=hall.project, kind="rectification").values_list("summary", flat=True)
    )
    assert any(s.startswith("整改情况已填报：已约谈经办人") for s in summaries)
    assert any(s.startswith("整改被退回：未回复申请人") for s in summaries)
