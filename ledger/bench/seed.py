"""A realistic data set for ``make bench``: a district's years of projects, in bulk.

On top of ``seed_demo`` (the catalogue, the units, the demo accounts and their ten projects) it adds
``projects`` projects spread over three years, ten project matters each in the states a real hall
has (most done, some in review, some overdue or near their deadline, a few paused or refused), one
or two walk-in consultations each, and a timeline entry for every consultation and matter change.
Rows are written with ``bulk_create`` in batches; the generator is seeded, so a run is repeatable.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from projects.models import Consultation, Matter, Project, ProjectMatter, Stage, TimelineEntry
from qinqing.models import User
from qinqing.roles import Role, ensure_groups

BATCH = 2000
MATTERS_PER_PROJECT = 10
MARK = "BENCH"  # every generated project's note starts with it
PROJECTS_PER_SPECIALIST = 300

_PLACES = [
    "观音桥街道",
    "寸滩街道",
    "鱼嘴镇",
    "复盛镇",
    "五宝镇",
    "石马河街道",
    "大石坝街道",
    "华新街街道",
    "郭家沱街道",
]
_KINDS = ["安置房", "产业园", "小学", "道路改造", "供水管网", "物流中心", "商业综合体", "医院门诊楼", "污水处理站"]
_BUILDERS = [
    "重庆江北城市建设有限公司",
    "重庆两江置业有限公司",
    "重庆某某实业集团有限公司",
    "江北区教育委员会",
    "重庆水务集团",
]
_QUESTIONS = [
    "咨询施工许可办理材料",
    "咨询规划许可办理流程",
    "报件登记：竣工联合验收",
    "咨询供水报装时限",
    "咨询告知承诺制适用范围",
]


def generated_projects() -> int:
    return Project.objects.filter(note__startswith=MARK).count()


def _aware(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 15)))


def seed(projects: int, *, out=print, seed_value: int = 20261202) -> None:
    """Bring the database to ``projects`` generated projects (seed_demo first if it is empty)."""
    if not User.objects.filter(username="demo_office").exists():
        call_command("seed_demo", stdout=io.StringIO())
    have = generated_projects()
    if have >= projects:
        out(f"已有 {have} 个生成的项目，不再生成。")
        return
    rng = random.Random(seed_value + have)
    today = timezone.localdate()
    specialists = _specialists(projects)
    stages = list(Stage.objects.order_by("number"))
    matters = list(Matter.objects.filter(is_active=True).select_related("stage"))
    out(f"生成项目 {have + 1}–{projects}（每项 {MATTERS_PER_PROJECT} 个事项）…")
    number = have
    while number < projects:
        size = min(BATCH, projects - number)
        with transaction.atomic():
            _batch(rng, number, size, today, specialists, stages, matters)
        number += size
        out(f"  {number} / {projects}")
    _vacuum()


def _specialists(projects: int) -> list[User]:
    """One specialist for about every PROJECTS_PER_SPECIALIST projects (a hall's caseload over three
    years), the demo specialists among them: a city with ten times the projects has ten times the
    staff, not three people with thirty thousand projects each."""
    existing = list(User.objects.filter(groups__name=Role.SPECIALIST, is_active=True).order_by("pk"))
    wanted = max(len(existing), projects // PROJECTS_PER_SPECIALIST)
    group = ensure_groups()[Role.SPECIALIST]
    have = User.objects.filter(username__startswith="bench_specialist_").count()
    new = [
        User(username=f"bench_specialist_{n:04d}", display_name=f"专员{n:04d}")
        for n in range(have + 1, have + 1 + wanted - len(existing))
    ]
    for user in new:
        user.set_unusable_password()
    User.objects.bulk_create(new, batch_size=BATCH)
    created = list(User.objects.filter(username__in=[u.username for u in new]))
    User.groups.through.objects.bulk_create([User.groups.through(user=u, group=group) for u in created])
    return existing + created


def _vacuum() -> None:
    """What autovacuum does on a live database after a bulk load: statistics for the planner and the
    visibility map that lets PostgreSQL answer from an index alone."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')


def _batch(rng, start: int, size: int, today, specialists, stages, matters) -> None:
    project_rows = []
    for index in range(start, start + size):
        registered = today - timedelta(days=rng.randint(0, 3 * 365))
        roll = rng.random()
        status = (
            Project.Status.COMPLETED
            if roll < 0.35
            else Project.Status.ACTIVE
            if roll < 0.85
            else Project.Status.CONSULTING
            if roll < 0.95
            else Project.Status.ON_HOLD
        )
        project_rows.append(
            Project(
                name=f"{rng.choice(_PLACES)}{rng.choice(_KINDS)}项目（{index + 1:06d}）",
                code=f"2025-500105-04-01-{index + 1:06d}",
                builder=rng.choice(_BUILDERS),
                contact_name=rng.choice(["张", "王", "李", "赵", "陈", "刘"])
                + rng.choice(["伟", "芳", "敏", "强", "静"]),
                contact_phone=f"13{rng.randint(100000000, 999999999)}",
                site=f"江北区{rng.choice(_PLACES)}",
                investment_type=rng.choice(Project.InvestmentType.values),
                nature=rng.choice(Project.Nature.values),
                category=rng.choice(Project.Category.values),
                land_area=Decimal(rng.randint(2000, 200000)),
                floor_area=Decimal(rng.randint(5000, 400000)),
                total_investment=Decimal(rng.randint(500, 500000)) / 10,
                is_key=rng.random() < 0.1,
                specialist=rng.choice(specialists),
                status=status,
                current_stage=rng.choice(stages),
                registered_on=registered,
                completed_on=registered + timedelta(days=rng.randint(60, 300))
                if status == Project.Status.COMPLETED
                else None,
                note=f"{MARK} 生成数据",
                created_by=specialists[0],
            )
        )
    created = Project.objects.bulk_create(project_rows, batch_size=BATCH)
    pm_rows, consultation_rows, timeline_rows = [], [], []
    for project in created:
        for _ in range(rng.choice((1, 1, 2))):
            visited = project.registered_on + timedelta(days=rng.randint(0, 20))
            consultation_rows.append(
                Consultation(
                    project=project,
                    visited_at=_aware(min(visited, today), rng.randint(9, 16)),
                    kind=rng.choice(Consultation.Kind.values),
                    visitor_name=project.contact_name,
                    visitor_phone=project.contact_phone,
                    visitor_company=project.builder,
                    question=rng.choice(_QUESTIONS),
                    answer="已一次性告知所需材料和办理时限。",
                    recorded_by=project.specialist,
                )
            )
        for matter in rng.sample(matters, MATTERS_PER_PROJECT):
            pm_rows.append(_project_matter(rng, project, matter, today))
    Consultation.objects.bulk_create(consultation_rows, batch_size=BATCH)
    ProjectMatter.objects.bulk_create(pm_rows, batch_size=BATCH)
    for consultation in consultation_rows:
        timeline_rows.append(
            TimelineEntry(
                project_id=consultation.project_id,
                kind=TimelineEntry.Kind.CONSULTATION,
                occurred_at=consultation.visited_at,
                actor=consultation.recorded_by,
                summary=f"{consultation.kind}：{consultation.question}",
            )
        )
    for pm in pm_rows:
        if pm.accepted_on:
            timeline_rows.append(
                TimelineEntry(
                    project_id=pm.project_id,
                    project_matter=pm,
                    unit_id=pm.unit_id,
                    kind=TimelineEntry.Kind.MATTER,
                    occurred_at=_aware(pm.accepted_on, 10),
                    actor=pm.project.specialist,
                    summary=f"事项“{pm.matter.name}”已受理",
                )
            )
    TimelineEntry.objects.bulk_create(timeline_rows, batch_size=BATCH)


def _project_matter(rng, project: Project, matter: Matter, today) -> ProjectMatter:
    status = ProjectMatter.Status
    limit = matter.time_limit_workdays or 10
    pm = ProjectMatter(
        project=project,
        matter=matter,
        unit_id=matter.unit_id,
        mode=rng.choice(ProjectMatter.Mode.values),
        time_limit_workdays=limit,
        version=1,
    )
    if project.status == Project.Status.CONSULTING:
        pm.status = status.PENDING
        pm.mode = ProjectMatter.Mode.REGULAR
        pm.last_changed_on = project.registered_on
        return pm
    accepted = project.registered_on + timedelta(days=rng.randint(1, 60))
    if accepted > today:
        pm.status, pm.last_changed_on = status.PENDING, project.registered_on
        return pm
    pm.accepted_on = accepted
    pm.due_on = accepted + timedelta(days=limit * 7 // 5 + 1)
    pm.warn_on = pm.due_on - timedelta(days=2)
    roll = rng.random()
    if project.status == Project.Status.COMPLETED or roll < 0.7:
        pm.status = status.DONE if rng.random() > 0.03 else status.REFUSED
        pm.finished_on = min(today, accepted + timedelta(days=rng.randint(1, limit * 7 // 5 + 3)))
        pm.last_changed_on = pm.finished_on
        if pm.status == status.REFUSED:
            pm.last_reason = "材料不符合要求"
        else:
            pm.result = ProjectMatter.Result.PASSED
    elif roll < 0.95:
        # a matter still in hand was accepted recently: most are within their limit, about one in
        # five past it, as in a hall that follows its matters (not years of forgotten overdue ones)
        pm.status = rng.choice([status.ACCEPTED, status.REVIEWING])
        accepted = max(project.registered_on, today - timedelta(days=rng.randint(1, limit * 7 // 5 + 6)))
        pm.accepted_on = accepted
        pm.due_on = accepted + timedelta(days=limit * 7 // 5 + 1)
        pm.warn_on = pm.due_on - timedelta(days=2)
        pm.last_changed_on = accepted
    else:
        pm.status = status.SUPPLEMENT
        pm.due_on = pm.warn_on = None
        pm.last_changed_on = accepted + timedelta(days=1)
        pm.last_reason = "补正申请材料"
    return pm
