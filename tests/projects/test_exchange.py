"""The exchange with the city's approval system through its SPGL staging database (docs/exchange.md).

The city's rows are applied through the same services as the pages (due dates, timeline, audit follow); the
hall's projects, matter instances and status history are written to the staging tables with SJSCZT 0; rows
without a parent are refused with a reason, conflicts go to the exchange inbox, nothing entered here is
overwritten. On PostgreSQL the staging database is a real PostgreSQL database (``SPGL_DATABASE_URL``)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from projects import services
from projects.exchange import staging
from projects.exchange.codes import Blzt
from projects.exchange.models import ExchangeIssue, ExchangeRun
from projects.exchange.runner import run_exchange
from projects.models import MatterEvent, MatterPause, ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, StageFactory, UserFactory

pytestmark = pytest.mark.django_db(databases=["default", "spgl"])

S = ProjectMatter.Status
_clock = itertools.count(1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    """A time as the city writes it in the staging tables: local time, without a zone."""
    return datetime(*parts, tzinfo=SHANGHAI).replace(tzinfo=None)


@pytest.fixture(autouse=True)
def staging_tables():
    staging.create_schema()
    yield
    staging.drop_schema()


def city_row(table: staging.Table, key: str, **columns) -> dict:
    """A row as the city's system writes it: its own key, valid, a later change time than the one before."""
    row = {
        "DFSJZJ": key,
        "XZQHDM": "500105",
        "SJYXBS": 1,
        "SJSCZT": 1,
        "GXSJ": at(2026, 3, 20, 8, 0, next(_clock) % 60),
    }
    row.update(columns)
    return row


def write(table: staging.Table, *rows: dict) -> None:
    staging.upsert(table, rows)


@pytest.fixture
def permit():
    """建筑工程施工许可证核发, as the city knows it."""
    return MatterFactory(
        stage=StageFactory(number=3, name="施工许可阶段"),
        name="建筑工程施工许可证核发",
        time_limit_workdays=5,
        spgl_code="500105-SGXK-001",
        spgl_version="2.0",
        standard_code="000105001000",
    )


def seed_city_project(project, permit, *, case_no="CQ-SGXK-2026-0001", statuses=()):
    write(
        staging.PROJECTS,
        city_row(staging.PROJECTS, "CQ-XM-1", XMDM=project.code, GCDM=f"{project.code}-0001", XMMC=project.name),
    )
    write(
        staging.MATTERS,
        city_row(
            staging.MATTERS,
            f"CQ-SX-{case_no}",
            GCDM=f"{project.code}-0001",
            SPJDXH=3,
            SPSXBM=permit.spgl_code,
            SPSXBBH="2.0",
            SPSXMC=permit.name,
            SPSXSLBM=case_no,
            SPBMMC="区住房城乡建委",
        ),
    )
    for n, (blzt, when, opinion) in enumerate(statuses, start=1):
        write(
            staging.STATUSES,
            city_row(
                staging.STATUSES,
                f"CQ-ZT-{case_no}-{n}",
                SPSXSLBM=case_no,
                BLZT=blzt,
                BLSJ=when,
                BLYJ=opinion,
                BLR="王审批",
            ),
        )


def test_a_matter_accepted_paused_and_finished_in_the_citys_rows_and_one_finished_here(permit):
    """The issue's done-when: the city's 3, 6, 7, 11 make the matter here accepted, paused, resumed and passed,
    with the due date moved by the pause and each step on the dossier's timeline; a matter finished here goes
    into the staging tables with BLZT 3 and 11 (SJSCZT 0), under the project's 工程代码."""
    project = ProjectFactory()
    seed_city_project(
        project,
        permit,
        statuses=[
            (Blzt.WINDOW_ACCEPTED, at(2026, 3, 2, 9, 30), "材料齐全，予以受理"),
            (Blzt.SUPPLEMENT_START, at(2026, 3, 3, 10, 0), "缺少施工图审查合格书"),
            (Blzt.SUPPLEMENT_END, at(2026, 3, 9, 15, 0), "已补齐"),
            (Blzt.PASSED, at(2026, 3, 12, 16, 0), "准予许可"),
        ],
    )
    run = run_exchange()
    assert run.status == ExchangeRun.Status.DONE
    assert (run.rows_read, run.rows_applied, run.rows_refused, run.conflicts) == (6, 6, 0, 0)
    assert run.rows_written == 2  # the project (now with its 工程代码) and its 建设单位

    pm = ProjectMatter.objects.get(project=project, matter=permit)
    assert pm.case_no == "CQ-SGXK-2026-0001"
    assert pm.status == S.DONE
    assert pm.result == ProjectMatter.Result.PASSED
    assert pm.accepted_on == date(2026, 3, 2)
    # 5 working days from 03-02, the clock stopped from 03-04 to 03-09: due 03-13, finished on time on 03-12
    assert pm.due_on == date(2026, 3, 13)
    assert pm.finished_on == date(2026, 3, 12)
    assert not pm.finished_late
    pause = MatterPause.objects.get(project_matter=pm)
    assert (pause.paused_on, pause.resumed_on, pause.reason) == (
        date(2026, 3, 3),
        date(2026, 3, 9),
        "缺少施工图审查合格书",
    )
    timeline = list(
        TimelineEntry.objects.filter(project_matter=pm).order_by("occurred_at", "id").values_list("summary", flat=True)
    )
    assert any("受理（2026-03-02）" in line for line in timeline)
    assert any("通知补正材料" in line and "缺少施工图审查合格书" in line for line in timeline)
    assert any("办结（通过）（2026-03-12）" in line for line in timeline)
    assert TimelineEntry.objects.filter(project_matter=pm, actor__username="spgl_exchange").exists()
    assert (
        AuditEntry.objects.filter(
            object_type="projects.projectmatter", object_id=str(pm.pk), actor__username="spgl_exchange"
        ).count()
        == 4
    )
    project.refresh_from_db()
    assert project.works_code == f"{project.code}-0001"
    # the city's statuses are kept as the city's, under its keys, and not sent back
    assert list(pm.events.order_by("id").values_list("status", "source")) == [
        (Blzt.WINDOW_ACCEPTED, "市审批系统"),
        (Blzt.SUPPLEMENT_START, "市审批系统"),
        (Blzt.SUPPLEMENT_END, "市审批系统"),
        (Blzt.PASSED, "市审批系统"),
    ]

    # a second matter of the project, finished here by its unit
    plan = MatterFactory(
        stage=permit.stage, name="建设工程规划许可证核发", spgl_code="500105-GHXK-001", time_limit_workdays=10
    )
    clerk = UserFactory(roles=[Role.DEPARTMENT], department=plan.unit)
    (local,), _ = services.project_matters_add(actor=clerk, request=None, project_id=project.pk, matters=[plan])
    for status, on in ((S.ACCEPTED, date(2026, 3, 16)), (S.REVIEWING, date(2026, 3, 17)), (S.DONE, date(2026, 3, 19))):
        local.refresh_from_db()
        services.matter_move(
            actor=clerk,
            request=None,
            project_matter_id=local.pk,
            version=local.version,
            to_status=status,
            on=on,
            result=ProjectMatter.Result.PASSED if status == S.DONE else "",
        )
    local.refresh_from_db()
    second = run_exchange()
    # the matter instance and its two statuses (the project and its 建设单位 went in the first run, unchanged since)
    assert second.rows_written == 3
    ours = staging.rows(staging.STATUSES, "DFSJZJ LIKE %s", ["JBQQ-%"])
    assert [(row["SPSXSLBM"], row["BLZT"], row["SJSCZT"]) for row in ours] == [
        (local.case_no, Blzt.WINDOW_ACCEPTED, 0),
        (local.case_no, Blzt.PASSED, 0),
    ]
    assert ours[1]["BLSJ"].date() == date(2026, 3, 19)
    assert ours[0]["BLR"] == clerk.name
    (instance,) = staging.rows(staging.MATTERS, "DFSJZJ LIKE %s", ["JBQQ-%"])
    assert (instance["SPSXSLBM"], instance["SPSXBM"], instance["GCDM"], instance["SPJDXH"]) == (
        local.case_no,
        "500105-GHXK-001",
        f"{project.code}-0001",
        3,
    )
    (mine,) = staging.rows(staging.PROJECTS, "DFSJZJ LIKE %s", ["JBQQ-%"])
    assert (mine["XMDM"], mine["GCDM"], mine["SJSCZT"]) == (project.code, f"{project.code}-0001", 0)
    # the city's own matter instance is not written back as ours
    assert not staging.rows(staging.MATTERS, "DFSJZJ LIKE %s AND SPSXSLBM = %s", ["JBQQ-%", "CQ-SGXK-2026-0001"])

    # a third run with nothing new writes nothing again and reads nothing new
    third = run_exchange()
    assert (third.rows_read, third.rows_written) == (0, 0)


def test_special_procedure_and_deficient_pass_from_the_city(permit):
    project = ProjectFactory()
    seed_city_project(
        project,
        permit,
        statuses=[
            (Blzt.UNIT_ACCEPTED, at(2026, 3, 2, 9, 0), ""),
            (Blzt.SPECIAL_START, at(2026, 3, 4, 9, 0), "专家评审"),
            (Blzt.SPECIAL_END, at(2026, 3, 11, 9, 0), "评审通过"),
            (Blzt.PASSED_DEFICIENT, at(2026, 3, 13, 9, 0), "容缺通过，后补消防验收意见"),
        ],
    )
    run_exchange()
    pm = ProjectMatter.objects.get(project=project, matter=permit)
    assert (pm.status, pm.result) == (S.DONE, ProjectMatter.Result.PASSED_DEFICIENT)
    pause = pm.pauses.get()
    assert (pause.kind, pause.paused_on, pause.resumed_on) == (
        MatterPause.Kind.SPECIAL,
        date(2026, 3, 4),
        date(2026, 3, 11),
    )
    # 03-02 + 5 working days with the clock stopped 03-05…03-11: 03-03, 03-04, 03-12, 03-13, 03-16
    assert pm.due_on == date(2026, 3, 16)


def test_orphans_are_refused_with_a_reason_and_conflicts_wait_for_a_person(permit):
    project = ProjectFactory()
    seed_city_project(project, permit, statuses=[(Blzt.WINDOW_ACCEPTED, at(2026, 3, 2, 9, 0), "")])
    write(
        staging.MATTERS,
        city_row(
            staging.MATTERS,
            "CQ-SX-ORPHAN",
            GCDM="2601-500105-04-01-99999X-0001",
            SPSXBM=permit.spgl_code,
            SPSXSLBM="CQ-X-1",
        ),
        city_row(
            staging.MATTERS,
            "CQ-SX-UNKNOWN",
            GCDM=f"{project.code}-0001",
            SPSXBM="500105-WZ-999",
            SPSXMC="未知事项",
            SPSXSLBM="CQ-X-2",
        ),
    )
    write(
        staging.STATUSES,
        city_row(staging.STATUSES, "CQ-ZT-ORPHAN", SPSXSLBM="CQ-NOBODY", BLZT=3, BLSJ=at(2026, 3, 2)),
    )
    write(
        staging.PROJECTS,
        city_row(
            staging.PROJECTS,
            "CQ-XM-2",
            XMDM="2601-500105-04-01-88888X",
            GCDM="2601-500105-04-01-88888X-0001",
            XMMC="城北停车场",
        ),
    )
    run = run_exchange()
    assert run.rows_refused == 2
    kinds = sorted(ExchangeIssue.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            ExchangeIssue.Kind.ORPHAN,
            ExchangeIssue.Kind.ORPHAN,
            ExchangeIssue.Kind.UNKNOWN_MATTER,
            ExchangeIssue.Kind.NO_PROJECT,
        ]
    )
    orphan = ExchangeIssue.objects.get(row_key="CQ-ZT-ORPHAN")
    assert "办件编号 CQ-NOBODY 没有对应的事项办件" in orphan.summary

    # the unit records 补正 here on 03-10; the city then reports 办结 dated 03-09: not applied, kept for a person
    pm = ProjectMatter.objects.get(case_no="CQ-SGXK-2026-0001")
    clerk = UserFactory(roles=[Role.DEPARTMENT], department=pm.unit)
    services.matter_move(
        actor=clerk,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status=S.SUPPLEMENT,
        on=date(2026, 3, 10),
        reason="缺少消防设计审查意见",
    )
    write(
        staging.STATUSES,
        city_row(staging.STATUSES, "CQ-ZT-LATE", SPSXSLBM="CQ-SGXK-2026-0001", BLZT=11, BLSJ=at(2026, 3, 9, 16)),
        city_row(staging.STATUSES, "CQ-ZT-REVOKE", SPSXSLBM="CQ-SGXK-2026-0001", BLZT=15, BLSJ=at(2026, 3, 11, 16)),
    )
    run = run_exchange()
    pm.refresh_from_db()
    assert pm.status == S.SUPPLEMENT  # what the unit entered stands
    newer = ExchangeIssue.objects.get(row_key="CQ-ZT-LATE")
    assert newer.kind == ExchangeIssue.Kind.LOCAL_NEWER
    assert newer.unit == pm.unit
    assert "2026-03-10" in newer.summary
    assert ExchangeIssue.objects.get(row_key="CQ-ZT-REVOKE").kind == ExchangeIssue.Kind.NOT_APPLICABLE
    assert run.conflicts == 2


def test_rows_the_city_refuses_come_back_as_work_for_a_person(permit):
    project = ProjectFactory()
    clerk = UserFactory(roles=[Role.DEPARTMENT], department=permit.unit)
    (pm,), _ = services.project_matters_add(actor=clerk, request=None, project_id=project.pk, matters=[permit])
    services.matter_move(
        actor=clerk, request=None, project_matter_id=pm.pk, version=0, to_status=S.ACCEPTED, on=date(2026, 3, 2)
    )
    run_exchange()
    # the city's uploader refuses the status row
    with staging.connection().cursor() as cursor:
        cursor.execute(
            "UPDATE SPGL_XMSPSXBLXXXXB SET SJSCZT = -1, SBYY = %s, GXSJ = %s WHERE DFSJZJ LIKE %s",
            ["事项编码与国家标准不对应", at(2026, 12, 31, 23, 0), "JBQQ-ZT-%"],
        )
    run = run_exchange()
    assert run.city_refusals == 1
    issue = ExchangeIssue.objects.get(kind=ExchangeIssue.Kind.CITY_REFUSED)
    assert "事项编码与国家标准不对应" in issue.summary
    assert issue.project_matter_id == pm.pk
    assert issue.unit == permit.unit


def test_a_second_run_while_one_is_in_progress_does_nothing(permit):
    ExchangeRun.objects.create()
    assert run_exchange() is None


def test_the_events_of_a_matter_are_not_applied_twice(permit):
    project = ProjectFactory()
    seed_city_project(project, permit, statuses=[(Blzt.WINDOW_ACCEPTED, at(2026, 3, 2, 9, 0), "")])
    run_exchange()
    # the city rewrites the same row (a new GXSJ): read again, applied once
    write(
        staging.STATUSES,
        city_row(
            staging.STATUSES,
            "CQ-ZT-CQ-SGXK-2026-0001-1",
            SPSXSLBM="CQ-SGXK-2026-0001",
            BLZT=3,
            BLSJ=at(2026, 3, 2, 9, 0),
        ),
    )
    run = run_exchange()
    assert run.rows_read == 1
    assert MatterEvent.objects.filter(city_key="CQ-ZT-CQ-SGXK-2026-0001-1").count() == 1
    assert ProjectMatter.objects.get(case_no="CQ-SGXK-2026-0001").status == S.ACCEPTED


@pytest.mark.postgresql
def test_the_staging_database_is_postgresql_in_the_postgresql_run():
    """The PostgreSQL stage of make test points SPGL_DATABASE_URL at a PostgreSQL database too (scripts/test.sh)."""
    from django.db import connections

    assert connections["spgl"].vendor == "postgresql"
    assert "SPGL_XMSPSXBLXXXXB".lower() in connections["spgl"].introspection.table_names()


def test_the_inbox_on_the_page_the_office_sees_all_a_unit_its_own_and_settles_with_a_note(permit, client_for):
    project = ProjectFactory()
    seed_city_project(project, permit, statuses=[(Blzt.WINDOW_ACCEPTED, at(2026, 3, 2, 9, 0), "")])
    write(
        staging.STATUSES,
        city_row(staging.STATUSES, "CQ-ZT-R", SPSXSLBM="CQ-SGXK-2026-0001", BLZT=15, BLSJ=at(2026, 3, 5, 9)),
    )
    write(staging.PROJECTS, city_row(staging.PROJECTS, "CQ-XM-9", XMDM="2601-500105-04-01-77777X", XMMC="鱼嘴物流园"))
    run_exchange()
    office = client_for(Role.OFFICE)
    page = office.get(reverse("projects:exchange")).content.decode()
    assert "鱼嘴物流园" in page
    assert "撤销" in page
    assert 'data-testid="exchange-runs"' in page
    unit = client_for(Role.DEPARTMENT, department=permit.unit)
    own = unit.get(reverse("projects:exchange")).content.decode()
    assert "撤销" in own
    assert "鱼嘴物流园" not in own
    assert 'data-testid="exchange-runs"' not in own
    other = ExchangeIssue.objects.get(kind=ExchangeIssue.Kind.NO_PROJECT)
    assert unit.get(reverse("projects:exchange_issue", args=[other.pk])).status_code == 404

    mine = ExchangeIssue.objects.get(row_key="CQ-ZT-R")
    url = reverse("projects:exchange_issue", args=[mine.pk])
    refused = unit.post(url, {"status": "已处理", "note": "", "version": 0})
    assert refused.status_code == 400
    mine.refresh_from_db()
    assert mine.status == ExchangeIssue.Status.OPEN
    done = unit.post(url, {"status": "无需处理", "note": "经核对，撤销未生效，以本系统为准", "version": 0})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.resolved_by, mine.resolution) == (
        "无需处理",
        unit.user,
        "经核对，撤销未生效，以本系统为准",
    )
    stale = unit.post(url, {"status": "已处理", "note": "再处理一次", "version": 0})
    assert stale.status_code == 400
    assert AuditEntry.objects.filter(object_type="projects.exchangeissue", object_id=str(mine.pk)).count() == 1


def test_the_office_starts_a_run_on_the_background_worker(client_for):
    from django_tasks_db.models import DBTaskResult

    office = client_for(Role.OFFICE)
    assert office.post(reverse("projects:exchange_run")).status_code == 302
    assert DBTaskResult.objects.filter(task_path="projects.exchange.tasks.exchange_task").count() == 1
    assert client_for(Role.DEPARTMENT).post(reverse("projects:exchange_run")).status_code == 403


def test_the_periodic_run_queues_the_next_once(settings):
    from django_tasks_db.models import DBTaskResult

    from projects.exchange.tasks import schedule

    settings.SPGL_EXCHANGE_MINUTES = 10
    assert schedule() is True
    assert schedule() is False  # already queued: the chain is not doubled
    queued = DBTaskResult.objects.get()
    assert queued.run_after is not None
    settings.SPGL_EXCHANGE_MINUTES = 0
    DBTaskResult.objects.all().delete()
    assert schedule() is False


def test_a_row_the_city_rewrites_while_it_waits_for_a_person_is_one_item(permit):
    project = ProjectFactory()
    seed_city_project(project, permit, statuses=[(Blzt.WINDOW_ACCEPTED, at(2026, 3, 2, 9, 0), "")])
    orphan = city_row(staging.STATUSES, "CQ-ZT-LOST", SPSXSLBM="CQ-NOBODY", BLZT=3, BLSJ=at(2026, 3, 2))
    write(staging.STATUSES, orphan)
    run_exchange()
    write(staging.STATUSES, {**orphan, "GXSJ": at(2026, 3, 21, 9)})  # rewritten: read again
    again = run_exchange()
    assert again.rows_read == 1
    assert ExchangeIssue.objects.filter(row_key="CQ-ZT-LOST").count() == 1
