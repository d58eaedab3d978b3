"""Typed factory-boy factories for the ground's models."""

from __future__ import annotations

import factory

from qinqing.models import Department, User
from qinqing.roles import Role, ensure_groups

TEST_PASSWORD = "Hall#Test2026"


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Department.Kind.BUREAU


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A staff account with a known password that needs no change; ``roles=[Role.X]`` sets groups."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n:03d}")
    display_name = factory.Sequence(lambda n: f"工作人员{n}")
    department = factory.SubFactory(DepartmentFactory)
    must_change_password = False

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs) -> None:
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save()

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs) -> None:
        if create and extracted:
            groups = ensure_groups()
            self.groups.set([groups[Role(role)] for role in extracted])
