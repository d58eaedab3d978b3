"""Writes on accounts and units. Each is one transaction, with its audit row in the same one."""

from __future__ import annotations

from collections.abc import Iterable

from axes.utils import reset as axes_reset
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from qinqing import audit, calendar_text, handover, second_factor
from qinqing.calendar_text import Entry
from qinqing.models import AuditEntry, CalendarDay, CalendarYear, Counter, Department, User
from qinqing.passwords import generate_password
from qinqing.roles import Role, ensure_groups, held_roles
from qinqing.sessions import end_sessions
from qinqing.signals import calendar_changed
from qinqing.stale import STALE_MESSAGE, stale_error


def lock_for_update(model, pk: int, *, version: int | None = None):
    """Lock a row for update; refuse if the form was built from an older version, saying what changed."""
    obj = model.objects.select_for_update().get(pk=pk)
    if version is not None and obj.version != version:
        raise stale_error(obj, version)
    return obj


def lock_named(name: str) -> None:
    """Serialise one kind of write across the whole system until the transaction ends (for example two
    Excel imports checking for existing projects): lock a row of ``Counter`` reserved for ``name``."""
    Counter.objects.get_or_create(key=name, year=0)
    Counter.objects.select_for_update().get(key=name, year=0)


def versioned_update(
    *,
    model,
    pk: int,
    version: int,
    changes: dict,
    snapshot,
    actor: User,
    request: HttpRequest | None,
    reason: str,
):
    """The one way to edit a reference record from a form: lock the row, refuse a stale form,
    apply the changes, bump the version, and audit what changed (by ``snapshot``), in the caller's
    transaction."""
    obj = lock_for_update(model, pk, version=version)
    before = snapshot(obj)
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.version += 1
    obj._change_reason = reason
    obj._history_user = actor  # the history names who saved, with or without a request
    obj.save()
    audit.record_changes(
        action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=obj, before=before, after=snapshot(obj)
    )
    return obj


def account_snapshot(user: User) -> dict:
    return {
        "用户名": user.username,
        "姓名": user.display_name,
        "所属单位": user.department.name if user.department_id else "",
        "办公电话": user.phone,
        "角色": sorted(Role(code).label for code in user.groups.values_list("name", flat=True)),
        "状态": "在用" if user.is_active else "停用",
    }


def _validate_roles(roles: Iterable[str], department: Department | None) -> list[str]:
    codes = sorted({str(Role(role)) for role in roles})
    if not codes:
        raise ValidationError("请至少选择一个角色。", code="no_role")
    if Role.DEPARTMENT in codes and department is None:
        raise ValidationError("责任单位人员须选择所属单位。", code="department_required")
    if Role.AUDITOR in codes and len(codes) > 1:
        raise ValidationError(
            "审计员不能兼任其他角色（系统管理员、审计员与业务人员须分设，即“三员分立”）。", code="auditor_alone"
        )
    return codes


def _set_groups(user: User, codes: list[str]) -> None:
    groups = ensure_groups()
    user.groups.set([groups[Role(code)] for code in codes])
    user._role_cache = None


@transaction.atomic
def account_create(
    *,
    actor: User,
    request: HttpRequest | None,
    username: str,
    display_name: str,
    roles: Iterable[str],
    department: Department | None = None,
    phone: str = "",
) -> tuple[User, str]:
    """Create an account with a random initial password, which it must change at first login."""
    codes = _validate_roles(roles, department)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError("该用户名已被使用。", code="duplicate_username")
    password = generate_password()
    user = User(
        username=username,
        display_name=display_name,
        department=department,
        phone=phone,
        must_change_password=True,
    )
    user.set_password(password)
    user._change_reason = "新建账号"
    user.save()
    _set_groups(user, codes)
    audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=user, after=account_snapshot(user))
    return user, password


@transaction.atomic
def account_update(
    *,
    actor: User,
    request: HttpRequest | None,
    user_id: int,
    version: int,
    display_name: str,
    department: Department | None,
    phone: str,
    roles: Iterable[str],
) -> User:
    """Change an account's name, unit, phone and roles; refused if someone saved it meanwhile."""
    user = lock_for_update(User, user_id, version=version)
    codes = _validate_roles(roles, department)
    if user.pk == actor.pk and Role.ADMIN in user.roles and Role.ADMIN not in codes:
        raise ValidationError("不能移除自己的系统管理员角色，请由其他管理员操作。", code="self_demote")
    if user.pk == actor.pk and set(codes) - set(user.roles):
        raise ValidationError("不能给自己增加角色，请由其他管理员操作。", code="self_grant")
    before = account_snapshot(user)
    if Role.AUDITOR in codes and Role.AUDITOR not in held_roles(user):
        # 三员分立: an account given the auditor's role is usable as one only after a serving auditor approves
        user.auditor_activated_at = None
        user.auditor_activated_by = None
    user.display_name = display_name
    user.department = department
    user.phone = phone
    user.version += 1
    user._change_reason = "修改账号信息"
    user.save()
    _set_groups(user, codes)
    after = account_snapshot(user)
    common = {"actor": actor, "request": request, "obj": user, "before": before, "after": after}
    audit.record_changes(action=AuditEntry.Action.ROLE_CHANGE, keys={"角色"}, **common)
    audit.record_changes(action=AuditEntry.Action.UPDATE, keys=set(before) - {"角色"}, **common)
    return user


@transaction.atomic
def account_disable(
    *,
    actor: User,
    request: HttpRequest | None,
    user_id: int,
    reason: str,
    successor_id: int | None = None,
    leave_unassigned: bool = False,
    open_work: str | None = None,
) -> int:
    """Disable an account and end all its sessions at once; returns how many sessions ended.

    An account that still holds open work (``qinqing.handover``: projects, 首问 stages…) is disabled
    only with a ``successor`` who takes all of it over in this same transaction, or with
    ``leave_unassigned`` (the work then shows as 无人负责 on the office's 人员交接 page).
    ``open_work`` is the fingerprint of the work the page listed: if it changed since, nothing happens."""
    user = lock_for_update(User, user_id)
    if user.pk == actor.pk:
        raise ValidationError("不能停用自己的账号。", code="self_disable")
    if not user.is_active:
        raise ValidationError("该账号已是停用状态。", code="already_disabled")
    work = handover.open_work(user)
    if open_work is not None and open_work != work.fingerprint():
        raise ValidationError(
            f"{user.name}名下的在办工作在你打开页面后有变化（现为：{work.summary() or '无'}），"
            "本次未做任何改动，请核对后重试。",
            code="open_work_changed",
        )
    handed = ""
    if work.transferable:
        if successor_id:
            successor = User.objects.filter(pk=successor_id).first()
            if successor is None or successor.pk == user.pk:
                raise ValidationError("请选择另一位在用的人员作为接手人。", code="wrong_successor")
            refusals = handover.refusals(user, successor)
            if refusals:
                raise ValidationError(refusals, code="wrong_successor")
            handover.hand_over(
                user=user, successor=successor, actor=actor, request=request, reason=f"停用账号：{reason}"
            )
            handed = f"；在办工作移交给{successor.name}：{work.summary()}"
        elif leave_unassigned:
            handed = f"；未移交，列为无人负责：{work.summary()}"
        else:
            raise ValidationError(
                f"{user.name}仍有在办工作：{work.summary()}。请选择接手人一并移交，"
                "或勾选“不移交，确认停用”（这些工作将列为“无人负责”，由区工改办在“人员交接”页重新分配）。",
                code="open_work",
            )
    user.is_active = False
    user.version += 1
    user._change_reason = f"停用：{reason}"
    user.save()
    ended = end_sessions(user)
    audit.record(
        action=AuditEntry.Action.DISABLE,
        actor=actor,
        request=request,
        obj=user,
        before={"状态": "在用"},
        after={"状态": "停用"},
        detail=f"原因：{reason}；结束会话 {ended} 个{handed}",
    )
    return ended


@transaction.atomic
def account_enable(*, actor: User, request: HttpRequest | None, user_id: int) -> None:
    user = lock_for_update(User, user_id)
    if user.is_active:
        raise ValidationError("该账号已是在用状态。", code="already_enabled")
    user.is_active = True
    user.version += 1
    user._change_reason = "启用"
    user.save()
    audit.record(
        action=AuditEntry.Action.ENABLE,
        actor=actor,
        request=request,
        obj=user,
        before={"状态": "停用"},
        after={"状态": "在用"},
    )


@transaction.atomic
def account_reset_password(*, actor: User, request: HttpRequest | None, user_id: int) -> str:
    """Give an account a new random password (shown once), end its sessions, lift any lock-out."""
    user = lock_for_update(User, user_id)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.version += 1
    auditor = Role.AUDITOR in held_roles(user)
    if auditor:
        # 三员分立: the administrator now knows the password, so the account must be bound and approved anew
        user.auditor_activated_at = None
        user.auditor_activated_by = None
    user._change_reason = "重置密码"
    user.save()
    ended = end_sessions(user)
    axes_reset(username=user.username)
    detail = f"已生成新的初始密码，首次登录须修改；结束会话 {ended} 个"
    if auditor:
        second_factor.clear(user)
        detail += "；审计员账号的第二因素已清除，回到待启用，须本人重新绑定并由现任审计员批准"
    audit.record(
        action=AuditEntry.Action.PASSWORD_RESET,
        actor=actor,
        request=request,
        obj=user,
        detail=detail,
    )
    return password


@transaction.atomic
def account_unlock(*, actor: User, request: HttpRequest | None, user_id: int) -> int:
    user = User.objects.get(pk=user_id)
    removed = axes_reset(username=user.username)
    audit.record(
        action=AuditEntry.Action.UNLOCK, actor=actor, request=request, obj=user, detail=f"清除失败记录 {removed} 条"
    )
    return removed


@transaction.atomic
def password_change(*, user: User, request: HttpRequest | None, new_password: str) -> None:
    """The user's own change of password (validated by the form)."""
    locked = lock_for_update(User, user.pk)
    locked.set_password(new_password)
    locked.must_change_password = False
    locked.version += 1
    locked._change_reason = "本人修改密码"
    locked.save()
    user.password = locked.password
    user.password_changed_at = locked.password_changed_at
    user.must_change_password = False
    user.version = locked.version
    audit.record(action=AuditEntry.Action.PASSWORD_CHANGE, actor=user, request=request, obj=user)


def _department_snapshot(department: Department) -> dict:
    return {
        "单位名称": department.name,
        "单位类型": department.get_kind_display(),
        "联系电话": department.contact_phone,
        "办公地址": department.address,
        "办公时间": department.office_hours,
        "状态": "在用" if department.is_active else "停用",
    }


@transaction.atomic
def department_create(
    *,
    actor: User,
    request: HttpRequest | None,
    name: str,
    kind: str,
    contact_phone: str = "",
    address: str = "",
    office_hours: str = "",
) -> Department:
    if Department.objects.filter(name=name).exists():
        raise ValidationError("已有同名单位。", code="duplicate_department")
    department = Department(
        name=name, kind=kind, contact_phone=contact_phone, address=address, office_hours=office_hours
    )
    department._change_reason = "新建单位"
    department.save()
    audit.record(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=department,
        after=_department_snapshot(department),
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor: User,
    request: HttpRequest | None,
    department_id: int,
    version: int,
    name: str,
    kind: str,
    contact_phone: str,
    is_active: bool,
    address: str = "",
    office_hours: str = "",
) -> Department:
    if Department.objects.filter(name=name).exclude(pk=department_id).exists():
        raise ValidationError("已有同名单位。", code="duplicate_department")
    return versioned_update(
        model=Department,
        pk=department_id,
        version=version,
        changes={
            "name": name,
            "kind": kind,
            "contact_phone": contact_phone,
            "address": address,
            "office_hours": office_hours,
            "is_active": is_active,
        },
        snapshot=_department_snapshot,
        actor=actor,
        request=request,
        reason="修改单位",
    )


@transaction.atomic
def calendar_year_save(
    *,
    actor: User,
    request: HttpRequest | None,
    year: int,
    source: str,
    entries: list[Entry],
    version: int | None,
) -> CalendarYear:
    """Enter or correct a year's holidays and make-up workdays; the entered list replaces the old one.

    ``version`` is the version the form was built from (``None`` for a year not yet entered).
    """
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    if calendar_year is None:
        if version is not None:
            raise ValidationError(STALE_MESSAGE, code="stale")
        calendar_year = CalendarYear(year=year)
        before_text = ""
    else:
        if version != calendar_year.version:
            raise stale_error(calendar_year, version)
        calendar_year.version += 1
        before_text = calendar_text.render(
            [calendar_text.Entry(d.date, d.kind, d.name) for d in calendar_year.days.order_by("date")]
        )
    calendar_year.source = source
    calendar_year.entered_by = actor
    calendar_year.save()
    calendar_year.days.all().delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar_year=calendar_year, date=e.date, kind=e.kind, name=e.name) for e in entries
    )
    after_text = calendar_text.render(entries)
    audit.record(
        action=AuditEntry.Action.UPDATE if before_text else AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=calendar_year,
        before={"依据": "", "节假日与调休": before_text} if before_text else None,
        after={"依据": source, "节假日与调休": after_text},
        detail=f"{year}年：{sum(e.kind == 'holiday' for e in entries)} 天休息，{sum(e.kind == 'workday' for e in entries)} 天调休上班",
    )
    calendar_changed.send(sender=CalendarYear, year=year, actor=actor)
    return calendar_year
