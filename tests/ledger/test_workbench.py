"""The workbench shows each case role its own figures, counted from its own scope."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from projects import services
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory


def _accept(pm, on: date):
    return services.matter_move(
        actor=pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status="已受理",
        on=on,
    )


def test_department_sees_its_units_overdue_and_pending_matters_only(client_for):
    matter = MatterFactory(time_limit_workdays=5)
    client = client_for(Role.DEPARTMENT, department=matter.unit)
    _accept(ProjectMatterFactory(matter=matter), date(2026, 3, 2))  # long overdue
    ProjectMatterFactory(matter=matter)  # 待申报
    _accept(ProjectMatterFactory(), date(2026, 3, 2))  # another unit's overdue matter
    response = client.get(reverse("ledger:workbench"))
    figures = response.context["matters"]
    assert figures["overdue"] == 1
    assert figures["pending"] == 1
    assert figures["open"] == 1
    assert 'data-testid="department-figures"' in response.content.decode()


def test_specialist_sees_own_dossiers_and_matters(client_for):
    client = client_for(Role.SPECIALIST)
    mine = ProjectFactory(specialist=client.user)
    ProjectFactory()  # a colleague's
    _accept(ProjectMatterFactory(project=mine), date(2026, 3, 2))
    response = client.get(reverse("ledger:workbench"))
    assert response.context["mine"]["active"] == 1
    assert response.context["mine"]["consulting"] == 0
    assert response.context["matters"]["overdue"] == 1
