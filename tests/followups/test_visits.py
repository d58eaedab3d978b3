"""Return visits (回访) through the pages: a good visit closes the loop, a bad rating or a problem found
opens a rectification with its unit, owner and deadline; bad input changes nothing; phones are masked;
each role sees and does only what it may."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Rectification, Visit
from projects.models import TimelineEntry
from qinqing.services import STALE_MESSAGE
from qinqing.workdays import add_workdays
from tests.followups.test_draws import build_hall, login

FULL_PHONE = "13987654321"
MASKED_PHONE = "139****4321"


@pytest.fixture
def hall(db):
    """The draws' hall with every project of last month drawn: ``visit`` (a project of unit A) and
    ``visit_b`` (a project of unit B) are waiting to be visited."""
    hall = build_hall()
    services.draw_create(
        actor=hall.office, request=None, period_start=hall.start, period_end=hall.end, share_percent=100
    )
    hall.visit = Visit.objects.get(project=hall.served_a[0])
    hall.visit_b = Visit.objects.get(project=hall.served_b[0])
    return hall


@pytest.fixture
def office(hall):
    return login(hall.office)


def _now_local() -> str:
    return f"{timezone.localtime() - timedelta(minutes=5):%Y-%m-%dT%H:%M}"


def _good(**overrides) -> dict:
    data = {
        "version": "0",
        "status": "已回访",
        "method": "电话",
        "visited_at": _now_local(),
        "respondent": "李四",
        "respondent_phone": "",
        "overall": "满意",
        "efficiency": "非常满意",
        "competence": "满意",
        "attitude": "基本满意",
        "comments": "窗口服务热情",
        "problems_found": "",
        "unit": "",
        "owner": "",
        "workdays": str(settings.RECTIFICATION_WORKDAYS),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _record(client, visit, **overrides):
    return client.post(reverse("followups:visit_record", args=[visit.pk]), _good(**overrides))


def _unchanged(visit) -> None:
    """The visit is still waiting, and nothing was opened or written about it."""
    visit.refresh_from_db()
    assert visit.status == "待回访"
    assert visit.version == 0
    assert visit.overall == ""
    assert visit.recorded_by is None
    assert not Rectification.objects.exists()
    assert TimelineEntry.objects.filter(object_type="followups.visit", object_id=str(visit.pk)).count() == 1


# --- the loop ---------------------------------------------------------------------------------


def test_the_form_is_prefilled_for_a_phone_call(hall, office):
    page = office.get(reverse("followups:visit_record", args=[hall.visit.pk])).content.decode()
    assert 'value="李四"' in page  # the project's contact person
    assert 'name="version" value="0"' in page
    assert 'value="已回访" class="form-check-input" id="id_status_0" required checked' in page
    assert 'value="电话" class="form-check-input" id="id_method_0" required checked' in page
    assert f'name="workdays" value="{settings.RECTIFICATION_WORKDAYS}"' in page
    phone_input = re.search(r'<input[^>]*name="respondent_phone"[^>]*>', page).group(0)
    assert "value=" not in phone_input
    assert "区住房城乡建委" in page  # the project's unit is suggested
    assert "139****5678" in page
    assert "13912345678" not in page
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f'name="overall" value="{level}"' in page


def test_a_good_visit_is_recorded_without_a_rectification(hall, office):
    response = _record(office, hall.visit, respondent_phone=FULL_PHONE)
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:visit_detail", args=[hall.visit.pk])
    visit = Visit.objects.get(pk=hall.visit.pk)
    assert visit.status == "已回访"
    assert visit.method == "电话"
    assert visit.respondent == "李四"
    assert visit.respondent_phone == FULL_PHONE
    assert [value for _, value in visit.ratings] == ["满意", "非常满意", "满意", "基本满意"]
    assert visit.recorded_by == hall.office
    assert visit.version == 1
    assert not Rectification.objects.exists()
    entry = TimelineEntry.objects.filter(kind="visit", project=visit.project).order_by("-id").first()
    assert "整体满意度满意" in entry.summary
    assert "服务态度基本满意" in entry.summary
    page = office.get(response["Location"]).content.decode()
    assert "已登记回访。" in page
    assert "下发整改" not in page
    assert MASKED_PHONE in page
    assert FULL_PHONE not in page


def test_a_bad_rating_opens_a_rectification(hall, office):
    response = _record(
        office,
        hall.visit,
        attitude="不满意",
        comments="窗口人员态度生硬",
        unit=str(hall.unit_a.pk),
        owner="王五",
    )
    assert response.status_code == 302
    rectification = Rectification.objects.get()
    today = timezone.localdate()
    due = add_workdays(today, 15).date
    assert settings.RECTIFICATION_WORKDAYS == 15
    assert rectification.source == "回访"
    assert rectification.visit_id == hall.visit.pk
    assert rectification.project_id == hall.visit.project_id
    assert rectification.unit == hall.unit_a
    assert rectification.owner == "王五"
    assert rectification.opened_on == today
    assert rectification.due_on == due
    assert rectification.status == "整改中"
    assert "服务态度不满意" in rectification.problem
    visit = Visit.objects.get(pk=hall.visit.pk)
    assert visit.unit == hall.unit_a
    assert visit.is_bad
    kinds = TimelineEntry.objects.filter(project=visit.project).values_list("kind", flat=True)
    assert "rectification" in kinds
    page = office.get(response["Location"]).content.decode()
    assert f"已向区住房城乡建委下发整改，责任人 王五，整改期限 {due:%Y-%m-%d}（15 个工作日）" in page
    assert reverse("followups:rectification_detail", args=[rectification.pk]) in page


def test_a_problem_found_opens_a_rectification_with_its_own_deadline(hall, office):
    _record(office, hall.visit, problems_found="图审意见反复修改", unit=str(hall.unit_a.pk), owner="赵六", workdays="5")
    rectification = Rectification.objects.get()
    assert rectification.due_on == add_workdays(timezone.localdate(), 5).date
    assert "图审意见反复修改" in rectification.problem


def test_an_unreachable_applicant_is_recorded_without_ratings(hall, office):
    response = _record(office, hall.visit, status="无法联系", respondent="", overall="非常不满意")
    assert response.status_code == 302
    visit = Visit.objects.get(pk=hall.visit.pk)
    assert visit.status == "无法联系"
    assert visit.overall == ""
    assert not Rectification.objects.exists()
    assert "未能联系上" in TimelineEntry.objects.filter(kind="visit").order_by("-id").first().summary
    assert "已登记：未能联系上申请人" in office.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"attitude": "非常不满意", "unit": "__a__", "owner": ""}, "须选择问题涉及单位并填写整改责任人"),
        ({"attitude": "不满意", "unit": "", "owner": "王五"}, "须选择问题涉及单位并填写整改责任人"),
        ({"problems_found": "材料退回三次", "unit": "", "owner": ""}, "须选择问题涉及单位并填写整改责任人"),
        ({"overall": ""}, "请为“整体满意度”选择五级评价之一"),
        ({"efficiency": None}, "请为“服务效率”选择五级评价之一"),
        ({"overall": "一般"}, "“一般”不是五级评价之一"),
        ({"competence": "好评"}, "“好评”不是五级评价之一"),
        ({"status": "待回访"}, "回访结果只能是“已回访”或“无法联系”"),
        ({"method": "微信"}, "请选择回访方式"),
        ({"respondent": " "}, "已回访时请填写受访人"),
        ({"respondent_phone": "call me"}, "电话号码只能包含数字"),
        ({"comments": "<script>alert(1)</script>"}, "不能包含 &lt; 或 &gt;"),
        ({"workdays": "0", "attitude": "不满意", "unit": "__a__", "owner": "王五"}, "整改期限应为 1 到 60 个工作日"),
        ({"workdays": "61"}, "整改期限应为 1 到 60 个工作日"),
        ({"unit": "999999", "attitude": "不满意", "owner": "王五"}, "所选单位不存在或已停用"),
        ({"visited_at": "2099-01-01T09:00"}, "回访时间不能晚于现在"),
        ({"visited_at": "2020-01-01T09:00"}, "回访时间不能早于所回访的服务期间"),
        ({"visited_at": "昨天"}, "请填写有效的回访时间"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(hall, office, overrides, message):
    overrides = {k: (str(hall.unit_a.pk) if v == "__a__" else v) for k, v in overrides.items()}
    response = _record(office, hall.visit, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    _unchanged(hall.visit)


def test_a_missing_owner_is_refused_by_the_service_too(hall):
    with pytest.raises(Exception, match="须选择问题涉及单位并填写整改责任人"):
        services.visit_record(
            actor=hall.office,
            request=None,
            visit_id=hall.visit.pk,
            version=0,
            status="已回访",
            method="电话",
            respondent="李四",
            visited_at=timezone.now(),
            overall="不满意",
            efficiency="满意",
            competence="满意",
            attitude="满意",
            unit=hall.unit_a,
            owner="  ",
        )
    _unchanged(hall.visit)


def test_a_stale_form_is_refused(hall, office):
    response = _record(office, hall.visit, version="3")
    assert STALE_MESSAGE in response.content.decode()
    _unchanged(hall.visit)


def test_a_visit_recorded_meanwhile_is_not_overwritten(hall, office):
    other = login(hall.office)
    assert _record(other, hall.visit, overall="非常满意").status_code == 302
    response = _record(office, hall.visit, overall="非常不满意", unit=str(hall.unit_a.pk), owner="王五")
    assert STALE_MESSAGE in response.content.decode()
    visit = Visit.objects.get(pk=hall.visit.pk)
    assert visit.overall == "非常满意"
    assert not Rectification.objects.exists()
    # opening the form of a recorded visit leads back to it
    response = office.get(reverse("followups:visit_record", args=[hall.visit.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("followups:visit_detail", args=[hall.visit.pk])
    assert "该回访已登记（已回访），不能重复登记" in response.content.decode()


# --- the pages --------------------------------------------------------------------------------


def test_the_visit_list_puts_the_planned_first_and_filters(hall, office):
    _record(office, hall.visit, respondent_phone=FULL_PHONE)
    _record(office, hall.visit_b, status="无法联系")
    rows = list(office.get(reverse("followups:visit_list")).context["page"])
    assert len(rows) == 8
    assert [v.status for v in rows[:6]] == ["待回访"] * 6
    assert {v.pk for v in rows[6:]} == {hall.visit.pk, hall.visit_b.pk}
    page = office.get(reverse("followups:visit_list"), {"status": "已回访"})
    assert [v.pk for v in page.context["page"]] == [hall.visit.pk]
    assert MASKED_PHONE in page.content.decode()
    assert FULL_PHONE not in page.content.decode()
    unreachable = office.get(reverse("followups:visit_list"), {"status": "无法联系"}).context["page"]
    assert [v.pk for v in unreachable] == [hall.visit_b.pk]
    planned = office.get(reverse("followups:visit_list"), {"status": "待回访"}).context["page"]
    assert len(planned) == 6
    assert len(office.get(reverse("followups:visit_list"), {"status": "乱写"}).context["page"]) == 8


def test_the_visit_page_shows_everything_masked(hall, office):
    _record(
        office,
        hall.visit,
        respondent_phone=FULL_PHONE,
        efficiency="非常不满意",
        problems_found="审批时限过长",
        comments="希望提速",
        unit=str(hall.unit_a.pk),
        owner="王五",
    )
    page = office.get(reverse("followups:visit_detail", args=[hall.visit.pk])).content.decode()
    for text in (
        hall.visit.project.name,
        "电话",
        "李四",
        MASKED_PHONE,
        "整体满意度",
        "服务效率",
        "服务水平",
        "服务态度",
        "非常不满意",
        "希望提速",
        "审批时限过长",
        "区住房城乡建委",
        "王五",
        hall.office.name,
        "followups-tabs",
    ):
        assert text in page, text
    assert FULL_PHONE not in page
    assert "13912345678" not in page


# --- who may see and record -------------------------------------------------------------------


@pytest.fixture
def recorded(hall):
    """``visit`` recorded against unit A, ``visit_b`` against unit B, both with a rectification."""
    for visit, unit in ((hall.visit, hall.unit_a), (hall.visit_b, hall.unit_b)):
        services.visit_record(
            actor=hall.office,
            request=None,
            visit_id=visit.pk,
            version=0,
            status="已回访",
            method="上门",
            respondent="李四",
            respondent_phone=FULL_PHONE,
            visited_at=timezone.now(),
            overall="不满意",
            efficiency="满意",
            competence="满意",
            attitude="满意",
            unit=unit,
            owner="王五",
        )
    return hall


def test_department_staff_see_their_own_units_visits_only(recorded):
    client = login(recorded.department)
    listing = client.get(reverse("followups:visit_list"))
    assert [v.pk for v in listing.context["page"]] == [recorded.visit.pk]
    assert "登记" not in listing.content.decode().split('data-testid="visit-table"')[1]
    assert MASKED_PHONE in listing.content.decode()
    page = client.get(reverse("followups:visit_detail", args=[recorded.visit.pk]))
    assert page.status_code == 200
    assert FULL_PHONE not in page.content.decode()
    assert reverse("followups:draw_detail", args=[recorded.visit.draw_id]) not in page.content.decode()
    assert client.get(reverse("followups:visit_detail", args=[recorded.visit_b.pk])).status_code == 404
    planned = Visit.objects.filter(status="待回访").first()
    assert client.get(reverse("followups:visit_detail", args=[planned.pk])).status_code == 404
    other = login(recorded.other_department)
    assert [v.pk for v in other.get(reverse("followups:visit_list")).context["page"]] == [recorded.visit_b.pk]


VISIT_PAGES = ("visit_list", "visit_detail", "visit_record")


def _visit_url(name, visit):
    return reverse(f"followups:{name}", args=[] if name == "visit_list" else [visit.pk])


@pytest.mark.parametrize(
    ("seat", "expected"),
    [
        ("office", {"visit_list": 200, "visit_detail": 200, "visit_record": 200}),
        ("department", {"visit_list": 200, "visit_detail": 200, "visit_record": 403}),
        ("other_department", {"visit_list": 200, "visit_detail": 404, "visit_record": 403}),
        ("specialist", {"visit_list": 403, "visit_detail": 403, "visit_record": 403}),
        ("window", {"visit_list": 403, "visit_detail": 403, "visit_record": 403}),
        ("admin", {"visit_list": 403, "visit_detail": 403, "visit_record": 403}),
    ],
)
def test_visit_pages_per_role(hall, seat, expected):
    # a visit of unit A still waiting for the office, and one recorded against unit A
    services.visit_record(
        actor=hall.office,
        request=None,
        visit_id=hall.visit_b.pk,
        version=0,
        status="已回访",
        method="电话",
        respondent="李四",
        visited_at=timezone.now(),
        overall="满意",
        efficiency="满意",
        competence="满意",
        attitude="满意",
        problems_found="跨部门协调慢",
        unit=hall.unit_a,
        owner="王五",
    )
    client = login(getattr(hall, seat))
    for name, status in expected.items():
        visit = hall.visit if name == "visit_record" else hall.visit_b
        assert client.get(_visit_url(name, visit)).status_code == status, name


@pytest.mark.parametrize("seat", ["department", "specialist", "window", "admin"])
def test_only_the_office_records_a_visit(hall, seat):
    response = login(getattr(hall, seat)).post(
        reverse("followups:visit_record", args=[hall.visit.pk]), _good(unit=str(hall.unit_a.pk))
    )
    assert response.status_code == 403
    _unchanged(hall.visit)


@pytest.mark.parametrize("name", VISIT_PAGES)
def test_visit_pages_send_the_anonymous_to_login(hall, client, name):
    response = client.get(_visit_url(name, hall.visit))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "method"),
    [("visit_list", "post"), ("visit_detail", "post"), ("visit_record", "put"), ("visit_record", "delete")],
)
def test_visit_pages_refuse_other_methods(hall, office, name, method):
    assert getattr(office, method)(_visit_url(name, hall.visit)).status_code == 405
    _unchanged(hall.visit)


def test_the_office_gets_404_for_a_visit_that_does_not_exist(hall, office):
    assert office.get(reverse("followups:visit_detail", args=[999999])).status_code == 404
    assert office.get(reverse("followups:visit_record", args=[999999])).status_code == 404


def test_the_visit_list_does_not_query_per_row(hall, office, django_assert_max_num_queries):
    _record(office, hall.visit, attitude="不满意", unit=str(hall.unit_a.pk), owner="王五")
    with CaptureQueriesContext(connection) as few:
        office.get(reverse("followups:visit_list"), {"status": "已回访"})
    baseline = len(few)  # now: the next request clears the connection's query log
    for visit in Visit.objects.filter(status="待回访")[:4]:
        _record(office, visit, respondent_phone=FULL_PHONE)
    with django_assert_max_num_queries(baseline):
        office.get(reverse("followups:visit_list"), {"status": "已回访"})
