"""事项办理 (a unit's, a window's, a specialist's working list): 逾期 first, then 预警, then the rest by due
date, matters without a running clock (补正 paused, 按合同, 待申报) last; ordered in the database, so
pages neither overlap nor skip."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from projects import selectors
from qinqing.roles import Role
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory


def _matter(project, unit, name, status="已受理", due=None, warn=None, limit=5):
    today = timezone.localdate()
    return ProjectMatterFactory(
        project=project,
        matter=MatterFactory(name=name, unit=unit, time_limit_workdays=limit),
        unit=unit,
        status=status,
        accepted_on=None if status == "待申报" else today - timedelta(days=20),
        time_limit_workdays=limit,
        due_on=None if due is None else today + timedelta(days=due),
        warn_on=None if warn is None else today + timedelta(days=warn),
    )


def test_overdue_then_warning_then_by_due_date_and_no_clock_last(client_for):
    unit = DepartmentFactory()
    client = client_for(Role.DEPARTMENT, department=unit)
    project = ProjectFactory()
    # created in an order that a plain due-date sort would get wrong
    pending = _matter(project, unit, "待申报的", status="待申报")
    normal_late = _matter(project, unit, "正常（晚）", due=30, warn=25)
    paused = _matter(project, unit, "补正中的", status="补正材料")
    # a long limit warns early: 预警 already, though due after a normal one (a due-date sort puts it after)
    warning = _matter(project, unit, "预警的", due=12, warn=-1, limit=60)
    by_contract = _matter(project, unit, "按合同的", limit=0)
    overdue_recent = _matter(project, unit, "逾期（近）", due=-1, warn=-4)
    normal_soon = _matter(project, unit, "正常（早）", due=10, warn=6)
    overdue_old = _matter(project, unit, "逾期（久）", due=-9, warn=-12, status="审查中")

    rows = list(client.get(reverse("projects:unit_matters")).context["page"])
    assert [pm.pk for pm in rows] == [
        overdue_old.pk,
        overdue_recent.pk,
        warning.pk,
        normal_soon.pk,
        normal_late.pk,
        # no running clock: by project, then as added
        pending.pk,
        paused.pk,
        by_contract.pk,
    ]
    assert [pm.warning_state for pm in rows[:5]] == ["逾期", "逾期", "预警", "正常", "正常"]
    page = client.get(reverse("projects:unit_matters")).content.decode()
    assert "逾期的在前，其次预警的" in page
    # a filter keeps the order within what it shows
    rows = list(client.get(reverse("projects:unit_matters"), {"warning": "逾期"}).context["page"])
    assert [pm.pk for pm in rows] == [overdue_old.pk, overdue_recent.pk]


def test_pages_neither_overlap_nor_skip_and_keep_the_order(client_for):
    unit = DepartmentFactory()
    client = client_for(Role.DEPARTMENT, department=unit)
    project = ProjectFactory()
    # 60 matters over two pages of 50; many share a due date, so the tie-break decides the pages
    for n in range(60):
        kind = n % 4
        if kind == 0:
            _matter(project, unit, f"逾期{n}", due=-3, warn=-6)
        elif kind == 1:
            _matter(project, unit, f"预警{n}", due=20, warn=-2, limit=60)
        elif kind == 2:
            _matter(project, unit, f"正常{n}", due=15, warn=10)
        else:
            _matter(project, unit, f"补正{n}", status="补正材料")
    first = list(client.get(reverse("projects:unit_matters")).context["page"])
    second = list(client.get(reverse("projects:unit_matters"), {"page": 2}).context["page"])
    ids = [pm.pk for pm in first + second]
    assert len(first) == 50
    assert len(ids) == len(set(ids)) == 60
    rank = {"逾期": 0, "预警": 1, "正常": 2, "": 3}
    states = [rank[pm.warning_state] for pm in first + second]
    assert states == sorted(states)
    # the same list the selector gives in one piece
    whole = selectors.unit_matters(client.user, today=timezone.localdate())
    assert ids == list(whole.values_list("pk", flat=True))
