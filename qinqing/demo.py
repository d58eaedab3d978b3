"""Demo data of the ground: the responsible units and one account per role (and a few more staff)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from qinqing import audit, services
from qinqing.models import AuditEntry, Department, User
from qinqing.roles import Role, ensure_groups, held_roles

MATTERS_CSV = Path(__file__).resolve().parent / "data" / "matters.csv"
DEMO_PASSWORD = "Qinqing@2026"
# The demo's phone: one TOTP secret bound to the demo accounts that must use a second factor (office,
# administrator, auditor). `manage.py demo_code` prints its current code; a real installation has none.
DEMO_TOTP_KEY = b"qinqing-demo-phone!!".hex()

HALL = "区政务服务中心"
OFFICE = "区工改办"

_UTILITIES = {"供水企业", "排水企业", "燃气企业", "通信运营企业", "国网重庆市电力公司"}
_INTERMEDIARIES = {"中介机构", "施工图审查机构", "测绘机构"}
_CENTRES = {"区不动产登记中心", "区城建档案馆", HALL}


# Where applicants go and whom they call: printed on every one-time notification letter. Illustrative
# addresses and numbers for the demo (the district's own come from its service guides).
_HALL_ADDRESS = "江北区政务服务中心（江北区北城天街 6 号）"
_HOURS = "工作日 9:00—12:00，13:30—17:30"
UNIT_CONTACTS: dict[str, tuple[str, str]] = {
    "区发展改革委": ("023-67851201", f"{_HALL_ADDRESS} 2 楼 B12 窗口"),
    "市规划自然资源局江北区分局": ("023-67851202", f"{_HALL_ADDRESS} 2 楼 B15—B17 窗口"),
    "区应急管理局": ("023-67851203", f"{_HALL_ADDRESS} 2 楼 B20 窗口"),
    "区文化旅游委": ("023-67851204", f"{_HALL_ADDRESS} 2 楼 B21 窗口"),
    "区住房城乡建委": ("023-67851205", f"{_HALL_ADDRESS} 3 楼 C01—C06 窗口"),
    "区生态环境局": ("023-67851206", f"{_HALL_ADDRESS} 2 楼 B22 窗口"),
    "区水利局": ("023-67851207", f"{_HALL_ADDRESS} 2 楼 B23 窗口"),
    "区城市管理局": ("023-67851208", f"{_HALL_ADDRESS} 3 楼 C08 窗口"),
    "区交通局": ("023-67851209", f"{_HALL_ADDRESS} 3 楼 C09 窗口"),
    "施工图审查机构": ("023-67851210", "江北区建新北路 68 号 5 楼"),
    "区人防办": ("023-67851211", f"{_HALL_ADDRESS} 3 楼 C10 窗口"),
    "区城建档案馆": ("023-67851212", "江北区洋河路 12 号"),
    "区不动产登记中心": ("023-67851213", f"{_HALL_ADDRESS} 1 楼 A 区"),
    "供水企业": ("023-96960", f"{_HALL_ADDRESS} 1 楼水电气讯联合服务窗口"),
    "排水企业": ("023-67851215", f"{_HALL_ADDRESS} 1 楼水电气讯联合服务窗口"),
    "国网重庆市电力公司": ("95598", f"{_HALL_ADDRESS} 1 楼水电气讯联合服务窗口"),
    "燃气企业": ("023-96577", f"{_HALL_ADDRESS} 1 楼水电气讯联合服务窗口"),
    "通信运营企业": ("023-67851218", f"{_HALL_ADDRESS} 1 楼水电气讯联合服务窗口"),
    HALL: ("023-67851100", f"{_HALL_ADDRESS} 1 楼亲清帮办服务窗口"),
    "区工改办": ("023-67851000", "江北区建新东路 1 号区政府 7 楼"),
}
STAFF_PHONES = {"demo_specialist": "023-67851121", "liu_specialist": "023-67851122", "sun_window": "023-67851123"}


def unit_kind(name: str) -> str:
    if name in _UTILITIES:
        return Department.Kind.UTILITY
    if name in _INTERMEDIARIES:
        return Department.Kind.INTERMEDIARY
    if name in _CENTRES:
        return Department.Kind.CENTRE
    if name == OFFICE:
        return Department.Kind.OFFICE
    return Department.Kind.BUREAU


def catalogue_units(path: Path = MATTERS_CSV) -> list[str]:
    """The responsible units named in the matter catalogue, in first-seen order."""
    with path.open(encoding="utf-8") as handle:
        units = [row["responsible_unit"].strip() for row in csv.DictReader(handle)]
    return list(dict.fromkeys(unit for unit in units if unit))


# username, display name, unit, roles, active
DEMO_ACCOUNTS: list[tuple[str, str, str, list[Role], bool]] = [
    ("demo_specialist", "李晓帮", HALL, [Role.SPECIALIST], True),
    ("demo_window", "王立窗", HALL, [Role.WINDOW], True),
    ("demo_dept", "张审批", "区住房城乡建委", [Role.DEPARTMENT], True),
    ("demo_office", "赵督查", OFFICE, [Role.OFFICE], True),
    ("demo_admin", "陈管理", HALL, [Role.ADMIN], True),
    ("demo_auditor", "钱审计", OFFICE, [Role.AUDITOR], True),
]
EXTRA_STAFF: list[tuple[str, str, str, list[Role], bool]] = [
    ("liu_specialist", "刘清", HALL, [Role.SPECIALIST], True),
    ("sun_window", "孙一窗", HALL, [Role.WINDOW, Role.SPECIALIST], True),
    ("zhou_ghzy", "周规划", "市规划自然资源局江北区分局", [Role.DEPARTMENT], True),
    ("wu_fgw", "吴发改", "区发展改革委", [Role.DEPARTMENT], True),
    ("zheng_water", "郑供水", "供水企业", [Role.DEPARTMENT], True),
    ("he_retired", "何已调", "区城市管理局", [Role.DEPARTMENT], False),
]


def _ensure_account(username, display_name, unit, roles, active, admin: User | None) -> User:
    department = Department.objects.get(name=unit)
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "department": department, "must_change_password": False},
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.must_change_password = False
    user.display_name = display_name
    user.department = department
    user.phone = user.phone or STAFF_PHONES.get(username, "")
    user._change_reason = "演示数据"
    user.save()
    groups = ensure_groups()
    user.groups.set([groups[role] for role in roles])
    user._role_cache = None
    _bind_demo_phone(user)
    if created:
        audit.record(
            action=AuditEntry.Action.CREATE,
            actor=admin,
            obj=user,
            after=services.account_snapshot(user),
            detail="载入演示数据",
            username="seed_demo",
        )
        if not active and admin is not None:
            services.account_disable(actor=admin, request=None, user_id=user.pk, reason="调离岗位（演示）")
    return user


def _bind_demo_phone(user: User) -> None:
    """The roles that must use a second factor get the demo phone; the demo auditor is approved."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qinqing.second_factor import required_for

    if required_for(user) and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="演示手机", confirmed=True, key=DEMO_TOTP_KEY)
    if Role.AUDITOR in held_roles(user) and user.auditor_activated_at is None:
        User.objects.filter(pk=user.pk).update(auditor_activated_at=timezone.now())


def demo_secret() -> str:
    """The demo phone's secret as typed into a phone's authenticator app."""
    from base64 import b32encode

    return b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()


def demo_code(at: float | None = None) -> str:
    import time

    from django_otp.oath import TOTP

    clock = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
    clock.time = at if at is not None else time.time()
    return f"{clock.token():06d}"


@transaction.atomic
def seed(stdout) -> None:
    units = catalogue_units() + [HALL, OFFICE]
    for name in units:
        phone, address = UNIT_CONTACTS.get(name, ("", ""))
        unit, _ = Department.objects.get_or_create(name=name, defaults={"kind": unit_kind(name)})
        if not unit.address and address:  # an administrator's entry is kept
            Department.objects.filter(pk=unit.pk).update(contact_phone=phone, address=address, office_hours=_HOURS)
    stdout.write(f"责任单位：{Department.objects.count()} 个")
    admin = None
    for spec in DEMO_ACCOUNTS + EXTRA_STAFF:
        user = _ensure_account(*spec, admin=admin)
        if user.username == "demo_admin":
            admin = user
    stdout.write(f"人员账号：{User.objects.count()} 个（演示账号 {len(DEMO_ACCOUNTS)} 个）")


def describe_accounts() -> list[tuple[str, str, str]]:
    return [(username, name, "、".join(role.label for role in roles)) for username, name, _, roles, _ in DEMO_ACCOUNTS]
