"""Each role's scope on the matter-level ledger and in the ledger PDF, and the full permission matrix
of downloading an archived export again (anonymous, wrong method, every role, own and others')."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from ledger import archive
from ledger.models import Export
from qinqing.roles import Role
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
from tests.pdf import flat, pdf_text, require_cjk_font


@pytest.fixture
def hall(client_for):
    """Two projects; the first has a matter at the window's stage (of the department's unit) and one
    at another stage; the second belongs to another specialist and has only the other stage's matter."""
    permit = StageFactory(number=3, name="施工许可阶段")
    planning = StageFactory(number=1, name="立项用地规划许可阶段")
    fire = DepartmentFactory(name="区住房城乡建委")
    plan = DepartmentFactory(name="区规划自然资源局")
    clients = {
        Role.SPECIALIST: client_for(Role.SPECIALIST),
        Role.WINDOW: client_for(Role.WINDOW),
        Role.DEPARTMENT: client_for(Role.DEPARTMENT, department=fire),
        Role.OFFICE: client_for(Role.OFFICE),
        Role.ADMIN: client_for(Role.ADMIN),
    }
    permit.window_staff.add(clients[Role.WINDOW].user)
    mine = ProjectFactory(name="滨江花园", specialist=clients[Role.SPECIALIST].user)
    other = ProjectFactory(name="观音桥改造")
    ProjectMatterFactory(project=mine, matter=MatterFactory(name="施工许可证核发", stage=permit, unit=fire))
    ProjectMatterFactory(project=mine, matter=MatterFactory(name="用地规划许可证核发", stage=planning, unit=plan))
    ProjectMatterFactory(project=other, matter=MatterFactory(name="选址意见书", stage=planning, unit=plan))
    return clients


# --- the matter-level page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.OFFICE,
            {("滨江花园", "施工许可证核发"), ("滨江花园", "用地规划许可证核发"), ("观音桥改造", "选址意见书")},
        ),
        (Role.SPECIALIST, {("滨江花园", "施工许可证核发"), ("滨江花园", "用地规划许可证核发")}),
        # the window sees the project, but of its matters only its own stage's
        (Role.WINDOW, {("滨江花园", "施工许可证核发")}),
    ],
)
def test_the_matter_level_page_keeps_each_roles_scope(hall, role, expected):
    response = hall[role].get(reverse("ledger:matters"))
    assert response.status_code == 200
    shown = {(pm.project.name, pm.matter.name) for pm in response.context["page"]}
    assert shown == expected
    body = response.content.decode()
    for name in {"施工许可证核发", "用地规划许可证核发", "选址意见书"} - {m for _, m in expected}:
        assert name not in body


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_roles_without_the_ledger_may_not_open_its_pages_or_exports(hall, role):
    for name in ("ledger:index", "ledger:matters", "ledger:export_xlsx", "ledger:export_pdf"):
        assert hall[role].get(reverse(name)).status_code == 403, name
    assert not Export.objects.exists()


def test_the_ledger_pages_and_exports_need_login_and_refuse_post(hall):
    for name in ("ledger:index", "ledger:matters", "ledger:export_xlsx", "ledger:export_pdf"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        assert hall[Role.OFFICE].post(reverse(name)).status_code == 405, name


# --- the ledger PDF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected", "hidden"),
    [
        (Role.OFFICE, ["滨江花园", "观音桥改造"], []),
        (Role.SPECIALIST, ["滨江花园"], ["观音桥改造"]),
        (Role.WINDOW, ["滨江花园"], ["观音桥改造"]),
    ],
)
def test_the_ledger_pdf_keeps_each_roles_scope(hall, role, expected, hidden):
    require_cjk_font()
    response = hall[role].get(reverse("ledger:export_pdf"))
    assert response.status_code == 200
    text = flat(pdf_text(response.content, raw=True))  # cell by cell: a name wraps inside its cell
    for name in expected:
        assert name in text, name
    for name in hidden:
        assert name not in text, name
    assert f"共{len(expected)}个项目" in text
    export = Export.objects.get()
    assert (export.kind, export.row_count, export.created_by) == ("ledger_pdf", len(expected), hall[role].user)


def test_the_window_sees_only_its_stages_progress_in_the_pdf(hall):
    """The 办理进度 column counts the matters the reader may see: the window's one of 滨江花园's two."""
    require_cjk_font()
    window = flat(pdf_text(hall[Role.WINDOW].get(reverse("ledger:export_pdf")).content, raw=True))
    office = flat(pdf_text(hall[Role.OFFICE].get(reverse("ledger:export_pdf")).content, raw=True))
    assert "0/1" in window
    assert "0/2" not in window
    assert "0/2" in office


# --- the archive: downloading an export again ------------------------------------------------------------


def _issue(user, content: bytes) -> Export:
    return archive.archive_issue(
        request=None,
        actor=user,
        params="",
        kind=Export.Kind.LEDGER_XLSX,
        title="工作台账",
        content=content,
        content_type=archive.XLSX,
        filename="工作台账.xlsx",
        row_count=1,
        described="全部项目",
    )


@pytest.fixture
def exports(hall):
    """One export of each role's own (the administrator's made by a command), and one of a stranger's."""
    own = {role: _issue(client.user, f"{role}'s workbook".encode()) for role, client in hall.items()}
    stranger = _issue(UserFactory(roles=[Role.SPECIALIST]), b"a stranger's workbook")
    return own, stranger


def _download(client, export):
    return client.get(reverse("ledger:export_download", args=[export.pk]))


def test_an_anonymous_download_goes_to_the_login_page(exports):
    own, _ = exports
    response = _download(Client(), own[Role.OFFICE])
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_download_by_another_method_is_refused(hall, exports, method):
    own, _ = exports
    url = reverse("ledger:export_download", args=[own[Role.OFFICE].pk])
    assert getattr(hall[Role.OFFICE], method)(url).status_code == 405


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT])
def test_staff_download_their_own_exports_and_not_others(hall, exports, role):
    own, stranger = exports
    response = _download(hall[role], own[role])
    assert response.status_code == 200
    assert response.content == f"{role}'s workbook".encode()
    assert "attachment" in response["Content-Disposition"]
    # someone else's, even a colleague of the same hall's, is not found (not forbidden: its existence is not told)
    assert _download(hall[role], stranger).status_code == 404
    for other_role, export in own.items():
        if other_role != role:
            assert _download(hall[role], export).status_code == 404, other_role
    listed = [e.pk for e in hall[role].get(reverse("ledger:export_list")).context["page"]]
    assert listed == [own[role].pk]


def test_the_office_downloads_everyones_exports(hall, exports):
    own, stranger = exports
    office = hall[Role.OFFICE]
    for export in [*own.values(), stranger]:
        response = _download(office, export)
        assert response.status_code == 200
        assert response.content == archive.read(export)
    assert len(office.get(reverse("ledger:export_list")).context["page"]) == len(own) + 1


def test_the_administrator_downloads_no_export_not_even_one_made_in_their_name(hall, exports):
    own, stranger = exports
    admin = hall[Role.ADMIN]
    assert _download(admin, own[Role.ADMIN]).status_code == 403
    assert _download(admin, stranger).status_code == 403
    assert admin.get(reverse("ledger:export_list")).status_code == 403


def test_a_missing_export_is_not_found(hall, exports):
    assert hall[Role.OFFICE].get(reverse("ledger:export_download", args=[999999])).status_code == 404
