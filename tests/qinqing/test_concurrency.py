"""No lost update: two people saving the same record from the same version at the same moment.

Every edit goes through ``qinqing.services.versioned_update`` (lock the row, compare the version the
form was read at, bump it). On PostgreSQL two threads race for real; exactly one save lands and the
other is refused with what the first one changed, so nothing is silently overwritten.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from projects import services as project_services
from projects.models import Project
from projects.services import PROJECT_FIELDS
from qinqing import services
from qinqing.models import Department
from tests.factories import DepartmentFactory, ProjectFactory


def _race(*actions) -> list[str]:
    """Run the actions in threads released together; each result is "ok" or the refusal's text."""
    barrier = threading.Barrier(len(actions))
    results: list[str] = []

    def run(action):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            action()
            results.append("ok")
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_specialists_saving_one_dossier_lose_nothing():
    assert connection.vendor == "postgresql"
    project = ProjectFactory(site="原地址", contact_name="原联系人")
    fields = {name: getattr(project, name) for name in PROJECT_FIELDS}

    def save(**change):
        return lambda: project_services.project_update(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            version=0,
            specialist=project.specialist,
            status=project.status,
            **{**fields, **change},
        )

    results = _race(save(site="甲填的地址"), save(contact_name="乙填的联系人"))
    assert results.count("ok") == 1
    refusal = next(result for result in results if result != "ok")
    assert refusal.startswith("该记录已被他人修改")
    project.refresh_from_db()
    assert project.version == 1
    # exactly one of the two changes landed, whole; the other was not half-applied over it
    landed = {"site": project.site, "contact_name": project.contact_name}
    assert landed in (
        {"site": "甲填的地址", "contact_name": "原联系人"},
        {"site": "原地址", "contact_name": "乙填的联系人"},
    )
    # and the refusal names the change that landed
    assert ("建设地点" in refusal) or ("联系人" in refusal)
    assert Project.history.filter(id=project.pk).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_saving_one_unit_lose_nothing():
    assert connection.vendor == "postgresql"
    unit = DepartmentFactory(name="区城市管理局", contact_phone="023-67000000")
    admin = services.account_create(
        actor=None, request=None, username="race_admin", display_name="管理员", roles=["admin"]
    )[0]

    def save(name, phone):
        return lambda: services.department_update(
            actor=admin,
            request=None,
            department_id=unit.pk,
            version=0,
            name=name,
            kind=unit.kind,
            contact_phone=phone,
            is_active=True,
        )

    results = _race(save("区城市管理局（甲）", "023-67000001"), save("区城市管理局（乙）", "023-67000002"))
    assert results.count("ok") == 1
    refusal = next(result for result in results if result != "ok")
    assert refusal.startswith("该记录已被他人修改")
    assert "管理员 于" in refusal
    unit = Department.objects.get(pk=unit.pk)
    assert unit.version == 1
    assert (unit.name, unit.contact_phone) in (
        ("区城市管理局（甲）", "023-67000001"),
        ("区城市管理局（乙）", "023-67000002"),
    )
