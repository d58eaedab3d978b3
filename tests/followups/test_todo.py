"""The supervision sections of the to-do list: the office sees the visits to make and the rectifications
to check or chase; a unit's staff see their own unit's rectifications and notices, and nothing else;
every item and every "more" link opens for the one who sees it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from followups import services
from followups.models import Notice, Rectification, Visit
from followups.todo import NOTICE_DAYS
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import DepartmentFactory, ProjectFactory, UserFactory
from windows.todo import todo_count, todo_for

OFFICE_SECTIONS = {"visits", "rectifications_check", "rectifications_late"}
UNIT_SECTIONS = {"unit_rectifications", "unit_notices"}


def _today() -> date:
    return timezone.localdate()


@pytest.fixture
def hall(db):
    """Unit A: one rectification overdue, one sent back and overdue, one waiting for the callback, one
    closed; a notice issued this week, an old one and a draft. Unit B: one rectification not yet due
    and a notice of its own. One visit planned, one done."""
    today = _today()
    unit_a, unit_b = DepartmentFactory(name="区住房城乡建委"), DepartmentFactory(name="区消防救援支队")
    office = UserFactory(roles=[Role.OFFICE])
    staff_a = UserFactory(roles=[Role.DEPARTMENT], department=unit_a)
    staff_b = UserFactory(roles=[Role.DEPARTMENT], department=unit_b)
    planned = Visit.objects.create(project=ProjectFactory(name="鱼嘴物流园"), period_start=today - timedelta(days=30),
                                   period_end=today - timedelta(days=1))  # fmt: skip
    Visit.objects.create(project=ProjectFactory(name="已回访项目"), period_start=today - timedelta(days=30),
                         period_end=today - timedelta(days=1), status="已回访", method="电话", respondent="王",
                         visited_at=timezone.now(), overall="满意", efficiency="满意", competence="满意",
                         attitude="满意")  # fmt: skip

    def rectification(unit, problem, due_in, **fields):
        return Rectification.objects.create(source="回访", unit=unit, owner="张", problem=problem,
                                            opened_on=today - timedelta(days=20), due_on=today + timedelta(days=due_in),
                                            created_by=office, **fields)  # fmt: skip

    late = rectification(unit_a, "甲单位逾期未整改", -2)
    sent_back = rectification(unit_a, "甲单位退回重新整改", -1)
    sent_back = services.rectification_report(actor=staff_a, request=None, rectification_id=sent_back.pk,
                                              version=sent_back.version, measures="已整改", rectified_on=today)  # fmt: skip
    services.rectification_return(actor=office, request=None, rectification_id=sent_back.pk,
                                  version=sent_back.version, reason="措施不具体")  # fmt: skip
    waiting = rectification(unit_a, "甲单位待回访核实", 5, status="待回访核实", measures="已整改", rectified_on=today)
    rectification(unit_a, "甲单位已办结", 5, status="已办结", measures="已整改", rectified_on=today, callback="满意",
                  callback_on=today, closing_check="同意", closed_on=today)  # fmt: skip
    not_due = rectification(unit_b, "乙单位整改中", 5)

    def notice(unit, title, issued_days_ago=None, serial=None):
        fields = {}
        if issued_days_ago is not None:
            fields = {"status": "已印发", "year": today.year, "serial": serial,
                      "issued_at": timezone.now() - timedelta(days=issued_days_ago)}  # fmt: skip
        return Notice.objects.create(unit=unit, title=title, facts="事实", period_start=today - timedelta(days=30),
                                     period_end=today, source="其他", drafted_by=office, **fields)  # fmt: skip

    recent = notice(unit_a, "甲单位本周通报", 2, 901)
    notice(unit_a, "甲单位旧通报", NOTICE_DAYS + 5, 902)
    notice(unit_a, "甲单位通报草稿")
    other = notice(unit_b, "乙单位通报", 1, 903)
    return {
        "office": office, "staff_a": staff_a, "staff_b": staff_b, "planned": planned, "late": late,
        "sent_back": sent_back, "waiting": waiting, "not_due": not_due, "recent": recent, "other": other,
    }  # fmt: skip


def _sections(user) -> dict:
    return {s.key: s for s in todo_for(user, _today()) if s.key in OFFICE_SECTIONS | UNIT_SECTIONS}


def _texts(section) -> list[str]:
    return [item.text for item in section.items]


def test_the_office_sees_the_visits_to_make_and_the_rectifications_to_check_and_chase(hall):
    sections = _sections(hall["office"])
    assert set(sections) == OFFICE_SECTIONS
    assert _texts(sections["visits"]) == [f"鱼嘴物流园（{hall['planned'].period_start:%m-%d}至{hall['planned'].period_end:%m-%d}）"]  # fmt: skip
    assert [t.split("：")[1] for t in _texts(sections["rectifications_check"])] == ["甲单位待回访核实"]
    late = sections["rectifications_late"]
    # overdue: 整改中 past the deadline, the one sent back included; not yet due or reported: not
    assert late.count == 2
    assert all("甲单位逾期未整改" in t or "甲单位退回重新整改" in t for t in _texts(late))
    assert {item.badge for item in late.items} == {"逾期"}


def test_a_units_staff_see_only_their_own_units_rectifications_and_notices(hall):
    sections = _sections(hall["staff_a"])
    assert set(sections) == UNIT_SECTIONS
    own = sections["unit_rectifications"]
    assert [(t.split("（")[0], item.badge) for t, item in zip(_texts(own), own.items, strict=True)] == [
        ("甲单位逾期未整改", "逾期"),
        ("甲单位退回重新整改", "逾期"),
    ]
    # an issued notice of the last NOTICE_DAYS days; no draft, no old one, nothing of unit B
    assert [t.split(" ", 1)[1].split("（")[0] for t in _texts(sections["unit_notices"])] == ["甲单位本周通报"]
    assert _texts(sections["unit_notices"])[0].startswith(hall["recent"].number)

    sections = _sections(hall["staff_b"])
    assert [t.split("（")[0] for t in _texts(sections["unit_rectifications"])] == ["乙单位整改中"]
    assert sections["unit_rectifications"].items[0].badge == ""
    assert [t.split(" ", 1)[1].split("（")[0] for t in _texts(sections["unit_notices"])] == ["乙单位通报"]
    # the navigation's count adds the same items up
    assert todo_count(hall["staff_b"], _today()) == 2


@pytest.mark.parametrize("who", ["office", "staff_a", "staff_b"])
def test_every_item_and_more_link_opens_for_the_one_who_sees_it(hall, who):
    user = hall[who]
    client = Client()
    sign_in(client, user)
    sections = _sections(user)
    urls = [item.url for section in sections.values() for item in section.items]
    urls += [section.more_url for section in sections.values() if section.more_url]
    assert urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    # and the workbench shows them
    page = client.get("/").content.decode()
    for key in sections:
        assert f'data-testid="todo-{key}"' in page


def test_staff_of_one_unit_cannot_open_the_items_of_the_other(hall):
    client = Client()
    sign_in(client, hall["staff_b"])
    for section in _sections(hall["staff_a"]).values():
        for item in section.items:
            assert client.get(item.url).status_code == 404, item.url
