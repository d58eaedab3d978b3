"""The applicant's progress look-up: project code (or the look-up number of a project without one) plus the
last four digits of the phone, no login.

It shows the project's name, each matter's status, acceptance date, due date or 暂停计时 with what is missing,
and the specialist's name and office phone; never the applicant's phone, nor staff notes. It logs every try
and refuses an address after too many failures from it, or against one code from it; another address (the
real applicant) is never locked out by someone else's wrong tries."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.lookup import ALPHABET, PREFIX, ensure_lookup_no
from projects.models import MatterPause, Project, ProjectMatter
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, StageFactory, UserFactory

URL_NAME = "progress_lookup"
CODE = "2601-500105-04-01-54321X"
PHONE = "023-67895678"
DIGITS = "5678"
TOO_MANY = "查询次数过多"

PROJECT_NAME = "江北嘴金融城三期办公楼"
CONTACT_NAME = "欧阳联系人"
SPECIALIST_NAME = "司马帮办专员"
SPECIALIST_PHONE = "023-67001234"
PROJECT_NOTE = "备注机密-项目内部备注文字"
MISSING = "施工图审查合格书及消防设计文件"
WITHDRAWN_REASON = "原因机密-撤回原因文字"


@pytest.fixture
def project(db):
    specialist = UserFactory(roles=[Role.SPECIALIST], display_name=SPECIALIST_NAME, phone=SPECIALIST_PHONE)
    stage = StageFactory(number=2, name="工程建设许可阶段")
    project = ProjectFactory(
        name=PROJECT_NAME,
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
        time_limit_workdays=10,
        due_on=date(2026, 1, 20),
        due_provisional=True,
    )
    paused = ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name="施工图设计文件审查"),
        status=ProjectMatter.Status.SUPPLEMENT,
        accepted_on=accepted_on,
        time_limit_workdays=5,
        due_on=None,  # 补正 notified in time: the clock is stopped (a late one keeps its due date)
        last_reason=MISSING,
    )
    MatterPause.objects.create(
        project_matter=paused, paused_on=date(2026, 1, 4), resumed_on=date(2026, 1, 5), reason="早已补齐的旧材料"
    )
    MatterPause.objects.create(project_matter=paused, paused_on=date(2026, 1, 8), reason=MISSING)
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


def _by_name(page: str) -> dict[str, list[str]]:
    """Result rows keyed by matter name: [stage, name, unit, status, accepted on, due]."""
    return {row[1]: row for row in _result_rows(page)}


def test_right_pair_shows_name_stage_and_each_matter(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _error(page) == ""
    assert 'data-testid="lookup-result"' in page
    assert PROJECT_NAME in page
    assert "工程建设许可阶段" in page
    rows = _by_name(page)
    assert set(rows) == {"企业投资项目备案", "建设工程规划许可证核发", "施工图设计文件审查"}
    assert rows["企业投资项目备案"][3:] == ["待申报", "—", "—"]
    # accepted: the acceptance date and the due date, marked 暂按 when the calendar is provisional
    assert rows["建设工程规划许可证核发"][3:] == ["已受理", "2026年1月6日", "2026年1月20日（暂按）"]


def test_paused_matter_shows_what_is_missing(project):
    rows = _by_name(_page(_post(Client(), CODE, DIGITS)))
    status, accepted, due = rows["施工图设计文件审查"][3:]
    assert (status, accepted) == ("补正材料", "2026年1月6日")
    # the clock is stopped, with the open pause's reason; not a due date, not an old pause's reason
    assert due == f"暂停计时（补正材料：{MISSING}）"


def test_a_late_supplement_shows_the_due_date_and_what_is_missing(project):
    ProjectMatter.objects.filter(matter__name="施工图设计文件审查").update(due_on=date(2026, 1, 7))
    due = _by_name(_page(_post(Client(), CODE, DIGITS)))["施工图设计文件审查"][5]
    assert due == f"2026年1月7日（另须补正材料：{MISSING}）"


def test_finished_matter_shows_its_end(project):
    pm = project.matters.get(matter__name="建设工程规划许可证核发")
    ProjectMatter.objects.filter(pk=pm.pk).update(status=ProjectMatter.Status.DONE, finished_on=date(2026, 1, 15))
    rows = _by_name(_page(_post(Client(), CODE, DIGITS)))
    assert rows["建设工程规划许可证核发"][3:] == ["已办结", "2026年1月6日", "已办结 2026年1月15日"]


def test_shows_the_specialist_and_office_phone(project):
    page = _page(_post(Client(), CODE, DIGITS))
    match = re.search(r'data-testid="lookup-specialist">(.*?)</p>', page, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1))
    assert SPECIALIST_NAME in text
    assert SPECIALIST_PHONE in text


def test_specialist_without_office_phone_gives_the_hall_phone(project, settings):
    settings.HALL_PHONE = "023-67550000"
    project.specialist.phone = ""
    project.specialist.save()
    page = _page(_post(Client(), CODE, DIGITS))
    match = re.search(r'data-testid="lookup-specialist">(.*?)</p>', page, re.S)
    assert "023-67550000" in match.group(1)


def test_withdrawn_matters_are_not_shown(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _result_rows(page)  # the look-up did succeed
    assert "已撤回的测试事项" not in page
    assert "撤回" not in [row[3] for row in _result_rows(page)]


def test_result_reveals_no_applicant_phone_or_notes(project):
    page = _page(_post(Client(), CODE, DIGITS))
    assert _result_rows(page)
    forbidden = {
        "contact name": CONTACT_NAME,
        "builder credit code": project.builder_credit_code,
        "phone": PHONE,
        "phone digits": "02367895678",
        "masked phone": "023****5678",
        "specialist username": project.specialist.username,
        "project note": PROJECT_NOTE,
        "withdrawn reason": WITHDRAWN_REASON,
        "old pause reason": "早已补齐的旧材料",
    }
    leaked = [label for label, text in forbidden.items() if text in page]
    assert leaked == []


# --- a project without a code: the look-up number -----------------------------------------------


def test_codeless_project_is_found_by_its_lookup_number(project):
    codeless = ProjectFactory(name="暂无代码的新项目", code="", contact_phone="13912344321")
    ProjectMatterFactory(project=codeless, matter=MatterFactory(name="无代码项目的事项"))
    number = ensure_lookup_no(codeless)
    assert codeless.lookup_code == number
    # typed in lower case, with spaces, as an applicant might
    page = _page(_post(Client(), " " + number.lower() + " ", "4321"))
    assert "暂无代码的新项目" in page
    assert "无代码项目的事项" in _by_name(page)
    assert number in page
    entry = AuditEntry.objects.get(result=AuditEntry.Result.SUCCESS)
    assert (entry.object_id, entry.detail) == (str(codeless.pk), f"查询码 {number}")
    # the number with the wrong digits is a failure like any other
    assert _error(_page(_post(Client(), number, "1234")))


def test_a_project_with_a_code_is_found_by_its_lookup_number_too(project):
    number = ensure_lookup_no(project)
    assert _by_name(_page(_post(Client(), number, DIGITS)))


def test_lookup_numbers_are_short_unambiguous_random_and_kept(db):
    projects = [ProjectFactory(code="") for _ in range(30)]
    numbers = [ensure_lookup_no(p) for p in projects]
    assert len(set(numbers)) == 30
    for number in numbers:
        assert number.startswith(PREFIX)
        assert len(number) == len(PREFIX) + 8
        assert set(number[len(PREFIX) :]) <= set(ALPHABET)
        assert not set(number[len(PREFIX) :]) & set("01OIL")
    # stored, and given once: a second call returns the same number
    assert [Project.objects.get(pk=p.pk).lookup_no for p in projects] == numbers
    assert [ensure_lookup_no(p) for p in projects] == numbers
    # not sequential: consecutive projects' numbers do not share a long common prefix
    shared = [len(os.path.commonprefix([a, b])) for a, b in zip(numbers, numbers[1:], strict=False)]
    assert max(shared) < len(PREFIX) + 4


def test_a_merged_dossier_shows_the_one_it_went_into(project):
    loser = ProjectFactory(name="重复建档的项目", code="", contact_phone="13900008888")
    number = ensure_lookup_no(loser)
    Project.objects.filter(pk=loser.pk).update(merged_into=project, status=Project.Status.MERGED)
    page = _page(_post(Client(), number, "8888"))
    assert PROJECT_NAME in page
    assert "施工图设计文件审查" in _by_name(page)


def test_the_letters_qr_link_fills_in_the_code(project):
    page = _page(Client().get(reverse(URL_NAME), {"code": CODE.lower()}))
    assert f'value="{CODE}"' in page
    assert _result_rows(page) == []


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
    assert success.detail == f"查询码 {CODE}"


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
        f"查询码 {CODE}",
        f"查询码 {CODE}",
        "查询码 2601-500105-04-01-99999X",
        f"查询码 {CODE}",
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


def test_wrong_tries_elsewhere_never_lock_the_applicant_out(project, settings):
    """Someone guessing the digits of this code, from one address or many, slows only themselves."""
    settings.PROGRESS_LOOKUP_FAILURES = 3
    settings.PROGRESS_LOOKUP_CODE_FAILURES = 2
    client = Client()
    for n in range(20):
        _post(client, CODE, f"{n:04d}", ip=f"10.5.0.{n % 4 + 1}")
    assert AuditEntry.objects.filter(result=AuditEntry.Result.FAILURE).count() == 8  # then those were refused
    _assert_refused(_page(_post(client, CODE, DIGITS, ip="10.5.0.1")))
    # the applicant, at another address, gets in at once, and so on every later try
    for _ in range(3):
        page = _page(_post(client, CODE, DIGITS, ip="10.6.0.1"))
        assert _error(page) == ""
        assert len(_result_rows(page)) == 3


def test_failures_against_one_code_from_one_address_are_limited(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 10
    settings.PROGRESS_LOOKUP_CODE_FAILURES = 2
    client = Client()
    ip = "10.8.8.8"
    _post(client, CODE, "0000", ip=ip)
    assert _result_rows(_page(_post(client, CODE, DIGITS, ip=ip)))  # one wrong try is not a lock
    _post(client, CODE.lower(), "1111", ip=ip)  # the same code, however it was typed
    _assert_refused(_page(_post(client, CODE, DIGITS, ip=ip)))
    # that address may still look up another project (below its own limit)
    other = ProjectFactory(code="2601-500105-04-01-11111X", contact_phone="13900004321")
    ProjectMatterFactory(project=other, matter=MatterFactory(name="另一项目的事项"))
    assert "另一项目的事项" in _page(_post(client, other.code, "4321", ip=ip))


def test_a_right_pair_is_never_counted_as_a_failure(project, settings):
    settings.PROGRESS_LOOKUP_FAILURES = 2
    settings.PROGRESS_LOOKUP_CODE_FAILURES = 2
    client = Client()
    ip = "10.9.9.9"
    for _ in range(6):
        assert _result_rows(_page(_post(client, CODE, DIGITS, ip=ip)))
    _post(client, CODE, "0000", ip=ip)
    assert _result_rows(_page(_post(client, CODE, DIGITS, ip=ip)))
    results = [row.result for row in _lookup_rows()]
    assert results.count(AuditEntry.Result.FAILURE) == 1
    assert AuditEntry.Result.DENIED not in results


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


# --- the public page speaks to applicants --------------------------------------------------------


def test_public_footer_speaks_to_applicants(db, settings):
    settings.HALL_PHONE = "023-67558888"
    settings.HALL_ADDRESS = "江北区测试路 1 号政务服务中心二楼"
    settings.HALL_HOURS = "工作日 9:00—17:00"
    page = _page(Client().get(reverse(URL_NAME)))
    footer = page[page.index('data-testid="public-footer"') :]
    for text in (
        "查询说明",
        "咨询电话",
        "023-67558888",
        "服务大厅地址",
        "江北区测试路 1 号政务服务中心二楼",
        "办公时间",
        "工作日 9:00—17:00",
    ):
        assert text in footer
    # not the staff footer
    assert "仅供大厅工作人员使用" not in page
    # the form says what to type, in Chinese, with the help tied to its field
    assert "JB 开头的查询号" in page
    assert 'aria-describedby="id_code_helptext"' in page
    assert 'id="id_code_helptext"' in page


def test_empty_form_names_each_field(db):
    page = _page(Client().post(reverse(URL_NAME), {"code": "", "phone_last4": ""}))
    assert "请填写项目代码或查询号。" in page
    assert "请填写联系电话后四位。" in page
    assert 'aria-invalid="true"' in page
    assert not AuditEntry.objects.exists()


def test_demo_gives_codeless_projects_a_number_and_names_a_pair(project):
    import io

    from projects.lookup import seed_demo

    codeless = ProjectFactory(name="演示无代码项目", code="", contact_phone="13900002468")
    out = io.StringIO()
    seed_demo(out)
    codeless.refresh_from_db()
    assert codeless.lookup_no.startswith(PREFIX)
    assert f"{CODE} + {DIGITS}" in out.getvalue()
    assert f"{codeless.lookup_no} + 2468" in out.getvalue()
    seed_demo(io.StringIO())  # again: the number is kept
    assert Project.objects.get(pk=codeless.pk).lookup_no == codeless.lookup_no
