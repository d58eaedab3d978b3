"""One guard for every query parameter of every page: a control character (a NUL above all, which
PostgreSQL refuses in any string and answered with a server error on the projects, consultations and
catalogue lists) is answered with the Chinese 400 page before any view or query sees it."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from qinqing.roles import Role
from tests.qinqing.walk import url_names

LISTS = (
    "projects:index",
    "projects:consultation_list",
    "projects:catalogue",
    "projects:unit_matters",
    "ledger:index",
    "ledger:matters",
    "ledger:summary",
    "ledger:export_list",
    "windows:meeting_list",
    "windows:problem_list",
    "followups:notice_list",
    "followups:visit_list",
    "staff:list",
    "staff:calendar_list",
    "sms:list",
    "audit:list",
)


def _plain_urls() -> list[str]:
    """Every URL that takes no argument."""
    urls = []
    for name in url_names():
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


@pytest.mark.parametrize("value", ["甲\x00乙", "\x1b[31m", "项目\u202e名称"])
def test_a_control_character_in_a_search_is_a_chinese_400(client_for, value):
    client = client_for(Role.OFFICE, Role.SPECIALIST, Role.ADMIN)
    for name in LISTS:
        url = reverse(name)
        response = client.get(url, {"q": value, "page": "1"})
        assert response.status_code == 400, url
        page = response.content.decode()
        assert "查询条件“q”中含有不可见的控制字符" in page, url
        assert response["Content-Security-Policy"], url  # the error page passes through every middleware


def test_every_page_refuses_a_nul_in_a_parameter(client):
    """Before the login redirect, the permission check or the view: every URL without an argument."""
    for url in _plain_urls():
        assert client.get(url, {"page": "\x00"}).status_code == 400, url


def test_a_nul_in_a_parameter_name_or_in_a_second_value(client_for):
    client = client_for(Role.OFFICE)
    for query in ({"sort\x00": "name"}, {"q": ["正常", "\x00"]}):
        assert client.get(reverse("ledger:index"), query).status_code == 400, query


def test_ordinary_searches_pass(client_for):
    client = client_for(Role.OFFICE, Role.SPECIALIST)
    for name in ("projects:index", "projects:catalogue", "ledger:index"):
        assert client.get(reverse(name), {"q": "江北\t嘴 金融城"}).status_code == 200


def test_the_anonymous_visitor_gets_the_same_page(client):
    response = client.get(reverse("projects:index"), {"q": "\x00"})
    assert response.status_code == 400
    assert "请求有误（400）" in response.content.decode()
