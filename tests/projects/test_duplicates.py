"""Duplicate dossiers: a new dossier whose credit code, name or phone matches an open one shows the
candidates first; a project code already on file is a hard stop that names its holder."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import selectors
from projects.models import Consultation, Project, TimelineEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, UserFactory, valid_credit_code

NEW = {
    "name": "江北嘴金融城三期",
    "code": "",
    "builder": "重庆江北嘴置业有限公司",
    "builder_credit_code": "",
    "contact_name": "王磊",
    "contact_phone": "13700001111",
    "investment_type": "社会投资",
    "nature": "新建",
    "category": "房屋建筑",
}


def _names(candidates) -> set[str]:
    return {c.project.name for c in candidates}


# --- the selector ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("江北嘴金融城三期", "江北嘴金融城三期"),
        ("江北嘴金融城三期", " 江北嘴 金融城三期 "),  # spaces, as typed at the counter
        ("江北嘴金融城３期", "江北嘴金融城3期"),  # a full-width digit
        ("江北嘴金融城三期项目", "江北嘴金融城三期"),  # one containing the other
        ("江北嘴金融城三期", "江北嘴金融城三期（A区）"),  # the new name contains the old one
        ("江北嘴金融城三期工程", "江北嘴金融城三期项目"),  # the same but for the suffix
    ],
)
def test_same_or_close_names_are_candidates(db, existing, typed):
    ProjectFactory(name=existing, contact_phone="02300000000", builder_credit_code="")
    user = UserFactory(roles=[Role.OFFICE])
    candidates = selectors.duplicate_candidates(user, name=typed)
    assert _names(candidates) == {existing}
    assert candidates[0].reasons[0].startswith("项目名称")


def test_short_or_different_names_are_not_candidates(db):
    ProjectFactory(name="综合楼", contact_phone="02300000000")
    ProjectFactory(name="悦来会展中心", contact_phone="02300000001")
    user = UserFactory(roles=[Role.OFFICE])
    assert selectors.duplicate_candidates(user, name="鱼复综合楼") == []
    assert selectors.duplicate_candidates(user, name="江北嘴金融城三期") == []


def test_phone_and_credit_code_match_whole_and_normalised(db):
    credit = valid_credit_code(4242)
    by_phone = ProjectFactory(name="甲", contact_phone="023-67891234", builder_credit_code="")
    by_credit = ProjectFactory(name="乙", contact_phone="02300000000", builder_credit_code=credit)
    user = UserFactory(roles=[Role.OFFICE])
    found = selectors.duplicate_candidates(user, contact_phone="02367891234", builder_credit_code=credit.lower())
    assert {c.project for c in found} == {by_phone, by_credit}
    reasons = {c.project.pk: c.reasons for c in found}
    assert reasons[by_phone.pk] == ["联系电话相同"]
    assert reasons[by_credit.pk] == ["统一社会信用代码相同"]
    # part of a number is not the number
    assert selectors.duplicate_candidates(user, contact_phone="6789123") == []


def test_closed_and_merged_dossiers_are_not_candidates(db):
    user = UserFactory(roles=[Role.OFFICE])
    for status in ("已办结", "已终止"):
        ProjectFactory(name="江北嘴金融城三期", status=status)
    winner = ProjectFactory(name="别的名字", contact_phone="02300000000")
    ProjectFactory(name="江北嘴金融城三期", status="已合并", merged_into=winner)
    assert selectors.duplicate_candidates(user, name="江北嘴金融城三期") == []


# --- the direct dossier form -----------------------------------------------------------------------


def test_a_similar_open_dossier_is_shown_before_creating(client_for):
    """GIVEN an open dossier of the same name WHEN a specialist opens a new one THEN the form comes back
    with the candidate linked and nothing is created; ticking 确认不是同一项目 creates it, and the
    timeline says which similar dossiers were shown."""
    client = client_for(Role.SPECIALIST)
    mine = ProjectFactory(name="江北嘴金融城三期", specialist=client.user)
    first = client.post(reverse("projects:create"), NEW)
    assert first.status_code == 200
    page = first.content.decode()
    assert 'data-testid="duplicate-candidates"' in page
    assert reverse("projects:detail", args=[mine.pk]) in page
    assert "确认不是同一项目，仍要新建" in page
    assert Project.objects.count() == 1
    second = client.post(reverse("projects:create"), {**NEW, "confirm_distinct": "on"})
    assert second.status_code == 302
    new = Project.objects.exclude(pk=mine.pk).get()
    entry = TimelineEntry.objects.get(project=new, kind="project")
    assert "经确认不是同一项目" in entry.summary
    assert entry.detail["相似档案编号"] == [mine.pk]


def test_a_dossier_the_clerk_may_not_see_is_named_only_by_its_specialist(client_for):
    client = client_for(Role.SPECIALIST)
    colleague = UserFactory(roles=[Role.SPECIALIST], display_name="周晓梅")
    theirs = ProjectFactory(
        name="悦来智慧园", specialist=colleague, contact_phone="13700001111", builder="保密的建设单位"
    )
    response = client.post(reverse("projects:create"), NEW)
    page = response.content.decode()
    assert f'data-testid="candidate-{theirs.pk}"' in page
    assert "周晓梅" in page
    assert "悦来智慧园" not in page
    assert "保密的建设单位" not in page
    assert reverse("projects:detail", args=[theirs.pk]) not in page


def test_a_project_code_on_file_is_a_hard_stop_naming_its_holder(client_for):
    client = client_for(Role.SPECIALIST)
    holder = ProjectFactory(specialist=client.user, code="2601-500105-04-01-77777X", status="已办结")
    response = client.post(
        reverse("projects:create"), {**NEW, "code": "2601-500105-04-01-77777X", "confirm_distinct": "on"}
    )
    page = response.content.decode()
    assert 'data-testid="code-holder"' in page
    assert reverse("projects:detail", args=[holder.pk]) in page
    assert "已有档案" in page
    assert Project.objects.count() == 1


def test_investment_type_has_no_default_and_is_required(client_for):
    client = client_for(Role.SPECIALIST)
    form = client.get(reverse("projects:create")).context["form"]
    assert form["investment_type"].value() in (None, "")
    assert form.fields["investment_type"].choices[0] == ("", "请选择")
    response = client.post(reverse("projects:create"), {**NEW, "investment_type": ""})
    assert "请选择投资类型" in response.content.decode()
    assert not Project.objects.exists()
    quick = client.get(reverse("projects:consultation_create")).context["new_form"]
    assert quick["investment_type"].value() in (None, "")


# --- the walk-in form's 新建项目档案 -----------------------------------------------------------------


def _walk_in(**extra) -> dict:
    data = {
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "kind": "咨询",
        "visitor_name": "王磊",
        "question": "规划许可怎么办？",
        "outcome": "当场解答",
        "open_new": "on",
        **{f"new-{k}": v for k, v in NEW.items() if k not in ("nature", "category")},
    }
    data.update(extra)
    return data


def test_the_walk_in_form_warns_before_opening_a_duplicate(client_for):
    client = client_for(Role.SPECIALIST)
    mine = ProjectFactory(name="其他名称", specialist=client.user, builder_credit_code=valid_credit_code(77))
    data = _walk_in(**{"new-builder_credit_code": valid_credit_code(77)})
    first = client.post(reverse("projects:consultation_create"), data)
    assert first.status_code == 200
    assert "统一社会信用代码相同" in first.content.decode()
    assert Consultation.objects.count() == 0
    assert Project.objects.count() == 1
    # 登记到《…》: the visit goes to the existing dossier, no new one
    used = client.post(reverse("projects:consultation_create"), {**data, "use_project": str(mine.pk)})
    assert used["Location"] == reverse("projects:detail", args=[mine.pk])
    assert Consultation.objects.get().project == mine
    assert Project.objects.count() == 1


def test_the_walk_in_form_opens_a_dossier_once_confirmed(client_for):
    client = client_for(Role.SPECIALIST)
    ProjectFactory(name="江北嘴金融城三期", specialist=client.user)
    response = client.post(reverse("projects:consultation_create"), _walk_in(confirm_distinct="on"))
    assert response.status_code == 302
    assert Project.objects.count() == 2
    assert Consultation.objects.get().project.name == NEW["name"]
