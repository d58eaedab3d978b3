"""Exports carry masked phones unless the exporting role is allowed and asks: then each project's
full number only where that person may see it, and the export is also logged as a reveal."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, StageFactory, UserFactory

PHONE = "13983012345"


def _contacts(response) -> list[str]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["工作台账"]
    return [row[5] for row in sheet.iter_rows(min_row=5, values_only=True)]


@pytest.mark.django_db
def test_the_office_asks_for_full_phones_and_the_export_is_a_logged_reveal(client_for):
    ProjectFactory(contact_name="陈建国", contact_phone=PHONE)
    office = client_for(Role.OFFICE)
    assert 'data-testid="export-xlsx-full"' in office.get(reverse("ledger:index")).content.decode()
    assert _contacts(office.get(reverse("ledger:export_xlsx"))) == ["陈建国 139****2345"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()
    response = office.get(reverse("ledger:export_xlsx"), {"full_phones": "1"})
    assert _contacts(response) == [f"陈建国 {PHONE}"]
    reveal = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert reveal.actor == office.user
    assert reveal.object_id == response["X-Export-Id"]
    assert "含完整联系电话" in reveal.detail
    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, object_id=response["X-Export-Id"])
    assert "（含完整联系电话）" in exported.detail


@pytest.mark.django_db
def test_a_specialist_gets_full_numbers_of_own_projects_only(client_for):
    specialist = client_for(Role.SPECIALIST, Role.WINDOW)
    stage = StageFactory(number=3)
    stage.window_staff.add(specialist.user)
    ProjectFactory(name="自己的", specialist=specialist.user, contact_name="甲", contact_phone=PHONE)
    others = ProjectFactory(name="窗口看得到的", specialist=UserFactory(roles=[Role.SPECIALIST]), contact_name="乙",
                            contact_phone="13800001111")  # fmt: skip
    ProjectMatterFactory(project=others, matter=MatterFactory(stage=stage))
    contacts = sorted(_contacts(specialist.get(reverse("ledger:export_xlsx"), {"full_phones": "1"})))
    assert contacts == ["乙 138****1111", f"甲 {PHONE}"]


@pytest.mark.django_db
def test_window_staff_asking_for_full_phones_still_get_them_masked(client_for):
    window = client_for(Role.WINDOW)
    stage = StageFactory(number=3)
    stage.window_staff.add(window.user)
    project = ProjectFactory(contact_name="丙", contact_phone=PHONE)
    ProjectMatterFactory(project=project, matter=MatterFactory(stage=stage))
    assert 'data-testid="export-xlsx-full"' not in window.get(reverse("ledger:index")).content.decode()
    assert _contacts(window.get(reverse("ledger:export_xlsx"), {"full_phones": "1"})) == ["丙 139****2345"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()
