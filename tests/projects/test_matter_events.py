"""Every move of a project matter is kept as its status history in the national SPGL vocabulary (BLZT), the
history the exchange with the city's approval system sends and receives (docs/exchange.md); acceptance gives
the matter its 办件编号 (SPSXSLBM)."""

from __future__ import annotations

from datetime import date

import pytest

from projects.exchange.codes import Blzt, Stage, events_for_move, spgl_stage
from projects.models import MatterEvent, ProjectMatter
from tests.factories import MatterFactory, ProjectMatterFactory
from tests.projects.test_matters import move

S = ProjectMatter.Status


def _history(pm: ProjectMatter) -> list[tuple[int, date]]:
    return list(MatterEvent.objects.filter(project_matter=pm).order_by("occurred_at", "id").values_list("status", "on"))


def test_accepted_paused_resumed_and_passed_is_3_6_7_11(db):
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=5))
    moved = move(pm, S.ACCEPTED, date(2026, 3, 2))
    assert moved.case_no == f"500105-20260302-{pm.pk:07d}"
    move(pm, S.SUPPLEMENT, date(2026, 3, 3), reason="缺少施工图审查合格书")
    move(pm, S.REVIEWING, date(2026, 3, 9))
    move(pm, S.DONE, date(2026, 3, 12))
    assert _history(pm) == [
        (Blzt.WINDOW_ACCEPTED, date(2026, 3, 2)),
        (Blzt.SUPPLEMENT_START, date(2026, 3, 3)),
        (Blzt.SUPPLEMENT_END, date(2026, 3, 9)),
        (Blzt.PASSED, date(2026, 3, 12)),
    ]
    supplement = MatterEvent.objects.get(project_matter=pm, status=Blzt.SUPPLEMENT_START)
    assert supplement.opinion == "缺少施工图审查合格书"
    assert supplement.handler_name == pm.project.specialist.name
    assert supplement.source == MatterEvent.Source.LOCAL


@pytest.mark.parametrize(
    ("before", "after", "result", "expected"),
    [
        (S.REVIEWING, S.DONE, ProjectMatter.Result.PASSED_DEFICIENT, [Blzt.PASSED_DEFICIENT]),
        (S.REVIEWING, S.DONE, ProjectMatter.Result.FAILED, [Blzt.FAILED]),
        (S.ACCEPTED, S.REFUSED, "", [Blzt.FAILED]),
        (S.SUPPLEMENT, S.WITHDRAWN, "", [Blzt.SUPPLEMENT_END, Blzt.WITHDRAWN]),
        (S.PENDING, S.WITHDRAWN, "", [Blzt.WITHDRAWN]),
        (S.ACCEPTED, S.REVIEWING, "", []),
    ],
)
def test_each_move_maps_onto_blzt(before, after, result, expected):
    assert events_for_move(before, after, result) == expected


def test_a_moved_matter_applying_a_city_row_keeps_its_key(db):
    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=5))
    move(pm, S.ACCEPTED, date(2026, 3, 2), city=(Blzt.WINDOW_ACCEPTED, "CQ-0001"))
    event = MatterEvent.objects.get(project_matter=pm)
    assert (event.source, event.city_key) == (MatterEvent.Source.CITY, "CQ-0001")


def test_the_halls_stages_map_onto_spjdxh():
    assert spgl_stage(1) == Stage.LAND_PLANNING
    assert spgl_stage(3) == Stage.CONSTRUCTION_PERMIT
    assert spgl_stage(4) == Stage.COMPLETION  # 竣工验收
    assert spgl_stage(5) == Stage.PARALLEL  # 市政公用服务 runs beside the statutory stages
    assert spgl_stage(6) == Stage.COMPLETION  # 不动产登记 is reported under 竣工验收


def test_a_special_procedure_from_the_matter_page_stops_the_clock(client_for):
    from django.urls import reverse

    from qinqing.roles import Role

    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=5))
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.REVIEWING, date(2026, 3, 3))
    unit = client_for(Role.DEPARTMENT, department=pm.unit)
    url = reverse("projects:special_procedure", args=[pm.pk])
    pm.refresh_from_db()
    refused = unit.post(url, {"version": pm.version, "on": "2026-03-04", "reason": ""}, follow=True)
    assert "进入特别程序须写明程序名称和原因" in refused.content.decode()
    unit.post(url, {"version": pm.version, "on": "2026-03-04", "reason": "专家评审"})
    pm.refresh_from_db()
    assert pm.due_on is None  # the clock stands still
    page = unit.get(reverse("projects:matter_move", args=[pm.pk])).content.decode()
    assert "结束特别程序（恢复计时）" in page
    unit.post(url, {"version": pm.version, "on": "2026-03-11", "reason": ""})
    pm.refresh_from_db()
    # 03-02 + 5 working days, the clock stopped 03-05…03-11: 03-03, 03-04, 03-12, 03-13, 03-16
    assert pm.due_on == date(2026, 3, 16)
    assert [s for s, _ in _history(pm)] == [Blzt.WINDOW_ACCEPTED, Blzt.SPECIAL_START, Blzt.SPECIAL_END]
    # someone outside the unit cannot
    assert client_for(Role.DEPARTMENT).post(url, {"version": pm.version, "on": "2026-03-12"}).status_code == 404


def test_leaving_supplement_does_not_end_a_special_procedure_running_beside_it(db):
    from projects import services

    pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=5))
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    pm.refresh_from_db()
    services.special_procedure(
        actor=pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        start=True,
        on=date(2026, 3, 3),
        reason="专家评审",
    )
    move(pm, S.SUPPLEMENT, date(2026, 3, 4), reason="缺图纸")
    move(pm, S.REVIEWING, date(2026, 3, 5))
    special = pm.pauses.get(kind="特别程序")
    assert special.resumed_on is None  # the 特别程序 still runs: the clock still stands
    pm.refresh_from_db()
    assert pm.due_on is None
    move(pm, S.DONE, date(2026, 3, 6))
    special.refresh_from_db()
    assert special.resumed_on == date(2026, 3, 6)  # a final status ends every pause
