"""The administrator's pages: staff accounts and responsible units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing import audit, handover, second_factor, selectors, services
from qinqing.filters import StaffFilter
from qinqing.forms import DepartmentForm, StaffCreateForm, StaffDisableForm, StaffEditForm, add_service_errors
from qinqing.htmx import wants_fragment
from qinqing.idempotency import idempotent
from qinqing.models import Department, User
from qinqing.roles import held_roles

manage_accounts = permission_required("qinqing.manage_accounts", raise_exception=True)
manage_departments = permission_required("qinqing.manage_departments", raise_exception=True)

PAGE_SIZE = 50


@require_GET
@manage_accounts
def staff_list(request):
    staff_filter = StaffFilter(request.GET, queryset=selectors.staff_queryset())
    page = Paginator(staff_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "qinqing/partials/staff_table.html" if wants_fragment(request) else "qinqing/staff_list.html"
    return render(
        request,
        template,
        {"filter": staff_filter, "page": page, "locked": selectors.locked_usernames()},
    )


@require_http_methods(["GET", "POST"])
@manage_accounts
def staff_create(request):
    form = StaffCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.account_create(
                actor=request.user,
                request=request,
                username=data["username"],
                display_name=data["display_name"],
                roles=data["roles"],
                department=data["department"],
                phone=data["phone"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The password is shown in this response only; it is stored nowhere in clear.
            return render(
                request, "qinqing/staff_password.html", {"account": user, "password": password, "created": True}
            )
    return render(request, "qinqing/staff_form.html", {"form": form, "creating": True})


@require_GET
@manage_accounts
def staff_detail(request, pk: int):
    account = get_object_or_404(selectors.staff_queryset(), pk=pk)
    return render(
        request,
        "qinqing/staff_detail.html",
        {
            "account": account,
            "history": audit.shown(selectors.account_history(account)[:200]),
            "locked": account.username in selectors.locked_usernames(),
            "bound": second_factor.has_factor(account),
            "codes_left": second_factor.recovery_codes_left(account),
            "two_factor_required": second_factor.required_for(account),
            "held_roles": held_roles(account),
            **_disable_context(account),
        },
    )


def _disable_context(account: User) -> dict:
    """What the account still holds (qinqing.handover) and the disable form that hands it over."""
    if not account.is_active:
        return {"work": None, "disable_form": None}
    work = handover.open_work(account)
    form = StaffDisableForm(account=account, roles=work.roles, initial={"open_work": work.fingerprint()})
    return {"work": work, "disable_form": form}


@require_http_methods(["GET", "POST"])
@manage_accounts
def staff_edit(request, pk: int):
    account = get_object_or_404(selectors.staff_queryset(), pk=pk)
    initial = {
        "display_name": account.display_name,
        "department": account.department_id,
        "phone": account.phone,
        "roles": sorted(account.roles),
        "version": account.version,
    }
    form = StaffEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_update(
                actor=request.user,
                request=request,
                user_id=account.pk,
                version=data["version"],
                display_name=data["display_name"],
                department=data["department"],
                phone=data["phone"],
                roles=data["roles"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存 {account.username} 的账号信息。")
            return redirect("staff:detail", pk=account.pk)
    return render(request, "qinqing/staff_form.html", {"form": form, "account": account, "creating": False})


def _action(request, pk: int, call, success: str):
    account = get_object_or_404(User, pk=pk)
    try:
        call(account)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success.format(username=account.username))
    return redirect("staff:detail", pk=account.pk)


@require_POST
@manage_accounts
def staff_disable(request, pk: int):
    form = StaffDisableForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"停用失败：{message}")
        return redirect("staff:detail", pk=get_object_or_404(User, pk=pk).pk)
    data = form.cleaned_data
    successor = data.get("successor")
    handed = f"在办工作已移交给{successor.name}，" if successor else ""
    return _action(
        request,
        pk,
        lambda account: services.account_disable(
            actor=request.user,
            request=request,
            user_id=account.pk,
            reason=data["reason"],
            successor_id=successor.pk if successor else None,
            leave_unassigned=data.get("leave_unassigned", False),
            # an old page without the field disables as before only if the account holds nothing
            open_work=data.get("open_work") or None,
        ),
        "已停用 {username}，" + handed + "其所有登录会话已结束。",
    )


@require_POST
@manage_accounts
def staff_enable(request, pk: int):
    return _action(
        request,
        pk,
        lambda account: services.account_enable(actor=request.user, request=request, user_id=account.pk),
        "已启用 {username}。",
    )


@require_POST
@manage_accounts
def staff_unlock(request, pk: int):
    return _action(
        request,
        pk,
        lambda account: services.account_unlock(actor=request.user, request=request, user_id=account.pk),
        "已解除 {username} 的登录锁定。",
    )


@require_POST
@manage_accounts
def staff_reset_password(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    password = services.account_reset_password(actor=request.user, request=request, user_id=account.pk)
    account.refresh_from_db()
    return render(request, "qinqing/staff_password.html", {"account": account, "password": password, "created": False})


@require_GET
@manage_departments
def department_list(request):
    departments = Department.objects.all()
    return render(request, "qinqing/department_list.html", {"departments": departments})


@require_http_methods(["GET", "POST"])
@manage_departments
@idempotent
def department_create(request):
    form = DepartmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.department_create(
                actor=request.user,
                request=request,
                name=data["name"],
                kind=data["kind"],
                contact_phone=data["contact_phone"],
                address=data["address"],
                office_hours=data["office_hours"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已新建单位：{data['name']}。")
            return redirect("staff:department_list")
    return render(request, "qinqing/department_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@manage_departments
def department_edit(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    initial = {
        "name": department.name,
        "kind": department.kind,
        "contact_phone": department.contact_phone,
        "address": department.address,
        "office_hours": department.office_hours,
        "is_active": department.is_active,
        "version": department.version,
    }
    form = DepartmentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.department_update(
                actor=request.user,
                request=request,
                department_id=department.pk,
                version=data["version"] if data["version"] is not None else -1,
                name=data["name"],
                kind=data["kind"],
                contact_phone=data["contact_phone"],
                address=data["address"],
                office_hours=data["office_hours"],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存单位：{data['name']}。")
            return redirect("staff:department_list")
    return render(request, "qinqing/department_form.html", {"form": form, "department": department, "creating": False})
