"""The random draw of projects to visit (回访抽样): reproducible, auditable, never drawing a project
twice for the same period, refusing what cannot be drawn with a message and nothing saved."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services
from followups.forms.draws import last_month
from followups.models import Draw, Visit
from projects.models import ProjectMatter, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import DepartmentFactory, MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory


def build_hall() -> SimpleNamespace:
    """Last month (``start``–``end``): six projects served by unit A (区住房城乡建委, stage 3) and two by
    unit B (区消防救援支队, stage 4); one project of unit A served only the month before (not in the
    population). A user of every role; ``department`` works for unit A, ``other_department`` for B."""
    start, end = last_month()
    unit_a = DepartmentFactory(name="区住房城乡建委")
    unit_b = DepartmentFactory(name="区消防救援支队")
    matter_a = MatterFactory(name="施工图审查备案", unit=unit_a)
    matter_b = MatterFactory(name="消防验收", unit=unit_b, stage__number=4, stage__name="竣工验收阶段")
    served_a, served_b = [], []
    for i in range(6):
        project = ProjectFactory(name=f"滨江花园{i + 1}期", contact_name="李四", contact_phone="13912345678")
        ProjectMatterFactory(
            project=project, matter=matter_a, status=ProjectMatter.Status.ACCEPTED, accepted_on=start + timedelta(i)
        )
        served_a.append(project)
    for i in range(2):
        project = ProjectFactory(name=f"观音桥商业{i + 1}号楼")
        ProjectMatterFactory(
            project=project, matter=matter_b, status=ProjectMatter.Status.ACCEPTED, accepted_on=end - timedelta(i)
        )
        served_b.append(project)
    earlier = ProjectFactory(name="寸滩港区仓库")
    ProjectMatterFactory(
        project=earlier, matter=matter_a, status=ProjectMatter.Status.ACCEPTED, accepted_on=start - timedelta(3)
    )
    return SimpleNamespace(
        start=start,
        end=end,
        unit_a=unit_a,
        unit_b=unit_b,
        stage_a=matter_a.stage,
        stage_b=matter_b.stage,
        served_a=served_a,
        served_b=served_b,
        earlier=earlier,
        population=sorted(p.pk for p in served_a + served_b),
        office=UserFactory(roles=[Role.OFFICE]),
        department=UserFactory(roles=[Role.DEPARTMENT], department=unit_a),
        other_department=UserFactory(roles=[Role.DEPARTMENT], department=unit_b),
        specialist=UserFactory(roles=[Role.SPECIALIST]),
        window=UserFactory(roles=[Role.WINDOW]),
        admin=UserFactory(roles=[Role.ADMIN]),
    )


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def draw(hall, **kwargs) -> Draw:
    params = {"period_start": hall.start, "period_end": hall.end, **kwargs}
    return services.draw_create(actor=hall.office, request=None, **params)


@pytest.fixture
def hall(db):
    return build_hall()


@pytest.fixture
def office(hall):
    return login(hall.office)


def _form(hall, **data):
    return {"period_start": f"{hall.start:%Y-%m-%d}", "period_end": f"{hall.end:%Y-%m-%d}", **data}


def _nothing_saved():
    assert Draw.objects.count() == 0
    assert Visit.objects.count() == 0
    assert not TimelineEntry.objects.filter(kind="visit").exists()


# --- reproducible sampling --------------------------------------------------------------------


def test_the_same_seed_over_the_same_population_gives_the_same_sample(hall):
    """GIVEN a draw with a fixed seed WHEN it is drawn again (rolled back in between) or replayed
    THEN the sample is the same, and equals Python's own random.Random(seed).sample over the sorted
    population."""
    with transaction.atomic():
        first = draw(hall, requested=3, seed="qinqing-2026")
        first_sample = list(first.sample)
        transaction.set_rollback(True)
    assert Draw.objects.count() == 0
    second = draw(hall, requested=3, seed="qinqing-2026")
    assert second.sample == first_sample
    assert second.population == hall.population
    assert second.excluded == []
    assert services.draw_replay(second) == second.sample
    by_hand = sorted(random.Random("qinqing-2026").sample(sorted(hall.population), 3))  # noqa: S311
    assert second.sample == by_hand
    assert len(set(second.sample)) == 3
    assert set(second.sample) <= set(hall.population)


def test_a_fresh_draw_gets_its_own_seed_and_plans_a_visit_per_sampled_project(hall):
    made = draw(hall, share_percent=50)
    assert len(made.seed) == 16
    assert len(made.sample) == 4  # 50% of 8
    visits = Visit.objects.filter(draw=made)
    assert sorted(visits.values_list("project_id", flat=True)) == made.sample
    assert set(visits.values_list("status", flat=True)) == {"待回访"}
    assert set(visits.values_list("period_start", "period_end")) == {(hall.start, hall.end)}
    entries = TimelineEntry.objects.filter(kind="visit")
    assert sorted(entries.values_list("project_id", flat=True)) == made.sample
    assert all("列入回访抽样" in s for s in entries.values_list("summary", flat=True))
    audit = AuditEntry.objects.get(object_type="followups.draw")
    assert made.seed in audit.detail


def test_a_share_rounds_up_to_at_least_one(hall):
    assert len(draw(hall, share_percent=1).sample) == 1
    assert services.sample_size(8, share_percent=30, requested=None) == 3
    assert services.sample_size(0, share_percent=30, requested=None) == 0


def test_a_second_draw_for_an_overlapping_period_excludes_the_already_visited(hall):
    first = draw(hall, requested=3, seed="first")
    second = draw(hall, period_start=hall.start + timedelta(days=1), share_percent=100, seed="second")
    assert set(second.excluded) == set(first.sample) & set(second.population)
    assert not set(second.sample) & set(first.sample)
    assert sorted(first.sample + second.sample) == sorted(set(first.sample) | set(second.population))
    assert services.draw_replay(second) == second.sample
    # a project gets one visit per period, however many draws
    assert Visit.objects.count() == len(set(first.sample) | set(second.sample))
    with pytest.raises(ValidationError, match="均已安排回访"):
        draw(hall, period_start=hall.start + timedelta(days=1), requested=1)
    assert Draw.objects.count() == 2


def test_a_draw_for_a_period_that_does_not_overlap_draws_again(hall):
    first = draw(hall, share_percent=100)
    before = hall.start - timedelta(days=1)
    again = draw(hall, period_start=before.replace(day=1), period_end=before, share_percent=100)
    assert again.population == [hall.earlier.pk]
    assert again.excluded == []
    assert hall.earlier.pk not in first.population


def test_a_draw_narrowed_to_a_stage_or_a_unit(hall):
    by_unit = draw(hall, unit=hall.unit_b, share_percent=100)
    assert by_unit.population == sorted(p.pk for p in hall.served_b)
    assert by_unit.sample == by_unit.population
    by_stage = draw(hall, stage=hall.stage_a, requested=2)
    assert by_stage.population == sorted(p.pk for p in hall.served_a)
    assert "阶段：" in by_stage.criteria
    assert "数量 2" in by_stage.criteria


# --- through the pages ------------------------------------------------------------------------


def test_the_form_proposes_last_month(hall, office):
    page = office.get(reverse("followups:draw_create")).content.decode()
    assert f'value="{hall.start:%Y-%m-%d}"' in page
    assert f'value="{hall.end:%Y-%m-%d}"' in page
    assert "followups-tabs" in page


def test_drawing_through_the_page_and_checking_it(hall, office):
    response = office.post(reverse("followups:draw_create"), _form(hall, requested="3", note="十月例行回访"))
    made = Draw.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:draw_detail", args=[made.pk])
    assert made.drawn_by == hall.office
    assert made.note == "十月例行回访"
    page = office.get(response["Location"]).content.decode()
    assert "复核：用相同种子对相同总体重新抽取，结果一致" in page
    assert made.seed in page
    assert f'random.Random("{made.seed}").sample(candidates, 3)' in page
    assert f"population = [{', '.join(map(str, hall.population))}]" in page
    assert f"应得 [{', '.join(map(str, made.sample))}]" in page
    for visit in made.visits.select_related("project"):
        assert reverse("followups:visit_detail", args=[visit.pk]) in page
        assert reverse("projects:detail", args=[visit.project_id]) in page
    for project in hall.served_a + hall.served_b:
        assert project.name in page  # the population, in its collapsible list
    assert hall.earlier.name not in page

    listing = office.get(reverse("followups:draw_list")).content.decode()
    assert made.criteria in listing
    assert hall.office.name in listing
    assert "待回访 3" in listing


def test_the_page_warns_when_a_replay_does_not_match(hall, office, monkeypatch):
    made = draw(hall, requested=2)
    monkeypatch.setattr(services, "draw_replay", lambda d: list(reversed(d.population))[:2])
    page = office.get(reverse("followups:draw_detail", args=[made.pk])).content.decode()
    assert "复核不一致" in page
    assert "结果一致" not in page


def test_a_sample_larger_than_the_population_is_refused_and_nothing_saved(hall, office):
    response = office.post(reverse("followups:draw_create"), _form(hall, requested="50"))
    assert response.status_code == 200
    assert "抽样数量 50 大于可抽取的项目数 8（总体 8 个，其中 0 个本期已安排回访）" in response.content.decode()
    _nothing_saved()


def test_the_too_large_sample_counts_the_excluded(hall):
    draw(hall, requested=6)
    with pytest.raises(ValidationError, match=r"抽样数量 3 大于可抽取的项目数 2（总体 8 个，其中 6 个"):
        draw(hall, requested=3)
    assert Draw.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"share_percent": "20", "requested": "3"}, "请填写抽样比例或抽样数量，二者选一"),
        ({}, "请填写抽样比例或抽样数量，二者选一"),
        ({"share_percent": "0"}, "抽样比例应在 1% 到 100% 之间"),
        ({"share_percent": "120"}, "抽样比例应在 1% 到 100% 之间"),
        ({"requested": "abc"}, "抽样数量请填写整数"),
        ({"requested": "501"}, "抽样数量应在 1 到 500 之间"),
    ],
)
def test_share_or_number_one_of_the_two(hall, office, data, message):
    response = office.post(reverse("followups:draw_create"), _form(hall, **data))
    assert response.status_code == 200
    assert message in response.content.decode()
    _nothing_saved()


def test_the_service_also_wants_one_of_the_two(hall):
    with pytest.raises(ValidationError, match="二者选一"):
        draw(hall, share_percent=10, requested=2)
    with pytest.raises(ValidationError, match="二者选一"):
        draw(hall)
    _nothing_saved()


def test_an_empty_population_is_refused(hall, office):
    long_ago = hall.start.replace(year=hall.start.year - 2)
    response = office.post(
        reverse("followups:draw_create"),
        _form(
            hall,
            period_start=f"{long_ago:%Y-%m-%d}",
            period_end=f"{long_ago + timedelta(days=20):%Y-%m-%d}",
            requested="1",
        ),
    )
    assert "该期间内没有符合条件的服务项目，无法抽样" in response.content.decode()
    _nothing_saved()


@pytest.mark.parametrize(
    ("start_shift", "end_shift", "message"),
    [
        (10, 0, "服务期间的结束日期不能早于开始日期"),
        (0, 400, "服务期间不能晚于今天"),
    ],
)
def test_a_bad_period_is_refused(hall, office, start_shift, end_shift, message):
    start = hall.end + timedelta(days=start_shift)
    end = hall.end + timedelta(days=end_shift)
    response = office.post(
        reverse("followups:draw_create"),
        _form(hall, period_start=f"{start:%Y-%m-%d}", period_end=f"{end:%Y-%m-%d}", requested="1"),
    )
    assert message in response.content.decode()
    _nothing_saved()


# --- who may draw -----------------------------------------------------------------------------

DRAW_PAGES = ("draw_list", "draw_create", "draw_detail")


def _url(name, made):
    return reverse(f"followups:{name}", args=[made.pk] if name == "draw_detail" else [])


@pytest.mark.parametrize("name", DRAW_PAGES)
@pytest.mark.parametrize(
    ("seat", "status"),
    [("office", 200), ("department", 403), ("specialist", 403), ("window", 403), ("admin", 403)],
)
def test_draw_pages_per_role(hall, name, seat, status):
    made = draw(hall, requested=1)
    assert login(getattr(hall, seat)).get(_url(name, made)).status_code == status


@pytest.mark.parametrize("seat", ["department", "specialist", "window", "admin"])
def test_only_the_office_draws(hall, seat):
    response = login(getattr(hall, seat)).post(reverse("followups:draw_create"), _form(hall, requested="1"))
    assert response.status_code == 403
    _nothing_saved()


@pytest.mark.parametrize("name", DRAW_PAGES)
def test_draw_pages_send_the_anonymous_to_login(hall, client, name):
    made = draw(hall, requested=1)
    response = client.get(_url(name, made))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method"), [("draw_list", "post"), ("draw_detail", "post"), ("draw_create", "put")])
def test_draw_pages_refuse_other_methods(hall, office, name, method):
    made = draw(hall, requested=1)
    assert getattr(office, method)(_url(name, made)).status_code == 405
    assert Draw.objects.count() == 1


def test_the_draw_list_and_a_draw_do_not_query_per_row(hall, office, django_assert_max_num_queries):
    first = draw(hall, unit=hall.unit_b, requested=1)
    with CaptureQueriesContext(connection) as one:
        office.get(reverse("followups:draw_list"))
        office.get(reverse("followups:draw_detail", args=[first.pk]))
    baseline = len(one)  # now: the next request clears the connection's query log
    big = draw(hall, unit=hall.unit_a, requested=5, seed="big")
    for i in range(2):
        draw(hall, requested=1, seed=f"more{i}")
    with django_assert_max_num_queries(baseline):
        office.get(reverse("followups:draw_list"))
        office.get(reverse("followups:draw_detail", args=[big.pk]))
