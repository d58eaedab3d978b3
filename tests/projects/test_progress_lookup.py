"""The applicant's progress look-up: project code plus the last four digits of the phone, no login.

It shows the stage and the matters' statuses and nothing else, logs every try, and refuses for a
while after too many failures from one address or against one project code."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import ProjectMatter
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, StageFactory, UserFactory

URL_NAME = "progress_lookup"
CODE = "2601-500105-04-01-54321X"
PHONE = "023-67895678"
DIGITS = "5678"
TOO_MANY = "查询次数过多"

CONTACT_NAME = "欧阳联系人"
SPECIALIST_NAME = "司马帮办专员"
PROJECT_NOTE = "备注机密-项目内部备注文字"
REASON = "原因机密-补正原因文字"
WITHDRAWN_REASON = "原因机密-撤回原因文字"


@pytest.fixture
def project(db):
    specialist = UserFactory(roles=[Role.SPECIALIST], display_name=SPECIALIST_NAME)
    stage = StageFactory(number=2, name="工程建设许可阶段")
    project = ProjectFactory(
        specialist=specialist,
        code=CODE,
        contact_name=CONTACT_NAME,
        contact_phone=PHONE,
        current_stage=stage,
        note=PROJECT_NOTE,
    )
    accepted_on = date(2026, 1, 6)
    ProjectMatterFactory(project=project, matter=MatterFactory(name="企业投资项目备案"))
    ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="建设工程规划许可证核发"),
        status=ProjectMatter.Status.ACCEPTED,
        accepted_on=accepted_on,
    )
    ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="施工图设计文件审查"),
        status=ProjectMatter.Status.SUPPLEMENT,
        accepted_on=accepted_on,
        last_reason=REASON,
    )
    ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="已撤回的测试事项"),
        status=ProjectMatter.Status.WITHDRAWN,
        finished_on=accepted_on,
        last_reason=WITHDRAWN_REASON,
    )
    return project


def _post(client: Client, code: str, digits: str, ip: str = "127.0.0.1"):
    return client.post(reverse(URL_NAME), {"code": code, "phone_last4": digits}, REMOTE_ADDR=ip)


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _error(page: str) -> str:
    """The text of the look-up's error box ("" when there is none)."""
    match = re.search(r'<div[^>]*data-testid="lookup-error"[^>]*>(.*?)</div>', page, re.S)
    return match.group(1).strip() if match else ""


def _result_rows(page: str) -> list[list[str]]:
    """The cells of each row of the result table; [] when no result is shown."""
    start = page.find('data-testid="lookup-result"')
    if start < 0:
        return []
    section = page[start:]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells:
            rows.append(cells)
    return rows


def _lookup_rows() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.PROGRESS_LOOKUP).order_by("id"))


# --- what a right pair shows, and what it never shows ------------------------------------------


def test_right_pair_shows_stage_and_each_matter_status(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _error(page) == ""
    assert 'data-testid="lookup-result"' in page
    assert "工程建设许可阶段" in page
    rows = [row[1:] for row in _result_rows(page)]
    assert ["企业投资项目备案", "待申报"] in rows
    assert ["建设工程规划许可证核发", "已受理"] in rows
    assert ["施工图设计文件审查", "补正材料"] in rows
    assert len(rows) == 3


def test_withdrawn_matters_are_not_shown(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _result_rows(page)  # the look-up did succeed
    assert "已撤回的测试事项" not in page
    assert "撤回" not in [row[-1] for row in _result_rows(page)]


def test_result_reveals_no_people_phone_or_notes(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _result_rows(page)
    forbidden = {
        "contact name": CONTACT_NAME,
        "builder credit code": project.builder_credit_code,
        "phone": PHONE,
        "phone digits": "02367895678",
        "masked phone": "023****5678",
        "specialist name": SPECIALIST_NAME,
        "specialist username": project.specialist.username,
        "project note": PROJECT_NOTE,
        "matter reason": REASON,
        "withdrawn reason": WITHDRAWN_REASON,
    }
    leaked = [label for label, text in forbidden.items() if text in page]
    assert leaked == []


# --- a wrong pair ------------------------------------------------------------------------------


def _without_echoes(page: str) -> str:
    """The page without the typed values and the per-response CSRF tokens."""
    page = re.sub(r'value="[^"]*"', 'value=""', page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', page)


def test_wrong_code_and_wrong_digits_look_the_same(project):
    client = Client()
    wrong_code = _page(_post(client, "2601-500105-04-01-99999X", DIGITS))
    wrong_digits = _page(_post(client, CODE, "0000"))
    assert _error(wrong_code)
    assert _error(wrong_code).encode() == _error(wrong_digits).encode()
    assert _result_rows(wrong_code) == _result_rows(wrong_digits) == []
    assert "工程建设许可阶段" not in wrong_digits
    # apart from what was typed, the two pages are the same
    assert _without_echoes(wrong_code) == _without_echoes(wrong_digits)


# --- no login, no caching, CSRF ----------------------------------------------------------------


def test_anonymous_access_and_no_store(project):
    client = Client()
    response = client.get(reverse(URL_NAME))
    assert response.status_code == 200
    assert "phone_last4" in response.content.decode()
    assert "no-store" in response.get("Cache-Control", "")
    # a GET with the pair in the query string looks nothing up (codes stay out of URLs and logs)
    page = _page(client.get(reverse(URL_NAME), {"code": CODE, "phone_last4": DIGITS}))
    assert _result_rows(page) == []
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PROGRESS_LOOKUP).exists()
    response = _post(client, CODE, DIGITS)
    assert response.status_code == 200
    assert _result_rows(response.content.decode())
    assert "no-store" in response.get("Cache-Control", "")


def test_form_works_with_csrf_checks(project):
    client = Client(enforce_csrf_checks=True)
    assert client.get(reverse(URL_NAME)).status_code == 200
    token = client.cookies["csrftoken"].value
    data = {"code": CODE, "phone_last4": DIGITS}
    response = client.post(reverse(URL_NAME), {**data, "csrfmiddlewaretoken": token})
    assert _result_rows(_page(response))
    # and without the token the post is refused
    assert client.post(reverse(URL_NAME), data).status_code == 403


# --- input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        CODE.lower(),
        CODE.replace("-", "－"),
        CODE.lower().replace("-", "－"),
        "　" + CODE.replace("X", "Ｘ") + " ",
    ],
    ids=["lower-case", "full-width-hyphens", "lower-and-full-width", "full-width-letter-and-spaces"],
)
def test_code_is_normalized(project, typed):
    page = _page(_post(Client(), typed, DIGITS))
    assert _error(page) == ""
    assert len(_result_rows(page)) == 3
    success = AuditEntry.objects.get(action=AuditEntry.Action.PROGRESS_LOOKUP)
    assert success.result == AuditEntry.Result.SUCCESS
    assert success.detail == f"项目代码 {CODE}"


@pytest.mark.parametrize("digits", ["56a8", "567", "５６７", "abcd", "56 8"])
def test_bad_digits_are_a_form_error_in_chinese(project, digits):
    page = _page(_post(Client(), CODE, digits))
    assert "请填写 4 位数字。" in page
    assert "Ensure this value" not in page
    assert _result_rows(page) == []
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.SUCCESS).exists()


def test_full_width_digits_are_the_same_digits(project):
    page = _page(_post(Client(), CODE, "５６７８"))
    assert len(_result_rows(page)) == 3
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.FAILURE).exists()


# --- the audit log -----------------------------------------------------------------------------


def test_every_try_is_audited(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 2
    client = Client()
    _post(client, CODE, DIGITS, ip="10.1.1.1")
    _post(client, CODE, "0000", ip="10.1.1.1")
    _post(client, "2601-500105-04-01-99999X", DIGITS, ip="10.1.1.1")
    _post(client, CODE, DIGITS, ip="10.1.1.1")
    rows = _lookup_rows()
    assert [row.result for row in rows] == [
        AuditEntry.Result.SUCCESS,
        AuditEntry.Result.FAILURE,
        AuditEntry.Result.FAILURE,
        AuditEntry.Result.DENIED,
    ]
    assert all(row.ip == "10.1.1.1" and row.actor is None for row in rows)
    assert [row.detail for row in rows] == [
        f"项目代码 {CODE}",
        f"项目代码 {CODE}",
        "项目代码 2601-500105-04-01-99999X",
        f"项目代码 {CODE}",
    ]
    # only the success names the project; a failure does not say which project the code belongs to
    assert (rows[0].object_type, rows[0].object_id) == ("projects.project", str(project.pk))
    assert [row.object_id for row in rows[1:]] == ["", "", ""]


# --- the rate limit ----------------------------------------------------------------------------


def _assert_refused(page: str) -> None:
    assert TOO_MANY in _error(page)
    assert _result_rows(page) == []
    assert "工程建设许可阶段" not in page
    assert "企业投资项目备案" not in page
    assert "待申报" not in page


def test_failures_from_one_address_block_even_the_right_pair(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 3
    client = Client()
    ip = "10.2.2.2"
    for _ in range(2):
        assert _error(_page(_post(client, CODE, "0000", ip=ip)))
    # below the limit the right pair still works
    assert _result_rows(_page(_post(client, CODE, DIGITS, ip=ip)))
    _post(client, "2601-500105-04-01-99999X", "0000", ip=ip)
    page = _page(_post(client, CODE, DIGITS, ip=ip))
    _assert_refused(page)
    assert _lookup_rows()[-1].result == AuditEntry.Result.DENIED
    # the refusal is the same for a wrong pair: no probing while blocked
    page = _page(_post(client, CODE, "0000", ip=ip))
    _assert_refused(page)


def test_another_address_is_not_blocked(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 3
    client = Client()
    for _ in range(3):
        _post(client, CODE, "0000", ip="10.3.3.3")
    _assert_refused(_page(_post(client, CODE, DIGITS, ip="10.3.3.3")))
    # another address: its own failures are told as failures, and the right pair works
    for _ in range(2):
        page = _page(_post(client, CODE, "1111", ip="10.4.4.4"))
        assert _error(page)
        assert TOO_MANY not in page
    assert len(_result_rows(_page(_post(client, CODE, DIGITS, ip="10.4.4.4")))) == 3


def test_failures_against_one_code_block_it_from_every_address(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 3
    client = Client()
    for n in range(8):
        _post(client, CODE.lower(), "0000", ip=f"10.5.0.{n + 1}")
    # eight failures (below 3 × 3) from eight addresses: the right pair still works
    assert _result_rows(_page(_post(client, CODE, DIGITS, ip="10.6.0.1")))
    _post(client, CODE, "0000", ip="10.5.0.9")
    _assert_refused(_page(_post(client, CODE, DIGITS, ip="10.6.0.2")))
    # another project's code is not affected
    other = ProjectFactory(code="2601-500105-04-01-11111X", contact_phone="13900004321")
    ProjectMatterFactory(project=other, matter=MatterFactory(name="另一项目的事项"))
    page = _page(_post(client, other.code, "4321", ip="10.6.0.3"))
    assert "另一项目的事项" in page


def test_failures_outside_the_window_do_not_count(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 3
    settings.PROGRESS_LOOKUP_WINDOW_MINUTES = 15
    ip = "10.7.7.7"

    def failure(minutes_ago: int) -> None:
        AuditEntry.objects.create(
            action=AuditEntry.Action.PROGRESS_LOOKUP,
            result=AuditEntry.Result.FAILURE,
            ip=ip,
            detail="项目代码 2601-500105-04-01-99999X",
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
        )

    for _ in range(3):
        failure(16)
    assert len(_result_rows(_page(_post(Client(), CODE, DIGITS, ip=ip)))) == 3
    for _ in range(3):
        failure(14)
    _assert_refused(_page(_post(Client(), CODE, DIGITS, ip=ip)))
