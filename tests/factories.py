"""Typed factory-boy factories for the ground's models."""

from __future__ import annotations

from datetime import date

import factory
from django.utils import timezone

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
    # an auditor made here is already approved by a serving auditor; pass auditor_activated_at=None for one
    # that is still pending (qinqing.second_factor)
    auditor_activated_at = factory.LazyFunction(timezone.now)

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

    @factory.post_generation
    def second_factor(self, create: bool, extracted: bool | None, **kwargs) -> None:
        """A bound phone (a confirmed TOTP device) for the roles that must have one; ``second_factor=False``
        for an account that has not bound one yet, ``True`` for one of any role."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from qinqing.second_factor import required_for

        if create and (required_for(self) if extracted is None else extracted):
            TOTPDevice.objects.create(user=self, name="测试手机", confirmed=True)


# --- the dossier part -------------------------------------------------------------------------


def valid_credit_code(n: int) -> str:
    """A 统一社会信用代码 with a correct GB 32100 check character."""
    from qinqing.validators import credit_code_check_char

    first17 = f"91500105MA{n:07d}"
    return first17 + credit_code_check_char(first17)


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Stage"
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: 10 + n)
    name = factory.LazyAttribute(lambda o: f"测试阶段{o.number}")


class MatterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Matter"
        skip_postgeneration_save = True

    stage = factory.SubFactory(StageFactory, number=3, name="施工许可阶段")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    category = "行政许可"
    unit = factory.SubFactory(DepartmentFactory)
    time_limit_workdays = 5

    @factory.post_generation
    def materials(self, create, extracted, verified=True, **kwargs):
        """Material rows by name (default 申请表, 设计图纸), verified unless ``materials__verified=False``."""
        if not create:
            return
        from projects.models import Material

        names = ["申请表", "设计图纸"] if extracted is None else extracted
        for position, name in enumerate(names, start=1):
            Material.objects.create(matter=self, position=position, name=name, verified=verified, **kwargs)


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Material"

    matter = factory.SubFactory(MatterFactory, materials=[])
    position = factory.Sequence(lambda n: n + 10)
    name = factory.Sequence(lambda n: f"测试材料{n}")
    verified = True


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Project"

    name = factory.Sequence(lambda n: f"测试项目{n}")
    code = factory.Sequence(lambda n: f"2601-500105-04-01-{n:05d}X")
    builder = factory.Sequence(lambda n: f"重庆测试建设有限公司{n}")
    builder_credit_code = factory.Sequence(valid_credit_code)
    contact_name = "张三"
    contact_phone = "13800001234"
    investment_type = "社会投资"
    specialist = factory.SubFactory(UserFactory, roles=[Role.SPECIALIST])
    registered_on = date(2026, 1, 5)


class ProjectMatterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.ProjectMatter"

    project = factory.SubFactory(ProjectFactory)
    matter = factory.SubFactory(MatterFactory)
    unit = factory.LazyAttribute(lambda o: o.matter.unit)
    status = "待申报"
    result = factory.LazyAttribute(lambda o: "通过" if o.status == "已办结" else "")
